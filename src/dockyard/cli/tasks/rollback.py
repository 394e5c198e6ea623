"""`invoke rollback.*`: the card's Rollback Plan, from the deploy history."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from invoke import Collection

from dockyard.cli.tasks._task import task
from dockyard.core.errors import DockyardError

if TYPE_CHECKING:
    from dockyard.deploy import deployer as deploying
    from dockyard.deploy import rollback

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


def _load():
    from rich.markup import escape

    from dockyard.cli.console import progress_console
    from dockyard.core.project import find_project
    from dockyard.deploy import caprover, history

    project = find_project()
    settings = caprover.load_settings(project)
    recorded = history.read(settings.history_path)
    for note in recorded.warnings():
        progress_console.print(f"[yellow]warning:[/] {escape(note)}", soft_wrap=True)
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
def quick(c, service=None, to=None, yes=False, dry_run=False, wait=False, json_=False):
    """Redeploy the previous successful image of each service (or --to SHA) through CapRover."""
    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.deploy import caprover, rollback
    from dockyard.deploy import deployer as deploying

    _, settings, recorded = _load()
    plan = rollback.plan_quick(
        recorded.entries, services=service or None, to=to, source=str(settings.history_path)
    )
    jobs = [
        deploying.Job(
            s.service, settings.app_for(s.service), s.target.image, s.target.sha, "rollback"
        )
        for s in plan.steps
    ]
    with progress_console.status("checking tokens and images"):
        prepared = deploying.preflight(jobs, settings)
    if not json_:
        _show_plan(plan, prepared, settings.url)
    if dry_run:
        if json_:
            console.print_json(json.dumps({"dry_run": True, **plan.to_dict()}))
        else:
            console.print("dry run: nothing deployed")
        return
    if not confirm(
        f"Roll back {len(plan.steps)} service(s) on {caprover.safe_url(settings.url)}?", yes
    ):
        raise DockyardError("not confirmed: nothing deployed, history unchanged")
    with progress_console.status("deploying"):
        entries = deploying.run_all(
            prepared,
            settings,
            wait=wait,
            on_done=lambda e: progress_console.print(f"{e.service}: {e.result}"),
        )
    if json_:
        console.print_json(json.dumps({**plan.to_dict(), "results": [asdict(e) for e in entries]}))
    else:
        for entry in entries:
            console.print(
                f"{entry.service}: {entry.result} -> {entry.image} ({entry.detail})", markup=False
            )


@task(
    iterable=["target"],
    help={
        "ref": "git ref (SHA, tag, branch) to rebuild and redeploy",
        "target": "bake target / service to rebuild (repeatable); default: all [caprover.apps]",
        "push": "docker push the rebuilt images before deploying (CapRover pulls them)",
        "yes": "do not ask for confirmation",
        "dry-run": "print the checklist only",
        "wait": "let CapRover answer only when each deploy is done",
    },
)
def full(c, ref, target=None, push=False, yes=False, dry_run=False, wait=False):
    """The card's full rollback: rebuild REF with its own bake file, redeploy; list manual steps."""
    from rich.markup import escape

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.views.build import LiveProgress
    from dockyard.deploy import caprover, rollback

    project, settings, recorded = _load()
    targets = list(dict.fromkeys(target or settings.apps))
    for name in targets:
        settings.app_for(name)
    sha = rollback.resolve_ref(project.root, ref)
    bake_file = str(project.get("bake_file"))
    has_bake = rollback.has_file_at(project.root, sha, bake_file)
    images = {t: settings.image_for(t, sha) for t in targets if t in settings.images}
    quick_hint = None
    if any(e.ok and len(e.sha) >= 7 and sha.startswith(e.sha) for e in recorded.entries):
        quick_hint = (
            f"{rollback.short(sha)} was deployed before: `invoke rollback.quick --to "
            f"{rollback.short(sha)}` redeploys its recorded images without a rebuild"
        )
    items = rollback.full_checklist(
        ref, sha, targets, images, has_bake, bake_file, push, quick_hint
    )
    _show_checklist(items)
    if dry_run:
        console.print("dry run: nothing run")
        return
    if not has_bake:
        raise DockyardError(
            f"{rollback.short(sha)} has no {bake_file}: follow the manual steps above"
        )
    if not confirm(
        f"Rebuild {', '.join(targets)} from {rollback.short(sha)} and deploy to "
        f"{caprover.safe_url(settings.require_url())}?",
        yes,
    ):
        raise DockyardError("not confirmed: nothing built or deployed")
    with LiveProgress() as live:
        entries = rollback.run_full(
            project,
            settings,
            sha,
            targets,
            push=push,
            wait=wait,
            log=lambda m: progress_console.print(f"[dim]rollback:[/] {escape(m)}"),
            on_line=live,
        )
    for entry in entries:
        console.print(f"{entry.service}: {entry.result} -> {entry.image}", markup=False)
    console.print("still to do by hand: the steps marked [you] above", markup=False)


@task(
    name="history",
    help={
        "service": "show only this service",
        "limit": "how many of the latest entries to show (default 20)",
        "json": "print the entries as JSON lines",
    },
)
def show_history(c, service=None, limit=20, json_=False):
    """Show the deploy history: what was deployed where, when, and how it went."""
    from rich.markup import escape
    from rich.table import Table

    from dockyard.cli.console import console
    from dockyard.deploy import history, rollback

    _, settings, recorded = _load()
    entries = [e for e in recorded.entries if service in (None, e.service)][-int(limit) :]
    if json_:
        for entry in entries:
            console.print(json.dumps(asdict(entry)), markup=False, soft_wrap=True)
        return
    if not entries:
        console.print(f"no deploys recorded in {settings.history_path}")
        return
    table = Table(title=f"deploy history ({settings.history_path})")
    for column in ("time", "service", "action", "sha", "result", "image"):
        table.add_column(column)
    for e in entries:
        style = "green" if e.ok else ("red" if e.result == history.FAILED else "yellow")
        table.add_row(
            e.time[:19].replace("T", " "),
            escape(e.service),
            e.action,
            escape(rollback.short(e.sha)),
            f"[{style}]{e.result}[/]",
            escape(e.image),
        )
    console.print(table)


def _show_plan(plan: rollback.Plan, prepared: list[deploying.Prepared], url: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from dockyard.cli.console import console
    from dockyard.deploy import caprover, rollback

    table = Table(title=f"rollback plan ({caprover.safe_url(url)})")
    for column in ("service", "app", "now", "back to", "deployed at", "image"):
        table.add_column(column)
    for step, ready in zip(plan.steps, prepared, strict=True):
        now = rollback.short(step.current.sha) if step.current else "?"
        found = "local" if ready.image.where == "local" else f"registry {ready.image.detail}"
        table.add_row(
            escape(step.service),
            escape(step.app),
            escape(now),
            escape(rollback.short(step.target.sha)),
            step.target.time[:19].replace("T", " "),
            escape(f"{step.target.image} ({found})"),
        )
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)


def _show_checklist(items: list[rollback.Item]) -> None:
    """A numbered list, commands on their own unwrapped lines so they can be copied."""
    from dockyard.cli.console import console

    console.print("full rollback checklist ([dockyard] runs it, [you] do it):", markup=False)
    for number, item in enumerate(items, start=1):
        console.print(
            f"{number:2d}. [{'dockyard' if item.run else 'you'}] {item.title}",
            markup=False,
            soft_wrap=True,
        )
        for line in item.detail.splitlines():
            console.print(f"      {line}", markup=False, soft_wrap=True)


ns = Collection("rollback", quick, full, show_history)
