"""The images `test.zero-downtime` deploys, made from the images the stage runs, and removed after.

* `next`: the same image with one more label, so a new config digest: a deploy that changes
  nothing but the image, as a release that only changes code would;
* `exits`: the web image whose command exits 3 at start (a crash on boot);
* `unhealthy`: the web image whose health check always fails (it serves, but never turns healthy).

Each is built `FROM` the running image (one LABEL or CMD/HEALTHCHECK line, no context), labelled
with the run, pushed to the registry under a tag that is not a SHA (so rollbacks never pick it),
and removed from the registry (by digest) and from this machine afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dockyard.build.revision import COMMIT_TIME_LABEL
from dockyard.core.imageref import parse_ref
from dockyard.deploy.registry import Registry, RegistryError
from dockyard.docker import buildx, images
from dockyard.docker.containers import RUN_LABEL, current_run_id
from dockyard.docker.lock import exclusive_build

VARIANT_LABEL = "dockyard.stage.variant"
EXIT_CODE = 3

DOCKERFILES = {
    "next": 'FROM {base}\nLABEL {labels}\n',
    "exits": (
        "FROM {base}\nLABEL {labels}\n"
        'CMD ["sh", "-c", "echo \'dockyard test image: exits at start on purpose\' >&2; exit ' + str(EXIT_CODE) + '"]\n'
    ),
    "unhealthy": 'FROM {base}\nLABEL {labels}\nHEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD ["false"]\n',
}


@dataclass
class Variants:
    """Made images: (kind, of which service) -> registry reference."""

    registry: Registry
    refs: dict[tuple[str, str], str] = field(default_factory=dict)

    def ref(self, kind: str, service: str) -> str:
        return self.refs[(kind, service)]


def tag_for(kind: str) -> str:
    return f"zd-{current_run_id()}-{kind}"


def dockerfile(kind: str, base: str) -> str:
    # made now, so a newer build than the one it comes from: a later commit time, as a real next
    # build has (the registry's timeline orders SHA tags by it; the base's would tie)
    made = datetime.now(UTC).isoformat(timespec="seconds")
    labels = f'{RUN_LABEL}="{current_run_id()}" {VARIANT_LABEL}="{kind}" {COMMIT_TIME_LABEL}="{made}"'
    return DOCKERFILES[kind].format(base=base, labels=labels)


def make(variants: Variants, kind: str, service: str, base: str) -> str:
    """Build the `kind` variant of `base` (a local image), push it, remember it; its reference."""
    path = variants.registry.repository_for(parse_ref(base).repository)
    ref = f"{variants.registry.host}/{path}:{tag_for(kind)}"
    variants.refs[(kind, service)] = ref  # remembered first: a failed push is still cleaned up
    with exclusive_build():
        buildx.build_from_stdin(dockerfile(kind, base.split("@", 1)[0]), ref)
    for _ in images.push_progress(ref):
        pass
    return ref


def remove(variants: Variants) -> list[str]:
    """Delete every made image from the registry (by digest) and this machine; what could not go."""
    left = []
    for ref in variants.refs.values():
        path, tag = variants.registry.split(ref)
        try:
            digest = variants.registry.manifest_digest(path, tag)
            if digest:
                variants.registry.delete(path, digest)
        except RegistryError as exc:
            left.append(f"{ref} in the registry ({exc})")
        try:
            images.remove_image(ref, force=True)  # the stage's stopped tasks may still name it
        except images.ImageError as exc:
            if "already gone" not in str(exc):
                left.append(f"{ref} on this machine ({exc})")
    return left
