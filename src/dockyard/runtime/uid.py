"""`test.security`: every runtime image runs as uid 1000 (`docker run --rm --entrypoint id IMAGE`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dockyard.core.identity import parse_id
from dockyard.docker.containers import ContainerError, logs_tail, temporary_container, unique_name, wait_exit
from dockyard.docker.images import ImageError, image_attrs


@dataclass
class UidResult:
    image: str
    configured_user: str  # the image's USER ("" means root)
    id_output: str
    uid: int | None
    gid: int | None
    user: str | None
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


def check_uid(image: str, expected_uid: int = 1000, timeout: float = 60) -> UidResult:
    """Run `id` in a throw-away container of `image` (entrypoint replaced: the user is what counts)."""
    try:
        configured = image_attrs(image).get("Config", {}).get("User") or ""
    except ImageError:
        return UidResult(
            image, "", "", None, None, None, False, "image not present locally: build it first"
        )
    try:
        with temporary_container(
            image, name=unique_name("dockyard-test-id"), entrypoint=["id"], command=[]
        ) as container:
            code = wait_exit(container, timeout)
            output = "\n".join(logs_tail(container, 5)).strip()
    except ContainerError as exc:
        return UidResult(image, configured, "", None, None, None, False, str(exc))
    identity = parse_id(output)
    uid, gid, user = (identity.uid, identity.gid, identity.user) if identity else (None, None, None)
    if code != 0 or uid is None:
        return UidResult(
            image,
            configured,
            output,
            None,
            None,
            None,
            False,
            f"`id` exited with {code}: {output or 'no output'}",
        )
    ok = uid == expected_uid
    detail = f"runs as uid {uid}" + (
        ""
        if ok
        else f", expected {expected_uid}: add `USER` with uid "
        f"{expected_uid} to the image's final stage"
    )
    return UidResult(image, configured, output, uid, gid, user, ok, detail)
