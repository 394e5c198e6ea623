"""Where a rollback learns what was deployed: CapRover's versions, the registry's tags, the local history.

The local deploy history (`.dockyard/deploy-history.jsonl`) only knows the deploys made from
this checkout; a fresh CI runner has none. So each service's timeline comes from the most
durable source that has one, in this order (docs/rollback.md):

1. **CapRover's version history** (where an admin password is configured): what CapRover
   deployed, in order, and which version runs now (`deployedVersion`). It wins over everything.
2. **The registry's tags** of the service's repository: every pushed SHA, ordered by the commit
   time `build.*` labels the image with (`dockyard.commit-time`; else the config's `created`).
   The registry records pushes, not deploys, so what runs now comes from the live system when
   there is one (the stage's Swarm service), else from the local history's last successful
   deploy, else it is taken to be the newest tag. When what runs is not among the tags (an
   image pushed under another tag), the local history is used if it knows it.
3. **The local history**, a cache: used alone only when neither of the above has the service
   (a registry that is not reachable without a login, say).

When the sources disagree the higher one wins and the plan carries a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dockyard.build.revision import COMMIT_TIME_LABEL, REVISION_LABEL, is_sha_tag
from dockyard.core.imageref import parse_ref
from dockyard.deploy import history
from dockyard.deploy.caprover_versions import AppHistory
from dockyard.deploy.history import Entry
from dockyard.deploy.registry import Registry, RegistryError

CAPROVER = "caprover"
REGISTRY = "registry"
LOCAL = "local"
SOURCE_WORDS = {
    CAPROVER: "CapRover's version history",
    REGISTRY: "the registry's tags",
    LOCAL: "the local deploy history",
}
PUSHED = history.PUSHED
PLACEHOLDER = "caprover-placeholder"  # CapRover's version 0 runs its placeholder app image
CAPTAIN_IMAGE = re.compile(r"(^|/)img-captain-[a-z0-9-]+:\d+$")  # what CapRover names images it built


@dataclass
class Timeline:
    """One service's deploys (oldest first) as the rollback plan reads them, and where they came from."""

    service: str
    source: str  # CAPROVER, REGISTRY or LOCAL
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)
    current_sha: str | None = None  # what runs now, when a source says so

    @property
    def words(self) -> str:
        return SOURCE_WORDS[self.source]


# --------------------------------------------------------------------------- CapRover


def caprover_entries(app: AppHistory, service: str, server: str) -> list[Entry]:
    """CapRover's versions of one app as deploy entries.

    A version whose deploy did not complete (empty image) is `failed`; a version after the one
    running is `unknown`. A version with the SHA of an earlier one is a rollback to it (the
    dashboard's "revert" builds `FROM` the old image as `img-captain-APP:N`, keeping the SHA in
    `gitHash`): it gets the earlier image, so the plan's stack pops back to it."""
    entries: list[Entry] = []
    by_sha: dict[str, str] = {}
    for version in app.versions:
        if PLACEHOLDER in version.image:
            continue
        sha = version.git_hash if is_sha_tag(version.git_hash) else _sha_of(version.image)
        image, action = version.image, "deploy"
        if version.image and sha and sha in by_sha:
            action = "rollback"
            if CAPTAIN_IMAGE.search(version.image):
                image = by_sha[sha]
        if not version.image:
            result = history.FAILED
        elif app.deployed_version is not None and version.version > app.deployed_version:
            result = history.UNKNOWN
        else:
            result = history.DEPLOYED
        if result == history.DEPLOYED and sha and not CAPTAIN_IMAGE.search(image):
            by_sha.setdefault(sha, image)
        entries.append(
            Entry(
                time=_iso(version.time),
                service=service,
                image=image or "(deploy did not complete)",
                sha=sha or f"v{version.version}",
                result=result,
                app=app.app,
                action=action,
                detail=f"CapRover version {version.version}"
                + (" (running)" if version.version == app.deployed_version else ""),
                server=server,
            )
        )
    return entries


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class PushedTag:
    tag: str
    ref: str
    order_time: str  # the commit time, else the image's created time ("" when neither)
    revision: str
    order_from: str  # "commit" or "created"


def registry_tags(registry: Registry, image: str) -> list[PushedTag]:
    """The SHA tags of a service's repository, oldest commit first (RegistryError if unreachable)."""
    path = registry.repository_for(image)
    found = []
    for tag in registry.tags(path):
        if not is_sha_tag(tag):
            continue  # latest, cache tags, test tags
        config = registry.image_config(path, tag) or {}
        labels = (config.get("config") or {}).get("Labels") or {}
        commit_time = str(labels.get(COMMIT_TIME_LABEL) or "")
        created = str(config.get("created") or "")
        found.append(
            PushedTag(
                tag=tag,
                ref=f"{registry.host}/{path}:{tag}",
                order_time=_iso(commit_time or created),
                revision=str(labels.get(REVISION_LABEL) or ""),
                order_from="commit" if commit_time else "created",
            )
        )
    found.sort(key=lambda t: (_when(t.order_time), t.tag))
    return found


def registry_entries(tags: list[PushedTag], service: str, app: str, server: str) -> list[Entry]:
    return [
        Entry(
            time=t.order_time or history.now(),
            service=service,
            image=t.ref,
            sha=t.tag,
            result=PUSHED,
            app=app,
            action="deploy",
            detail=f"in the registry; ordered by its {'commit time' if t.order_from == 'commit' else 'build time'}",
            server=server,
        )
        for t in tags
    ]


def up_to(entries: list[Entry], sha: str) -> list[Entry] | None:
    """The entries up to and including the last one of `sha` (a unique prefix will do); None if absent."""
    index = next((i for i in range(len(entries) - 1, -1, -1) if _same_sha(entries[i].sha, sha)), None)
    return None if index is None else entries[: index + 1]


# --------------------------------------------------------------------------- choosing


def timeline(
    service: str,
    app: str,
    local: list[Entry],
    caprover: AppHistory | None = None,
    caprover_server: str = "",
    image: str | None = None,
    registry: Registry | None = None,
    live_sha: str | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Timeline:
    """The best timeline for one service (see the module's docstring for the order)."""
    local_top = _top(local)
    if caprover is not None:
        entries = caprover_entries(caprover, service, caprover_server)
        line = Timeline(service, CAPROVER, entries)
        running = caprover.current
        line.current_sha = _top(entries).sha if _top(entries) else None
        if running is not None and local_top is not None and not _same_sha(local_top.sha, line.current_sha or ""):
            line.notes.append(
                f"{service}: the local history says {local_top.sha[:12]} runs, CapRover says "
                f"{(line.current_sha or '?')[:12]} (version {running.version}); CapRover's version history wins"
            )
        return line
    if registry is not None and image:
        try:
            tags = registry_tags(registry, image)
        except RegistryError as exc:
            warn(f"{service}: the registry's tags could not be read ({exc}); using the local history")
            tags = []
        if tags:
            entries = registry_entries(tags, service, app, registry.host)
            current, said = _registry_current(live_sha, local_top)
            if current is None:
                return Timeline(
                    service, REGISTRY, entries, current_sha=entries[-1].sha,
                    notes=[f"{service}: nothing says which SHA runs now; taking the newest pushed one "
                           f"({entries[-1].sha[:12]}) as running"],
                )
            kept = up_to(entries, current)
            if kept is not None:
                return Timeline(service, REGISTRY, kept, current_sha=current)
            if local_top is not None and _same_sha(local_top.sha, current):
                # what runs is not a SHA the registry has (a test image, say): only the local
                # history can place it
                return Timeline(
                    service, LOCAL, list(local), current_sha=current,
                    notes=[f"{service}: {said} runs {current[:12]}, which is not among the registry's SHA tags; "
                           f"going by the local history"],
                )
            return Timeline(
                service, REGISTRY, entries, current_sha=entries[-1].sha,
                notes=[f"{service}: {said} runs {current[:12]}, which is not among the registry's tags; "
                       f"taking the newest pushed one ({entries[-1].sha[:12]}) as running"],
            )
    return Timeline(service, LOCAL, list(local), current_sha=local_top.sha if local_top else None)


def _registry_current(live_sha: str | None, local_top: Entry | None) -> tuple[str | None, str]:
    if live_sha:
        return live_sha, "the stage"
    if local_top is not None:
        return local_top.sha, "the local history says it"
    return None, ""


def _top(entries: list[Entry]) -> Entry | None:
    from dockyard.deploy.rollback import deploy_stack

    stack = deploy_stack(entries)
    return stack[-1] if stack else None


def _same_sha(a: str, b: str) -> bool:
    """Equal, or one is a prefix (of at least 7 digits) of the other: `3f2a9c0d1e2f` and the full SHA."""
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer or (len(shorter) >= 7 and longer.startswith(shorter))


def _sha_of(image: str) -> str:
    tag = parse_ref(image).tag or "" if image else ""
    return tag if is_sha_tag(tag) else ""


def _iso(text: str) -> str:
    """Any ISO 8601 time as dockyard's history writes it (UTC, microseconds, Z); '' stays ''."""
    if not text:
        return ""
    when = _when(text)
    return text if when.year == 1 else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _when(text: str) -> datetime:
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))  # Go's nanoseconds
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
