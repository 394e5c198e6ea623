"""Rollback planning: pure functions over the deploy history, plus the full-rollback checklist.

Quick rollback (card: "Redeploy previous images") picks, for each service, the
image to go back to:

* the successful deploys of a service form a stack: a deploy pushes its image
  (a redeploy of the same image replaces the top), a rollback pops back to the
  image it restored. So rolling back twice goes two deploys back instead of
  flipping between the last two images;
* `--to SHA` picks the latest successful deploy of that SHA (a unique prefix
  of at least 4 characters is enough) instead.

Full rollback (card: "Trigger new build with old setup") rebuilds the images
from a git ref with the bake file of that ref and redeploys them; what cannot
be run (reverting CI workflows, backwards migrations) is printed as a checklist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.build.progress import Update
from dockyard.build.revision import commit
from dockyard.build.runner import BuildRequest, run_build
from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.core.tempdirs import run_tempdir
from dockyard.deploy.caprover import DeployConfig
from dockyard.deploy.deployer import Job, preflight, run_all
from dockyard.deploy.history import Entry
from dockyard.docker.git import archive, has_file, resolve_commit
from dockyard.docker.images import ImageError, push

MIN_SHA_PREFIX = 4


class NoHistory(DockyardError):
    """Nothing recorded to roll back to."""


class UnknownSha(DockyardError):
    """--to names no successful deploy (or more than one)."""


class NothingToRollBack(DockyardError):
    """A service has no earlier successful deploy."""


@dataclass(frozen=True)
class RollbackStep:
    service: str
    app: str
    current: Entry | None
    target: Entry


@dataclass
class Plan:
    steps: list[RollbackStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "steps": [
                {
                    "service": s.service,
                    "app": s.app,
                    "from_image": s.current.image if s.current else None,
                    "from_sha": s.current.sha if s.current else None,
                    "to_image": s.target.image,
                    "to_sha": s.target.sha,
                    "to_deployed_at": s.target.time,
                }
                for s in self.steps
            ],
            "notes": list(self.notes),
        }


def deploy_stack(entries: list[Entry]) -> list[Entry]:
    """The successful deploys of one service still "underneath" the running one, oldest first."""
    stack: list[Entry] = []
    for entry in entries:
        if not entry.ok:
            continue
        if entry.action.startswith("rollback"):
            index = next(
                (i for i in range(len(stack) - 1, -1, -1) if stack[i].image == entry.image), None
            )
            if index is not None:
                del stack[index + 1 :]
                stack[index] = entry
                continue
        if stack and stack[-1].image == entry.image:
            stack[-1] = entry
        else:
            stack.append(entry)
    return stack


def plan_quick(
    entries: list[Entry],
    services: list[str] | None = None,
    to: str | None = None,
    source: str = "the deploy history",
    known_from: str = "the history",
) -> Plan:
    """Which image each service goes back to. Raises NoHistory / UnknownSha / NothingToRollBack."""
    if not entries:
        raise NoHistory(
            f"no deploys recorded in {source}: nothing to roll back to "
            f"(deploys made with `invoke deploy` are recorded)"
        )
    recorded = list(dict.fromkeys(e.service for e in entries))
    scope = (
        list(dict.fromkeys(services))
        if services
        else [s for s in recorded if any(e.ok for e in entries if e.service == s)]
    )
    if not scope:
        raise NoHistory(f"no successful deploy recorded in {source}: nothing to roll back to")
    narrow = "" if services or len(scope) == 1 else " (roll back fewer services with --service)"
    plan = Plan()
    for service in scope:
        mine = [e for e in entries if e.service == service]
        stack = deploy_stack(mine)
        if not stack:
            raise NoHistory(
                f"no successful deploy of {service} in {source}"
                + (
                    f" (services recorded: {', '.join(recorded)})"
                    if service not in recorded
                    else ""
                )
            )
        current = stack[-1]
        if to is None:
            if len(stack) < 2:
                raise NothingToRollBack(
                    f"{service} has one successful deploy ({short(current.sha)}) and "
                    f"nothing earlier to roll back to{narrow}"
                )
            target = stack[-2]
        else:
            target = find_sha(mine, to, service, narrow, known_from)
            if target.image == current.image:
                plan.notes.append(f"{service} already runs {target.image}; left as is")
                continue
        last = mine[-1]
        if not last.ok:
            plan.notes.append(
                f"{service}: the last attempt ({last.action} of {short(last.sha)} at {last.time}) "
                f"was {last.result}; CapRover may not run {short(current.sha)}"
            )
        plan.steps.append(
            RollbackStep(service=service, app=target.app or current.app, current=current, target=target)
        )
    if not plan.steps:
        raise NothingToRollBack(f"every service already runs {to}: nothing to do")
    return plan


def find_sha(
    entries: list[Entry], wanted: str, service: str, narrow: str = "", known_from: str = "the history"
) -> Entry:
    """The latest successful deploy of `service` whose SHA is `wanted` or starts with it."""
    wanted = wanted.strip()
    successful = [e for e in entries if e.ok]
    exact = [e for e in successful if e.sha == wanted]
    matches = exact or (
        [e for e in successful if e.sha.startswith(wanted)] if len(wanted) >= MIN_SHA_PREFIX else []
    )
    if not matches:
        known = ", ".join(dict.fromkeys(short(e.sha) for e in reversed(successful))) or "none"
        hint = f" (at least {MIN_SHA_PREFIX} characters)" if len(wanted) < MIN_SHA_PREFIX else ""
        raise UnknownSha(
            f"{wanted}{hint} is not a successful deploy of {service} in {known_from} "
            f"(known, newest first: {known}){narrow}; to deploy any other build use "
            f"`invoke deploy {service} --tag SHA`"
        )
    shas = list(dict.fromkeys(e.sha for e in matches))
    if len(shas) > 1:
        raise UnknownSha(
            f"{wanted} matches several deploys of {service}: {', '.join(map(short, shas))}; "
            f"give more characters"
        )
    return matches[-1]


def short(sha: str) -> str:
    return sha[:12]


# ---------------------------------------------------------------- full rollback


@dataclass(frozen=True)
class Item:
    """One line of the full-rollback checklist."""

    key: str  # resolve, workflows, export, build, push, deploy, data, verify
    title: str
    run: bool  # dockyard runs it; otherwise it is for a person to do
    detail: str = ""


def full_checklist(
    ref: str,
    sha: str,
    targets: list[str],
    images: dict[str, str],
    has_bake_file: bool,
    bake_file: str,
    push: bool,
    quick_hint: str | None = None,
) -> list[Item]:
    """The card's full rollback, as the steps dockyard runs and the ones it leaves to you."""
    items = [
        Item("resolve", f"Resolve {ref}", True, f"{ref} is commit {sha}"),
        Item(
            "workflows",
            "Revert CI workflows to the old configuration",
            False,
            f"git diff {short(sha)} -- .github/workflows   # review\n"
            f"git checkout {short(sha)} -- .github/workflows && "
            f"git commit -m 'Revert workflows to {short(sha)}'",
        ),
    ]
    if quick_hint:
        items.append(Item("quick", "Faster alternative", False, quick_hint))
    items.append(
        Item(
            "export",
            f"Export the tracked files of {short(sha)} (an isolated build context)",
            True,
            f"git archive {sha} | tar -x -C <temporary directory>",
        )
    )
    if has_bake_file:
        items.append(
            Item(
                "build",
                f"Rebuild {', '.join(targets)} with the bake file of {short(sha)}",
                True,
                f"TAG={sha} docker buildx bake -f {bake_file} {' '.join(targets)}",
            )
        )
    else:
        items.append(
            Item(
                "build",
                "Restore the old Dockerfiles and build with the old setup",
                False,
                f"{short(sha)} has no {bake_file}: restore the old Dockerfiles from backup, build "
                f"them with the old workflow, then deploy with `invoke deploy SERVICE --image REF`",
            )
        )
    pushes = (
        "\n".join(f"docker push {images[t]}" for t in targets if t in images) or "docker push IMAGE"
    )
    items.append(
        Item(
            "push",
            "Push the images to the registry CapRover pulls from",
            push and has_bake_file,
            pushes
            if push
            else pushes + "\n(skip when CapRover runs on this Docker host; or pass --push)",
        )
    )
    items.append(
        Item(
            "deploy",
            "Redeploy through CapRover and record it in the history",
            has_bake_file,
            "\n".join(f"{t} -> {images.get(t, '?')}" for t in targets),
        )
    )
    items.append(
        Item(
            "data",
            "No data loss: the databases stay",
            False,
            "if the old code predates migrations already applied, migrate back first:\n"
            "python manage.py showmigrations   # then: python manage.py migrate APP MIGRATION",
        )
    )
    items.append(
        Item(
            "verify",
            "Verify",
            False,
            "curl -f https://<app>/health/\n"
            "docker logs <celery container> | grep -E '(worker|beat)'",
        )
    )
    return items


def quick_hint(entries: list[Entry], sha: str) -> str | None:
    """When `sha` was deployed before, the faster way back: `rollback.quick --to SHA`."""
    if any(e.ok and len(e.sha) >= 7 and sha.startswith(e.sha) for e in entries):
        return (
            f"{short(sha)} was deployed before: `invoke rollback.quick --to {short(sha)}` "
            f"redeploys its recorded images without a rebuild"
        )
    return None


def quick_jobs(plan: Plan, config: DeployConfig) -> list[Job]:
    """The deploys a quick rollback plan makes."""
    return [Job(s.service, config.app_for(s.service), s.target.image, s.target.sha, "rollback") for s in plan.steps]


@dataclass(frozen=True)
class FullPlan:
    ref: str
    sha: str
    services: list[str]
    targets: dict[str, str]  # service -> the bake target that builds it
    bake_file: str
    has_bake_file: bool
    push: bool
    items: list[Item]


def plan_full(
    project: Project, config: DeployConfig, entries: list[Entry], ref: str, services: list[str], push: bool
) -> FullPlan:
    """Resolve REF, check every service has an app and a bake target, and write the checklist."""
    services = list(dict.fromkeys(services or config.apps))
    targets = {}
    for name in services:
        config.app_for(name)
        targets[name] = project.settings.service(name).target or name
    sha = resolve_commit(project.root, ref)
    bake_file = project.settings.bake_file
    has_bake = has_file(project.root, sha, bake_file)
    images = {s: config.image_for(s, sha) for s in services if s in config.images}
    items = full_checklist(ref, sha, services, images, has_bake, bake_file, push, quick_hint(entries, sha))
    return FullPlan(ref, sha, services, targets, bake_file, has_bake, push, items)


def run_full(
    project: Project,
    config: DeployConfig,
    plan: FullPlan,
    wait: bool = False,
    log: Callable[[str], None] = lambda message: None,
    on_update: Callable[[Update], None] = lambda update: None,
) -> list[Entry]:
    """Rebuild the services from `plan.sha` with its own bake file, push (optional), redeploy, record."""
    sha, services = plan.sha, plan.services
    for service in services:  # fail on config and tokens before an expensive build
        config.token_for(service)
    config.require_url()
    with run_tempdir("rollback") as context:
        log(f"exporting {short(sha)} to {context}")
        archive(project.root, sha, context)
        names = list(dict.fromkeys(plan.targets[s] for s in services))
        log(f"building {', '.join(names)} from {short(sha)}")
        result = run_build(
            project,
            BuildRequest(
                names=names, context_root=context, variables={"TAG": sha}, labels=commit(project.root, sha).labels()
            ),
            on_update=on_update,
            log=log,
        )
    built = {t.target: t.tag for t in result.targets if t.tag}
    missing = [plan.targets[s] for s in services if plan.targets[s] not in built]
    if missing:
        raise DockyardError(f"the bake file of {short(sha)} gave no image tag for {', '.join(missing)}")
    if plan.push:
        for service in services:
            image = built[plan.targets[service]]
            log(f"docker push {image}")
            try:
                push(image)
            except ImageError as exc:
                raise DockyardError(f"{exc}; nothing was deployed") from None
    jobs = [
        Job(s, config.app_for(s), built[plan.targets[s]], sha, action="rollback-full") for s in services
    ]
    prepared = preflight(jobs, config)
    return run_all(prepared, config, wait=wait, on_done=lambda e: log(f"{e.service}: {e.result}"))
