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


def _timelines(project, settings, recorded, target: str, services: list[str] | None):  # noqa: ANN001, ANN202
    """Each service's deploys from the most durable source (dockyard.deploy.sources)."""
    from dockyard.cli.tasks._output import warning
    from dockyard.cli.tasks.deploy import _target
    from dockyard.core.errors import ConfigError
    from dockyard.deploy import caprover_versions, sources
    from dockyard.deploy.deployer import tag_of

    target = _target(target)
    stage_server = f"swarm:{project.settings.stage.name}"
    local = [e for e in recorded.entries if (e.server == stage_server) == (target == "stage")]
    histories, live, apps = None, {}, dict(settings.apps)
    if target == "stage":
        from dockyard.stage import lifecycle, spec

        names = [n for n, role in spec.stage_services(project).items() if role in ("web", "worker")]
        apps = {n: spec.swarm_name(project.settings.stage, n) for n in names}
        lifecycle.require_up(project)
        live = {n: tag_of(image.split("@")[0]) for n, image in lifecycle.current_images(project).items()}
    elif settings.url:
        password = caprover_versions.admin_password(settings.env, settings.password_file, warning)
        if password is not None:
            client = caprover_versions.VersionsClient(
                settings.url, password, settings.timeout, otp=settings.env.get(caprover_versions.ENV_OTP, "")
            )
            histories = client.app_histories()
    wanted = list(dict.fromkeys(services or apps))
    for name in wanted:
        if name not in apps:
            raise ConfigError(f"service {name!r} is not deployed to the {target} (it deploys: {', '.join(apps)})")
    if not services:  # services the history names but the settings no longer deploy: their own lines
        for entry in local:
            if entry.service not in apps:
                apps[entry.service] = entry.app or entry.service
                wanted.append(entry.service)
        wanted = list(dict.fromkeys(wanted))
    lines = []
    for name in wanted:
        app_history = histories.get(apps[name]) if histories is not None else None
        if histories is not None and app_history is None:
            warning(f"CapRover has no app {apps[name]} ({name}); using the registry and the local history")
        lines.append(
            sources.timeline(
                name,
                apps[name],
                [e for e in local if e.service == name],
                caprover=app_history,
                caprover_server=settings.url,
                image=settings.images.get(name),
                registry=settings.registry,
                live_sha=live.get(name),
                warn=warning,
            )
        )
    return lines


@task(
    default=True,
    iterable=["service"],
    help={
        "service": "roll back only this service (repeatable); default: every deployed service",
        "to": "go back to this git SHA (or unique prefix) instead of the previous deploy",
        "yes": "do not ask for confirmation",
        "dry-run": "show the plan (and check tokens and images); deploy nothing",
        "wait": "let CapRover answer only when each deploy is done",
        "json": "print the plan and the recorded results as JSON",
        "target": "'caprover' (default) or 'stage' (the local Swarm stage)",
    },
)
def quick(c, service=None, to=None, yes=False, dry_run=False, wait=False, json=False, target="caprover"):
    """Redeploy the previous image of each service (or --to SHA) through CapRover, or on the stage.

    The previous image comes from CapRover's version history (with CAPROVER_PASSWORD), else the
    registry's tags (in commit order), else the local deploy history; it must be in the registry."""
    from dataclasses import asdict

    from dockyard.cli.console import progress_console
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.deploy import show_plan
    from dockyard.deploy import caprover, rollback
    from dockyard.deploy import deployer as deploying

    project, settings, recorded = _load()
    with progress_console.status("reading what was deployed"):
        lines = _timelines(project, settings, recorded, target, list(service or []))
    entries = [e for line in lines for e in line.entries]
    durable = [line.words for line in lines if line.source != "local"]
    described = "; ".join(dict.fromkeys([*durable, str(settings.history_path)])) if durable else str(
        settings.history_path
    )
    known_from = "; ".join(durable) if durable else "the history"
    plan = rollback.plan_quick(entries, services=service or None, to=to, source=described, known_from=known_from)
    plan.notes[:0] = [note for line in lines for note in line.notes]
    if target == "stage":
        _quick_stage(project, settings, plan, yes, dry_run, json)
        return
    jobs = rollback.quick_jobs(plan, settings)
    with progress_console.status("checking tokens, and the images in the registry"):
        prepared = deploying.preflight(
            jobs, settings, image_check=lambda ref: deploying.check_in_registry(ref, settings.registry)
        )
    if not json:
        show_plan(plan, prepared, settings.url, sources={line.service: line.words for line in lines})
    if not _go_ahead(plan, dry_run, json, yes, f"on {caprover.safe_url(settings.url)}"):
        return
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


def _go_ahead(plan, dry_run: bool, as_json: bool, yes: bool, where: str) -> bool:  # noqa: ANN001
    """After the plan is shown: False on a dry run (said so); raises unless confirmed; True to deploy."""
    from dockyard.cli.console import console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.tasks._output import emit

    if dry_run:
        if as_json:
            emit(True, {"dry_run": True, **plan.to_dict()}, None)
        else:
            console.print("dry run: nothing deployed")
        return False
    if not confirm(f"Roll back {len(plan.steps)} service(s) {where}?", yes):
        raise DockyardError("not confirmed: nothing deployed, history unchanged")
    return True


def _quick_stage(project, settings, plan, yes: bool, dry_run: bool, as_json: bool) -> None:  # noqa: ANN001
    from dataclasses import asdict

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.deploy import show_plan
    from dockyard.deploy import deployer as deploying
    from dockyard.stage import deploys

    jobs = [
        deploys.stage_job(project, settings, step.service, step.target.sha, step.target.image, "rollback")
        for step in plan.steps
    ]
    with progress_console.status("checking the images in the registry"):
        checks = [deploying.check_in_registry(job.image, settings.registry) for job in jobs]
    if not as_json:
        show_plan(plan, [deploying.Prepared(j, None, check) for j, check in zip(jobs, checks, strict=True)],
                  f"stage {project.settings.stage.name}")
    if not _go_ahead(plan, dry_run, as_json, yes, f"on the stage {project.settings.stage.name}"):
        return
    with progress_console.status("rolling back on the stage"):
        done = deploys.deploy(
            project, settings, jobs,
            on_state=lambda name, state: progress_console.print(f"  {name}: {state}", markup=False, style="dim"),
        )
    if as_json:
        emit(True, {**plan.to_dict(), "results": [asdict(entry) for entry, _ in done]}, None)
    else:
        for entry, _ in done:
            console.print(f"{entry.service}: {entry.result} -> {entry.image} ({entry.detail})", markup=False)


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
        "limit": "how many of the latest entries to show per service (default 20)",
        "json": "print the entries as JSON lines (with their source)",
        "target": "'caprover' (default) or 'stage'",
    },
)
def show_history(c, service=None, limit=20, json=False, target="caprover"):
    """Show what was deployed, when, and how it went: from CapRover's version history (with
    CAPROVER_PASSWORD), else the registry's tags, else the local deploy history."""
    import json as json_lines
    from dataclasses import asdict

    from dockyard.cli.console import console
    from dockyard.cli.tasks._output import note
    from dockyard.cli.views.deploy import history_table

    limit = _args.count("--limit", limit)
    project, settings, recorded = _load()
    lines = _timelines(project, settings, recorded, target, [service] if service else [])
    rows = [(line, e) for line in lines for e in line.entries[-limit:]]
    if json:
        for line, entry in rows:
            console.out(json_lines.dumps({**asdict(entry), "source": line.source}), highlight=False)
        return
    for line in lines:
        for remark in line.notes:
            note(remark)
    if not rows:
        say(f"no deploys recorded in {settings.history_path} and none found elsewhere")
        return
    sources = {line.service: line.words for line in lines}
    console.print(history_table([e for _, e in rows], "deploys", sources=sources))


ns = Collection("rollback", quick, full, show_history)
