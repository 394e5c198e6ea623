"""Card "Security": nothing secret baked into an image - no `.env` or key files, no tokens in ENV.

Looks at three places, and reports names only, never a value:
- files under `secret_paths` (default /code, /data, /root, /home) and the image's WORKDIR, installed
  Python packages (site-packages) aside: `.env` files, private keys
  (by name, or any small file holding a `PRIVATE KEY` block), credential files (.netrc, .pgpass,
  .git-credentials, .pypirc, .npmrc or docker config with auth entries);
- the image's ENV: a variable named like a secret (…_SECRET…, …TOKEN…, …PASSWORD…, API_KEY, …)
  with a non-empty value, or any URL with a password in it;
- the image history: `ENV` and build-argument (`RUN |N KEY=value ...`) values recorded in
  metadata that `docker history` shows to anyone who pulls the image.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tarfile
from typing import Any

from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|APIKEY)(?:_|$)"
    r"|(?:^|_)(?:API|ACCESS|PRIVATE|SIGNING|ENCRYPTION|SECRET)_KEY(?:_|$)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"\b[a-zA-Z][\w+.-]*://[^:/@\s]+:[^@\s/]+@")
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_BUILD_ARGS = re.compile(r"^(?:RUN )?\|(?P<count>\d+) (?P<rest>.*)$")
_HISTORY_ENV = re.compile(r"^ENV (?P<rest>.*)$")

_ENV_FILE = re.compile(r"^\.env(?:\..+)?$")
_ENV_EXAMPLES = (".example", ".sample", ".template", ".dist", ".defaults")
_KEY_NAMES = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}
_KEY_SUFFIXES = (".key", ".p12", ".pfx", ".jks", ".keystore")
_CREDENTIAL_FILES = {".netrc", ".pgpass", ".git-credentials", ".htpasswd"}
_AUTH_CONTENT = {".pypirc": rb"password", ".npmrc": rb"_auth", "config.json": rb'"auths"'}


def secret_env_names(env: list[str], allow: list[str]) -> list[str]:
    """ENV entries (`KEY=value`) that carry a secret: names only."""
    found = []
    for entry in env:
        name, _, value = entry.partition("=")
        if name in allow or not value.strip() or name.upper().endswith("_FILE"):
            continue
        if _SECRET_NAME.search(name) or _URL_PASSWORD.search(value):
            found.append(name)
    return found


def _assignments(text: str) -> list[tuple[str, str]]:
    pairs = []
    for token in text.split():
        name, sep, value = token.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            pairs.append((name, value.strip("'\"")))
    return pairs


def secret_history(history: list[dict[str, Any]], allow: list[str]) -> list[str]:
    """`ENV NAME` / `build arg NAME` for secret-looking values recorded in the image history."""
    found: list[str] = []
    for entry in history:
        created_by = (entry.get("CreatedBy") or "").strip()
        created_by = created_by.removeprefix("/bin/sh -c #(nop) ").strip()
        if m := _BUILD_ARGS.match(created_by):
            pairs = _assignments(m.group("rest"))[: int(m.group("count"))]
            kind = "build arg"
        elif m := _HISTORY_ENV.match(created_by):
            pairs = _assignments(m.group("rest"))
            kind = "ENV"
        else:
            continue
        for name, value in pairs:
            label = f"{kind} {name}"
            if name in allow or not value or label in found:
                continue
            if _SECRET_NAME.search(name) or _URL_PASSWORD.search(value):
                found.append(label)
    return found


def secret_file(path: str, data: bytes | None) -> str | None:
    """Why the file at `path` (with its content, if small) is a secret, or None."""
    base = posixpath.basename(path)
    if _ENV_FILE.match(base) and not base.endswith(_ENV_EXAMPLES):
        return "env file"
    if base in _KEY_NAMES or base.endswith(_KEY_SUFFIXES):
        return "key file"
    if base in _CREDENTIAL_FILES:
        return "credentials file"
    if base in _AUTH_CONTENT and data is not None and re.search(_AUTH_CONTENT[base], data):
        return "credentials file"
    if data is not None and _PRIVATE_KEY.search(data):
        return "private key"
    return None


# Installed Python packages are the registry's, not the site's: their own test fixtures (tornado's
# test.key, say) are public, so they are not searched.
THIRD_PARTY = ("*/site-packages/*", "*/dist-packages/*")


def secret_files(root: str, entries: list[tuple[tarfile.TarInfo, bytes | None]], allow: list[str]) -> list[str]:
    """`/code/.env (env file)` for each secret file among an archive of `root`."""
    parent = posixpath.dirname(root.rstrip("/")) or "/"
    found = []
    for member, data in entries:
        if not member.isfile():
            continue
        path = posixpath.join(parent, member.name)
        if any(fnmatch.fnmatch(path, pattern) for pattern in (*THIRD_PARTY, *allow)):
            continue
        why = secret_file(path, data)
        if why:
            found.append(f"{path} ({why})")
    return found


def search_roots(paths: list[str], workdir: str) -> list[str]:
    """`secret_paths`, and the image's WORKDIR (where a site's code is) unless one of them holds it."""
    roots = list(paths)
    workdir = workdir.rstrip("/")
    if workdir and not any(workdir == r.rstrip("/") or workdir.startswith(r.rstrip("/") + "/") for r in roots):
        roots.append(workdir)
    return roots


def no_secrets(ctx: TargetContext) -> CheckResult:
    allow_env = list(ctx.settings.allow_env)
    findings = [f"ENV {name} has a value" for name in secret_env_names(ctx.config.get("Env") or [], allow_env)]
    findings += [
        f"{item} recorded in history"
        for item in secret_history(ctx.history(), allow_env)
        if f"{item} has a value" not in findings
    ]
    roots = search_roots(list(ctx.settings.secret_paths), ctx.config.get("WorkingDir") or "")
    for root in roots:
        findings += secret_files(root, ctx.read_tree(root), list(ctx.settings.allow_files))
    budget = "no secret files, ENV or build args"
    searched = ", ".join(roots)
    if not findings:
        return CheckResult(
            "no_secrets",
            ctx.target,
            True,
            "none found",
            budget,
            f"searched ENV, history and files under {searched}",
            value=0,
            limit=0,
        )
    shown = "; ".join(findings[:6]) + (f"; and {len(findings) - 6} more" if len(findings) > 6 else "")
    return CheckResult(
        "no_secrets",
        ctx.target,
        False,
        f"{len(findings)} found",
        budget,
        f"{shown} (values not shown)",
        value=len(findings),
        limit=0,
    )
