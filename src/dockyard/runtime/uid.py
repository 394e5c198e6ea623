"""`test.security`: every runtime image runs as uid 1000 (`docker run --rm --entrypoint id IMAGE`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from dockyard.docker.containers import ContainerError, logs_tail, temporary_container, unique_name, wait_exit
from dockyard.docker.images import ImageError, image_attrs

_ID = re.compile(
    r"uid=(?P<uid>\d+)(?:\((?P<user>[^)]*)\))? gid=(?P<gid>\d+)(?:\((?P<group>[^)]*)\))?"
)


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


def parse_id(output: str) -> tuple[int | None, int | None, str | None]:
    """(uid, gid, user name) from `id` output."""
    m = _ID.search(output)
    if m is None:
        return None, None, None
    return int(m.group("uid")), int(m.group("gid")), m.group("user")


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
    uid, gid, user = parse_id(output)
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
