"""`invoke deploy`: deploy one service's image to CapRover and record it in the deploy history."""

from __future__ import annotations

from dockyard.cli.tasks._task import task

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


@task(
    help={
        "service": "service to deploy: one of [tool.dockyard.services] with an app (web, ...)",
        "tag": "image tag to deploy, normally the git SHA; recorded as the deploy's SHA",
        "image": "full image reference to deploy instead of the service's image with --tag",
        "wait": "let CapRover answer when the deploy is done (default: when it starts, as its CLI)",
        "dry-run": "check token and image, show the request (token masked); send nothing",
        "json": "print the recorded history entry as JSON",
        "target": "'caprover' (default) or 'stage': the local Swarm stage (invoke stage.up), same image update",
    },
)
def deploy(c, service, tag=None, image=None, wait=False, dry_run=False, json=False, target="caprover"):
    """Deploy SERVICE's image (--tag SHA) through CapRover's API (or to the stage); token from the environment.

    The image is <registry>/<name>:SHA ([tool.dockyard.registry]; invoke push puts it there).
    Token: CAPROVER_APP_TOKEN_<SERVICE>, CAPROVER_APP_TOKEN, or the file named by
    CAPROVER_APP_TOKEN_FILE / [tool.dockyard.caprover] token_file. URL: CAPROVER_URL or
    [tool.dockyard.caprover] url. Every attempt is recorded in .dockyard/deploy-history.jsonl.
    With --target stage the stage's Swarm service moves to the image; an image Swarm refuses (and
    rolls back) is an error: "refused: rolled back to IMAGE".
    """
    from dataclasses import asdict

    from rich.text import Text

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks import _args
    from dockyard.cli.tasks._output import emit, warning
    from dockyard.core.project import find_project
    from dockyard.deploy import caprover, history
    from dockyard.deploy import deployer as deploying

    image = _args.image("--image", image)
    project = find_project()
    settings = caprover.deploy_config(project, warn=warning)
    if _target(target) == "stage":
        _deploy_stage(project, settings, service, tag, image, dry_run, json)
        return
    job = deploying.prepare(settings, service, tag=tag, image=image)
    with progress_console.status(Text(f"checking {job.image}")):
        (ready,) = deploying.preflight([job], settings)
    _warn_plain_http(settings.url)
    where = (
        "found locally"
        if ready.image.where == "local"
        else f"in its registry ({ready.image.detail})"
    )
    progress_console.print(f"{job.service}: {job.image} {where}", markup=False)
    if dry_run:
        request = caprover.deploy_request(
            settings.url,
            job.app,
            job.image,
            ready.token,
            caprover.git_hash_for(job.sha),
            detached=not wait,
        )
        console.print(
            f"dry run, would send: {request.describe(ready.token)}", soft_wrap=True, markup=False
        )
        return
    with progress_console.status(Text(f"deploying {job.image} to {job.app}")):
        entry = deploying.run(job, settings, ready.token, wait=wait)
    if json:
        emit(True, asdict(entry), None)
    elif entry.result == history.DEPLOYED:
        console.print(
            f"{entry.service}: deployed, {entry.app} runs {entry.image} ({entry.detail})",
            markup=False,
        )
    else:
        console.print(
            f"{entry.service}: accepted, CapRover is deploying {entry.image} to {entry.app} "
            f"({entry.detail}); it answers before the deploy is done unless you pass --wait",
            markup=False,
        )


def _warn_plain_http(url: str) -> None:
    from dockyard.cli.tasks._output import warning
    from dockyard.core.net import is_loopback_url

    if url.startswith("http://") and not is_loopback_url(url):
        warning("CAPROVER_URL is plain http: the app token crosses the network unencrypted; use https://")


def _target(target: str) -> str:
    from dockyard.core.errors import ConfigError

    if target not in ("caprover", "stage"):
        raise ConfigError(f"--target must be 'caprover' or 'stage', not {target!r}")
    return target


def _deploy_stage(project, settings, service, tag, image, dry_run, as_json) -> None:  # noqa: ANN001
    from dataclasses import asdict

    from rich.text import Text

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._output import emit
    from dockyard.deploy import deployer as deploying
    from dockyard.stage import deploys

    job = deploys.stage_job(project, settings, service, tag, image)
    with progress_console.status(Text(f"checking {job.image} in the registry")):
        found = deploying.check_in_registry(job.image, settings.registry)
    progress_console.print(f"{job.service}: {job.image} in its registry ({found.detail})", markup=False)
    if dry_run:
        console.print(f"dry run, would move the stage's {job.app} to {job.image}", markup=False)
        return
    with progress_console.status(Text(f"deploying {job.image} to the stage's {job.app}")):
        ((entry, outcome),) = deploys.deploy(
            project, settings, [job],
            on_state=lambda name, state: progress_console.print(f"  {name}: {state}", markup=False, style="dim"),
        )
    if as_json:
        emit(True, {**asdict(entry), "update": outcome.to_dict()}, None)
    else:
        console.print(f"{entry.service}: deployed, the stage's {entry.app} runs {entry.image} ({entry.detail})",
                      markup=False)
