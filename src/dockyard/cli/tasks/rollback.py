"""`invoke rollback.*`: the card's Rollback Plan, from the deploy history."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks import _args
from dockyard.cli.tasks._output import say
from dockyard.cli.tasks._task import task
from dockyard.core.errors import DockyardError

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


def _load():
    from dockyard.cli.tasks._output import warning
    from dockyard.core.project import find_project
    from dockyard.deploy import caprover, history

    project = find_project()
    settings = caprover.deploy_config(project, warn=warning)
    recorded = history.read(settings.history_path)
    for note in recorded.warnings():
        warning(note)
    return project, settings, recorded


@task(
    default=True,
    iterable=["service"],
    help={
        "service": "roll back only this service (repeatable); default: all in the history",
        "to": "go back to this git SHA (or unique prefix) instead of the previous deploy",
        "yes": "do not ask for confirmation",
        "dry-run": "show the plan (and check tokens and images); deploy nothing",
        "wait": "let CapRover answer only when each deploy is done",
        "json": "print the plan and the recorded results as JSON",
    },
)
def quick(c, service=None, to=None, yes=False, dry_run=False, wait=False, json=False):
    """Redeploy the previous successful image of each service (or --to SHA) through CapRover."""
    from dataclasses import asdict

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.deploy import show_plan
    from dockyard.deploy import caprover, rollback
    from dockyard.deploy import deployer as deploying

    _, settings, recorded = _load()
    plan = rollback.plan_quick(recorded.entries, services=service or None, to=to, source=str(settings.history_path))
    jobs = rollback.quick_jobs(plan, settings)
    with progress_console.status("checking tokens and images"):
        prepared = deploying.preflight(jobs, settings)
    if not json:
        show_plan(plan, prepared, settings.url)
    if dry_run:
        if json:
            emit(True, {"dry_run": True, **plan.to_dict()}, None)
        else:
            console.print("dry run: nothing deployed")
        return
    if not confirm(f"Roll back {len(plan.steps)} service(s) on {caprover.safe_url(settings.url)}?", yes):
        raise DockyardError("not confirmed: nothing deployed, history unchanged")
    with progress_console.status("deploying"):
        entries = deploying.run_all(
            prepared,
            settings,
            wait=wait,
            on_done=lambda e: say(f"{e.service}: {e.result}", progress=True),
        )
    if json:
        emit(True, {**plan.to_dict(), "results": [asdict(e) for e in entries]}, None)
    else:
        for entry in entries:
            say(f"{entry.service}: {entry.result} -> {entry.image} ({entry.detail})")


@task(
    makes=True,
    iterable=["target"],
    help={
        "ref": "git ref (SHA, tag, branch) to rebuild and redeploy",
        "target": "service to rebuild (repeatable); default: every service with a CapRover app",
        "push": "docker push the rebuilt images before deploying (CapRover pulls them)",
        "yes": "do not ask for confirmation",
        "dry-run": "print the checklist only",
        "wait": "let CapRover answer only when each deploy is done",
    },
)
def full(c, ref, target=None, push=False, yes=False, dry_run=False, wait=False):
    """The card's full rollback: rebuild REF with its own bake file, redeploy; list manual steps."""
    from dockyard.cli.console import console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.views.build import progress_for
    from dockyard.cli.views.deploy import show_checklist
    from dockyard.deploy import caprover, rollback

    project, settings, recorded = _load()
    plan = rollback.plan_full(project, settings, recorded.entries, ref, list(target or []), push)
    show_checklist(plan.items)
    if dry_run:
        console.print("dry run: nothing run")
        return
    if not plan.has_bake_file:
        raise DockyardError(f"{rollback.short(plan.sha)} has no {plan.bake_file}: follow the manual steps above")
    if not confirm(
        f"Rebuild {', '.join(plan.services)} from {rollback.short(plan.sha)} and deploy to "
        f"{caprover.safe_url(settings.require_url())}?",
        yes,
    ):
        raise DockyardError("not confirmed: nothing built or deployed")
    with progress_for("auto")() as on_update:
        entries = rollback.run_full(
            project,
            settings,
            plan,
            wait=wait,
            log=lambda m: say(f"rollback: {m}", "dim", progress=True),
            on_update=on_update,
        )
    for entry in entries:
        say(f"{entry.service}: {entry.result} -> {entry.image}")
    console.print("still to do by hand: the steps marked [you] above", markup=False)


@task(
    name="history",
    help={
        "service": "show only this service",
        "limit": "how many of the latest entries to show (default 20)",
        "json": "print the entries as JSON lines",
    },
)
def show_history(c, service=None, limit=20, json=False):
    """Show the deploy history: what was deployed where, when, and how it went."""
    import json as json_lines
    from dataclasses import asdict

    from dockyard.cli.console import console
    from dockyard.cli.views.deploy import history_table

    limit = _args.count("--limit", limit)
    _, settings, recorded = _load()
    entries = [e for e in recorded.entries if service in (None, e.service)][-limit:]
    if json:
        for entry in entries:
            console.out(json_lines.dumps(asdict(entry)), highlight=False)
        return
    if not entries:
        say(f"no deploys recorded in {settings.history_path}")
        return
    console.print(history_table(entries, f"deploy history ({settings.history_path})"))


ns = Collection("rollback", quick, full, show_history)
