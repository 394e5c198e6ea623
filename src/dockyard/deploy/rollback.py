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

import io
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.deploy.history import Entry

MIN_SHA_PREFIX = 4


class NoHistory(DockyardError):
    """Nothing recorded to roll back to."""


class UnknownSha(DockyardError):
    """--to names no successful deploy (or more than one)."""


class NothingToRollBack(DockyardError):
    """A service has no earlier successful deploy."""


@dataclass(frozen=True)
class Step:
    service: str
    app: str
    current: Entry | None
    target: Entry


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
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
            target = find_sha(mine, to, service, narrow)
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
            Step(service=service, app=target.app or current.app, current=current, target=target)
        )
    if not plan.steps:
        raise NothingToRollBack(f"every service already runs {to}: nothing to do")
    return plan


def find_sha(entries: list[Entry], wanted: str, service: str, narrow: str = "") -> Entry:
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
            f"{wanted}{hint} is not a successful deploy of {service} in the history "
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


def resolve_ref(root: Path, ref: str) -> str:
    """The full commit SHA of `ref` in the git repository at `root` (read-only)."""
    if not ref or ref.startswith("-"):
        raise ConfigError(f"{ref!r} is not a git ref")
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ConfigError(
            f"{ref!r} is not a commit in {root} (git rev-parse failed); try a branch, tag or SHA"
        )
    return proc.stdout.strip()


def has_file_at(root: Path, sha: str, relative: str) -> bool:
    proc = subprocess.run(
        ["git", "-C", str(root), "cat-file", "-e", f"{sha}:{relative}"], capture_output=True
    )
    return proc.returncode == 0


def export_tree(root: Path, sha: str, dest: Path) -> None:
    """The tracked files of `sha` into `dest` (`git archive`, tarfile's safe 'data' filter)."""
    proc = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", sha], capture_output=True
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise DockyardError(f"git archive {short(sha)} failed: {tail[0]}")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout), mode="r:") as archive:
        archive.extractall(dest, filter="data")


def run_full(
    project,
    settings,
    sha: str,
    targets: list[str],
    push: bool = False,
    wait: bool = False,
    log=print,
    on_line=lambda line, vertex, build_log: None,
) -> list[Entry]:  # noqa: ANN001
    """Rebuild `targets` from `sha` with its own bake file, push (optional), redeploy, record."""
    import tempfile

    from dockyard.build.runner import BuildRequest, run_build
    from dockyard.deploy import deployer as deploy

    for target in targets:  # fail on config and tokens before an expensive build
        settings.token_for(target)
    settings.require_url()
    with tempfile.TemporaryDirectory(prefix="dockyard-rollback-") as tmp:
        context = Path(tmp)
        log(f"exporting {short(sha)} to {context}")
        export_tree(project.root, sha, context)
        log(f"building {', '.join(targets)} from {short(sha)}")
        result = run_build(
            project,
            BuildRequest(names=targets, context_root=context, variables={"TAG": sha}),
            on_line=on_line,
            log=log,
        )
    built = {t.target: t.tag for t in result.targets if t.tag}
    missing = [t for t in targets if t not in built]
    if missing:
        raise DockyardError(
            f"the bake file of {short(sha)} gave no image tag for {', '.join(missing)}"
        )
    if push:
        for target in targets:
            log(f"docker push {built[target]}")
            proc = subprocess.run(["docker", "push", built[target]], capture_output=True, text=True)
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]
                raise DockyardError(
                    f"docker push {built[target]} failed: {tail[0]}; nothing was deployed"
                )
    jobs = [
        deploy.Job(t, settings.app_for(t), built[t], sha, action="rollback-full") for t in targets
    ]
    prepared = deploy.preflight(jobs, settings)
    return deploy.run_all(
        prepared, settings, wait=wait, on_done=lambda e: log(f"{e.service}: {e.result}")
    )
