"""Image references: split into repository, tag and digest (`parse_ref`), and checked against
the grammar the Engine accepts (`validate_ref`, `validate_tag`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.core.errors import ConfigError


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


# The reference grammar of distribution/reference (what the Engine accepts), checked before any
# request so that a bad reference is one line naming it, not the Engine's HTTP 400.
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(_DOMAIN)
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_IMAGE_ID = re.compile(r"(?:sha256:)?[0-9a-f]{12,64}")
MAX_NAME = 255


def validate_tag(tag: str) -> str:
    """`tag` when it is a valid image tag, else ConfigError naming it."""
    if not TAG.fullmatch(tag or ""):
        raise ConfigError(f"{tag!r} is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)")
    return tag


def validate_ref(ref: str, what: str = "image reference", allow_id: bool = True) -> str:
    """`ref` (stripped) when the Engine would accept it as an image reference (or, `allow_id`, an
    image id), else ConfigError naming it: `UPPER/Bad::ref` or `bad ref` never reach the Engine."""
    text = ref.strip()
    if allow_id and _IMAGE_ID.fullmatch(text):
        return text
    problem = _reference_problem(text)
    if problem:
        raise ConfigError(f"{ref!r} is not a valid {what}: {problem}")
    return text


def _reference_problem(text: str) -> str | None:
    if not text:
        return "it is empty"
    name, _, digest = text.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        return "the digest after '@' must look like sha256:<hex>"
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        name = name[: len(name) - len(tag) - 1]
    if tag is not None and not TAG.fullmatch(tag):
        return f"tag {tag!r} may hold only letters, digits, '_', '.' and '-' (at most 128)"
    if len(name) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):  # a registry, as Docker decides
        if not _DOMAIN_RE.fullmatch(first):
            return f"{first!r} is not a registry host[:port]"
        path = rest
    else:
        path = name
    if not _PATH.fullmatch(path):
        return "a repository name is lowercase letters, digits and separators ('.', '_', '__', '-', '/')"
    return None
