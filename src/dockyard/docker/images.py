"""Images on the engine: look up, measure, remove, save; and the image commands of the docker CLI
(`docker build` of a plain context, `docker import` of a root filesystem, `docker push`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dockyard.core import run_record
from dockyard.core.errors import DockyardError
from dockyard.core.imageref import parse_ref
from dockyard.core.redact import redact
from dockyard.docker import cli
from dockyard.docker.client import APIError, Image, ImageNotFound, NotFound, client, explain


class ImageError(DockyardError):
    """An image is missing, or the engine refused an image operation."""


def get_image(ref: str) -> Image:
    """The local image `ref`; ImageError when it is not on this machine."""
    try:
        return client().images.get(ref)
    except ImageNotFound:
        raise ImageError(f"image {ref} is not present locally (see `docker images`)") from None


def image_exists(ref: str) -> bool:
    try:
        client().images.get(ref)
    except ImageNotFound:
        return False
    return True


def image_attrs(ref: str) -> dict[str, Any]:
    """`docker image inspect` of a local image."""
    return get_image(ref).attrs


def image_size(ref: str) -> int | None:
    """Bytes of a local image, None when it is not there."""
    try:
        return int(client().images.get(ref).attrs["Size"])
    except ImageNotFound:
        return None


def image_history(ref: str) -> list[dict[str, Any]]:
    """`docker history` of a local image, oldest layer first."""
    return list(reversed(client().api.history(get_image(ref).id)))


def registry_digest(ref: str) -> str:
    """The digest the image's registry has for `ref`; ImageError (the engine's reason) when the
    registry does not confirm it."""
    try:
        return str(client().images.get_registry_data(ref).id)
    except APIError as exc:
        raise ImageError(explain(exc)) from None


def pullable(ref: str) -> bool:
    """Present locally, or its registry answers for it (so BuildKit can pull it)."""
    if image_exists(ref):
        return True
    try:
        registry_digest(ref)
    except ImageError:
        return False
    return True


def remove_image(ref: str, force: bool = False) -> None:
    """Untag `ref` (the engine deletes the image with its last tag); ImageError on a refusal.
    `force` untags it even while a stopped container still names it (an image dockyard made)."""
    try:
        client().images.remove(ref, force=force)
    except ImageNotFound:
        raise ImageError(f"{ref}: already gone") from None
    except APIError as exc:
        raise ImageError(f"{ref}: {explain(exc)}") from None


def remove_tagged(tag: str) -> list[str]:
    """Remove every image tagged `*:<tag>` (a run's unique tag); returns the references removed.
    What is gone is dropped from the run's record (dockyard.core.run_record)."""
    removed, gone, refused = [], [], []
    # The low-level list: one call, no per-image inspect racing with other people's removals.
    for image in client().api.images():
        for ref in image.get("RepoTags") or []:
            if ref.endswith(f":{tag}"):
                try:
                    client().images.remove(ref, noprune=False)
                    removed.append(ref)
                except NotFound:
                    pass
                except APIError as exc:  # 409: a container still uses it; it stays in the record
                    refused.append(f"{ref} ({explain(exc)})")
                    continue
                gone.append(ref)
    kept = {r.split(" (", 1)[0] for r in refused}
    owned = [t for t in run_record.owned_tags() if t.endswith(f":{tag}") and t not in kept]
    run_record.forget_tags(owned + gone)
    if refused:
        raise ImageError(f"could not remove {', '.join(refused)}; the next run or `invoke prune --stale` will")
    return removed


def save_stream(ref: str) -> Iterator[bytes]:
    """`docker save` of one image as a stream of chunks (a tar archive), never written to disk."""
    return iter(get_image(ref).save(named=False))


def disk_usage() -> dict[str, Any]:
    """The engine's `GET /system/df`: images, layers, containers, volumes and build cache."""
    return client().df()


def build_context(context: Path, tag: str, build_args: dict[str, str] | None = None) -> None:
    """`docker build -t TAG CONTEXT` (a small context such as a local stand-in image)."""
    args = ["build"]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    proc = cli.run([*args, "-t", tag, str(context)])
    if proc.returncode != 0:
        tail = "; ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise ImageError(f"docker build of {tag} failed: {tail}")


def import_rootfs(rootfs: Path, tag: str, cmd: str = '["bash"]') -> None:
    """`tar -C ROOTFS -c . | docker import --change 'CMD ...' - TAG`."""
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        ["docker", "import", "--change", f"CMD {cmd}", "-", tag], stdin=tar.stdout, capture_output=True, text=True
    )
    tar.wait()
    if tar.returncode != 0 or imported.returncode != 0:
        raise ImageError(f"docker import of {tag} failed: {imported.stderr.strip() or 'tar failed'}")


def push(ref: str) -> None:
    """`docker push REF`; ImageError with the CLI's last line when it fails."""
    proc = cli.run(["push", ref])
    if proc.returncode != 0:
        raise ImageError(f"docker push {ref} failed: {cli.last_line(proc.stderr or proc.stdout, 'failed')}")


def tag_image(source: str, ref: str) -> None:
    """`docker tag SOURCE REF` (SOURCE must be local)."""
    parsed = parse_ref(ref)
    try:
        ok = get_image(source).tag(parsed.repository, tag=parsed.tag or "latest")
    except APIError as exc:
        raise ImageError(f"cannot tag {source} as {ref}: {explain(exc)}") from None
    if not ok:
        raise ImageError(f"the engine did not tag {source} as {ref}")


def push_progress(ref: str) -> Iterator[dict[str, Any]]:
    """`docker push REF` through the Engine API: its progress messages as they come (`status`, `id`,
    `progressDetail`, and at the end `aux` with the digest); ImageError at the first error."""
    parsed = parse_ref(ref)
    try:
        for event in client().api.push(parsed.repository, tag=parsed.tag or "latest", stream=True, decode=True):
            if not isinstance(event, dict):
                continue
            if event.get("error") or event.get("errorDetail"):
                message = event.get("error") or (event.get("errorDetail") or {}).get("message") or "failed"
                raise ImageError(f"docker push {ref} failed: {redact(str(message).strip().splitlines()[0][:200])}")
            yield event
    except APIError as exc:
        raise ImageError(f"docker push {ref} failed: {explain(exc)}") from None
