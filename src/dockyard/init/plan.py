"""The plan: every file init would create, append to, edit or replace, decided before anything is written.

Rules: a missing file is created; an existing one is kept unless --force, which replaces it and
archives the old one under deployment/archive/<UTC time>/<its path> (the card's "Archive old
Dockerfiles"). .dockerignore is only ever appended to, pyproject.toml gets a [tool.dockyard] table
(its other lines stay; an existing table is replaced only with --force, the old file archived), and
urls.py gets one import and one route with --add-health-view when it is simple enough to edit.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from dockyard.init.facts import SiteFacts
from dockyard.init.generate import contract, files
from dockyard.init.generate.dockerfile import dockerfile
from dockyard.init.generate.files import InstallSpec
from dockyard.init.pyproject import has_tool_dockyard, with_tool_dockyard
from dockyard.init.snapshot import Snapshot
from dockyard.init.urls_edit import add_route
from dockyard.lint.dockerignore import DockerIgnore, parse

ARCHIVE_DIR = "deployment/archive"
DOCKERFILE = "deployment/Dockerfile.multistage"
BAKE_FILE = "deployment/docker-bake.multistage.hcl"
COMPOSE_FILE = "deployment/docker-compose.test.yml"
ENTRYPOINT = "deployment/entrypoints/docker-entrypoint.sh"


@dataclass(frozen=True)
class Action:
    path: str
    kind: str  # create, replace, append, edit, keep
    text: str | None  # the new content (create, replace, edit) or the lines appended (append)
    detail: str
    archive: str | None = None  # replace: where the old file goes
    mode: int = 0o644


@dataclass
class Plan:
    facts: SiteFacts
    actions: list[Action] = field(default_factory=list)
    blocked: str | None = None  # why nothing can be written (no health path)
    decisions: list[str] = field(default_factory=list)  # what the user still has to decide

    @property
    def writes(self) -> list[Action]:
        return [a for a in self.actions if a.kind != "keep"]


def archive_path(path: str, stamp: str) -> str:
    return f"{ARCHIVE_DIR}/{stamp}/{path}"


def _whole_file(
    plan: Plan, snapshot: Snapshot, path: str, text: str, force: bool, stamp: str, mode: int = 0o644
) -> None:
    if not snapshot.exists(path):
        plan.actions.append(Action(path, "create", text, "new", mode=mode))
        return
    if snapshot.text(path) == text:
        plan.actions.append(Action(path, "keep", None, "unchanged"))
        return
    if force:
        archived = archive_path(path, stamp)
        plan.actions.append(Action(path, "replace", text, f"the old file goes to {archived}", archived, mode))
        return
    plan.actions.append(Action(path, "keep", None, "exists; --force replaces it (the old one archived)"))


def dockerignore_additions(existing: str | None, facts: SiteFacts) -> list[str]:
    """Lines to append so the context keeps what the build copies and leaves out what must not ship.
    Judged with the linter's model of BuildKit's matcher (last match wins, `!` re-includes)."""
    added: list[str] = []

    def ignore() -> DockerIgnore:
        return DockerIgnore(None, parse((existing or "") + "\n" + "\n".join(added)))

    for path in files.needed_paths(facts):
        if ignore().excludes(path):
            added.append(f"!{path}")
    for pattern, probe in files.probe_paths(facts).items():
        if not ignore().excludes(probe):
            added.append(pattern)
    return added


def _dockerignore(plan: Plan, snapshot: Snapshot, facts: SiteFacts) -> None:
    path = ".dockerignore"
    if snapshot.exists(f"{DOCKERFILE}.dockerignore"):
        path = f"{DOCKERFILE}.dockerignore"  # BuildKit prefers the Dockerfile's own ignore file
    existing = snapshot.text(path)
    added = dockerignore_additions(existing, facts)
    if not added:
        plan.actions.append(Action(path, "keep", None, "already keeps out what must not ship"))
        return
    header = "# Added by `dockyard init`: what the images need stays in, what must not ship stays out.\n"
    text = header + "\n".join(added) + "\n"
    if existing is None:
        plan.actions.append(Action(path, "create", text, f"{len(added)} entries"))
    else:
        separator = "" if existing.endswith("\n") or not existing else "\n"
        plan.actions.append(Action(path, "append", separator + "\n" + text, f"+{len(added)}: {' '.join(added)}"))


def _pyproject(plan: Plan, snapshot: Snapshot, facts: SiteFacts, force: bool, stamp: str) -> None:
    path = "pyproject.toml"
    table = contract.render_tool_dockyard(facts)
    existing = snapshot.text(path)
    if existing is None:
        plan.actions.append(Action(path, "create", with_tool_dockyard(None, table), "[tool.dockyard] only"))
    elif not has_tool_dockyard(existing):
        plan.actions.append(Action(path, "edit", with_tool_dockyard(existing, table), "append [tool.dockyard]"))
    elif with_tool_dockyard(existing, table) == existing:
        plan.actions.append(Action(path, "keep", None, "[tool.dockyard] unchanged"))
    elif force:
        archived = archive_path(path, stamp)
        replaced = with_tool_dockyard(existing, table)
        plan.actions.append(
            Action(path, "edit", replaced, f"replace [tool.dockyard]; old file to {archived}", archived)
        )
    else:
        plan.actions.append(Action(path, "keep", None, "has [tool.dockyard]; --force replaces the table"))


def _health_view(plan: Plan, snapshot: Snapshot, facts: SiteFacts, urlconf: str | None) -> None:
    """--add-health-view: the view module next to urls.py, and the route (added, or printed)."""
    if urlconf is None:
        plan.decisions.append("ROOT_URLCONF is not set: add the health view's route yourself")
        return
    package = posixpath.dirname(urlconf)
    module_name = "health" if not snapshot.exists(posixpath.join(package, "health.py")) else "dockyard_health"
    view_path = posixpath.join(package, f"{module_name}.py")
    route = facts.health_path.strip("/") + "/" if facts.health_path and facts.health_path != "/" else ""
    plan.actions.append(
        Action(view_path, "create", files.health_view(facts.health_path or "", "healthz"), "the health view")
    )
    root = facts.project_dir
    relative = posixpath.relpath(package, root) if root != "." else package
    dotted = relative.replace("/", ".")
    import_line = f"from {dotted} import {module_name}" if dotted not in (".", "") else f"import {module_name}"
    route_line = f'path("{route}", {module_name}.healthz, name="healthz"),'
    edited = add_route(snapshot.text(urlconf) or "", import_line, route_line)
    if edited is None:
        plan.decisions.append(f"add to {urlconf}: `{import_line}` and, in urlpatterns, `{route_line}`")
    else:
        plan.actions.append(Action(urlconf, "edit", edited, f"add `{import_line}` and `{route_line}`"))


def make_plan(
    facts: SiteFacts,
    snapshot: Snapshot,
    install: InstallSpec,
    *,
    force: bool = False,
    stamp: str = "now",
) -> Plan:
    """Pure: what init would do in a repository in the state `snapshot` shows."""
    plan = Plan(facts, decisions=list(facts.notes))
    if facts.health_path is None:
        plan.blocked = (
            "no health endpoint found (no URL pattern mentions health, healthz, ready, live, status or ping): "
            "pass --add-health-view to add one, or --health-path PATH to name yours"
        )
        for path in (
            DOCKERFILE,
            BAKE_FILE,
            COMPOSE_FILE,
            ENTRYPOINT,
            ".dockerignore",
            "tasks.py",
            "noxfile.py",
            "pyproject.toml",
        ):
            plan.actions.append(Action(path, "keep", None, "not written until the health path is settled"))
        return plan
    _whole_file(plan, snapshot, DOCKERFILE, dockerfile(facts), force, stamp)
    _whole_file(plan, snapshot, BAKE_FILE, files.bake_file(facts), force, stamp)
    _whole_file(plan, snapshot, COMPOSE_FILE, files.compose_file(facts), force, stamp)
    _whole_file(plan, snapshot, ENTRYPOINT, files.entrypoint(facts), force, stamp, mode=0o755)
    _dockerignore(plan, snapshot, facts)
    _whole_file(plan, snapshot, "tasks.py", files.tasks_py(), force, stamp)
    _whole_file(plan, snapshot, "noxfile.py", files.noxfile(install), force, stamp)
    _pyproject(plan, snapshot, facts, force, stamp)
    if facts.health_added:
        _health_view(plan, snapshot, facts, facts.urlconf_path)
    plan.decisions += standing_decisions(facts)
    return plan


def standing_decisions(facts: SiteFacts) -> list[str]:
    """What init cannot know and the user decides (always listed, so nothing is silently assumed)."""
    out = [
        "the CapRover app names ([tool.dockyard.services.*] app)",
        "the round-trip task of test.compose ([tool.dockyard.celery.round_trip]: Celery's own "
        "celery.accumulate, or one of the site's tasks with its result)",
        f"that the probe's Host (127.0.0.1) is in ALLOWED_HOSTS and GET {facts.health_path} is not redirected to https",
    ]
    if facts.heartbeat_task:
        out.append(
            f"whether {facts.heartbeat_task} is the heartbeat, and what it leaves behind (a model row or a log line)"
        )
    if "flower" not in facts.dependencies.packages:
        out.append("flower is not in the production dependencies: the flower image will not start until it is")
    return out
