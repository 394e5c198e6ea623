"""Split an image reference into repository, tag and digest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    repository: str  # "python", "ghcr.io/org/app", "localhost:5000/x"
    tag: str | None
    digest: str | None

    @property
    def floating(self) -> bool:
        """No digest, and no tag or the `latest` tag."""
        return self.digest is None and (self.tag is None or self.tag == "latest")

    @property
    def short_name(self) -> str:
        name = self.repository
        for prefix in ("docker.io/", "index.docker.io/", "library/"):
            name = name.removeprefix(prefix)
        return name


def parse_ref(ref: str) -> ImageRef:
    ref = ref.strip()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    last = ref.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:  # a colon before the last slash is a registry port
        tag = last.rsplit(":", 1)[1]
        ref = ref[: len(ref) - len(tag) - 1]
    return ImageRef(ref, tag, digest)
