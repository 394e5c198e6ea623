"""`invoke init`: the same as `dockyard init` (detect, plan, --yes writes; --check)."""

from __future__ import annotations

from dockyard.cli.tasks._task import task


@task(
    auto_shortflags=False,  # -h would be --health-path, not help
    help={
        "yes": "write the files (without it: show the plan and exit 0)",
        "force": "replace existing files, archiving the old ones under deployment/archive/",
        "check": "report which card checklist item each deployment file misses (exit 1 when any)",
        "celery_app": "the module that creates Celery(...), when init cannot tell",
        "health_path": "the URL path the web HEALTHCHECK probes, when the site has no endpoint init can find",
        "add_health_view": "no health endpoint: write a small health view and add its URL route",
        "manage_py": "the project's manage.py, when there are several",
    }
)
def init(
    c, yes=False, force=False, check=False, celery_app=None, health_path=None, add_health_view=False, manage_py=None
):
    """Write the card's deployment/ for this repository: plan first, --yes writes, --check audits.

    Reads manage.py, the settings, the Celery app, the dependency files, package.json and the old
    Dockerfiles/compose files/start scripts; docs/init.md.
    """
    from dockyard.cli.init import init_and_print

    init_and_print(
        None,
        yes=yes,
        force=force,
        check=check,
        celery_app=celery_app,
        health_path=health_path,
        add_health_view=add_health_view,
        manage_py=manage_py,
    )
