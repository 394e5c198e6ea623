"""CapRover's own version history of each app, read through its admin API.

Beside the deploy request (dockyard.deploy.caprover, app tokens), CapRover keeps every app's
versions; the dashboard's "Deployment" tab shows them. Reading them needs the admin session
(an app token cannot: caprover/caprover src/routes/user/UserRouter.ts), so this module logs in:

    POST {url}/api/v2/login                      {"password": "...", "otpToken": "..."}
      -> {"status": 100, "data": {"token": "<jwt>"}}
    GET  {url}/api/v2/user/apps/appDefinitions   x-captain-auth: <jwt>
      -> {"status": 100, "data": {"appDefinitions": [{"appName", "deployedVersion",
          "versions": [{"version", "deployedImageName", "timeStamp", "gitHash"}], ...}]}}

(src/routes/login/LoginRouter.ts, src/routes/user/apps/appdefinition/AppDefinitionRouter.ts,
src/models/AppDefinition.ts). Refusals come as HTTP 200 with a status: 1105 wrong password,
1113 too many wrong passwords (after five within 30 s, for 30 s, for every client), 1114 a
one-time code is needed, 1106 a session token it cannot decode (the CLI then logs in again once).

The answer lists every app with its secrets (environment variables, deploy tokens, repository
passwords): only `appName`, `deployedVersion` and the version fields are kept, and nothing of the
raw body is ever logged or shown. The password comes from CAPROVER_PASSWORD or a file
(CAPROVER_PASSWORD_FILE / `[tool.dockyard.caprover] password_file`), never from an argument, and
goes only into the login body; the session token only into the `x-captain-auth` header.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.deploy import transport
from dockyard.deploy.caprover import (
    HEADER_NAMESPACE,
    NAMESPACE,
    STATUS_AUTH_TOKEN_INVALID,
    STATUS_ERROR_NOT_AUTHORIZED,
    STATUS_OK,
    STATUS_PASSWORD_BACK_OFF,
    STATUS_WRONG_PASSWORD,
    safe_url,
)

LOGIN_PATH = "/api/v2/login"
APP_DEFINITIONS_PATH = "/api/v2/user/apps/appDefinitions"
HEADER_AUTH = "x-captain-auth"
STATUS_ERROR_OTP_REQUIRED = 1114
ENV_PASSWORD = "CAPROVER_PASSWORD"
ENV_PASSWORD_FILE = "CAPROVER_PASSWORD_FILE"
ENV_OTP = "CAPROVER_OTP"  # the current one-time code, when 2FA is on
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # every app with its versions; far above a real CapRover's answer


class VersionsError(DockyardError):
    """CapRover's version history could not be read."""


class Secret:
    """A password or session token. Never printed: str() and repr() are masked."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        value = value.strip()
        if not value:
            raise ConfigError(f"the CapRover admin password from {source} is empty")
        if any(ch in value for ch in "\r\n\0"):
            raise ConfigError(f"the CapRover admin password from {source} contains a line break; it must be one line")
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._value, "***")

    def __repr__(self) -> str:
        return f"Secret(***, source={self.source!r})"

    __str__ = __repr__


def admin_password(
    env: Mapping[str, str], password_file: Path | None, warn: Callable[[str], None] = lambda message: None
) -> Secret | None:
    """CAPROVER_PASSWORD, else the password file (CAPROVER_PASSWORD_FILE or `password_file`); None when
    neither is set (CapRover's version history is then not used)."""
    if env.get(ENV_PASSWORD, "").strip():
        return Secret(env[ENV_PASSWORD], ENV_PASSWORD)
    if password_file is None:
        return None
    try:
        text = password_file.read_text(encoding="utf-8")
        mode = password_file.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"password file {password_file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read password file {password_file}: {type(exc).__name__}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"password file {password_file} is readable by others; chmod 600 it")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ConfigError(f"password file {password_file} must hold one line, the password")
    return Secret(lines[0], str(password_file))


@dataclass(frozen=True)
class AppVersion:
    version: int
    image: str  # deployedImageName; "" when that deploy did not complete
    time: str  # timeStamp, ISO 8601
    git_hash: str


@dataclass(frozen=True)
class AppHistory:
    app: str
    deployed_version: int | None
    versions: tuple[AppVersion, ...]

    @property
    def current(self) -> AppVersion | None:
        return next((v for v in self.versions if v.version == self.deployed_version), None)


def parse_app_definitions(data: Any) -> dict[str, AppHistory]:
    """The version fields of every app in an appDefinitions answer's `data`; everything else dropped."""
    apps: dict[str, AppHistory] = {}
    definitions = data.get("appDefinitions") if isinstance(data, dict) else None
    for definition in definitions if isinstance(definitions, list) else []:
        if not isinstance(definition, dict) or not isinstance(definition.get("appName"), str):
            continue
        versions = []
        for raw in definition.get("versions") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("version"), int):
                continue
            versions.append(
                AppVersion(
                    version=raw["version"],
                    image=str(raw.get("deployedImageName") or ""),
                    time=str(raw.get("timeStamp") or ""),
                    git_hash=str(raw.get("gitHash") or ""),
                )
            )
        deployed = definition.get("deployedVersion")
        apps[definition["appName"]] = AppHistory(
            app=definition["appName"],
            deployed_version=deployed if isinstance(deployed, int) else None,
            versions=tuple(sorted(versions, key=lambda v: v.version)),
        )
    return apps


@dataclass
class VersionsClient:
    """One admin session against `url` (normalized, as dockyard.deploy.caprover.normalize_url gives it)."""

    url: str
    password: Secret
    timeout: float = 30.0
    otp: str = ""
    _token: Secret | None = None

    def app_histories(self) -> dict[str, AppHistory]:
        """Every app's versions; logs in first, and once more if CapRover does not accept the session."""
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._login()
            status, description, data = self._call("GET", APP_DEFINITIONS_PATH, None, self._token)
            if status == STATUS_OK:
                return parse_app_definitions(data)
            if status == STATUS_AUTH_TOKEN_INVALID and attempt == 1:
                self._token = None  # expired or from another CapRover: log in again, once (as its CLI does)
                continue
            raise self._refused("reading the app definitions", status, description)
        raise AssertionError("unreachable")  # pragma: no cover

    def _login(self) -> Secret:
        body: dict[str, str] = {"password": self.password.reveal()}
        if self.otp:
            body["otpToken"] = self.otp
        status, description, data = self._call("POST", LOGIN_PATH, body, None)
        if status != STATUS_OK:
            raise self._refused("logging in", status, description)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise VersionsError(f"CapRover at {safe_url(self.url)} said the login succeeded but sent no token")
        return Secret(token, "CapRover's login answer")

    def _refused(self, doing: str, status: int, description: str) -> VersionsError:
        where = safe_url(self.url)
        said = f"status {status}: {description}" if description else f"status {status}"
        if status == STATUS_WRONG_PASSWORD:
            return VersionsError(
                f"CapRover at {where} rejected the admin password ({said}); check {ENV_PASSWORD} or the password file"
            )
        if status == STATUS_PASSWORD_BACK_OFF:
            return VersionsError(
                f"CapRover at {where} refuses logins for 30 s after too many wrong passwords ({said}); "
                f"fix the password, wait, and retry"
            )
        if status == STATUS_ERROR_OTP_REQUIRED:
            return VersionsError(
                f"CapRover at {where} has two-factor login on ({said}): set {ENV_OTP} to the current code"
            )
        if status in (STATUS_AUTH_TOKEN_INVALID, STATUS_ERROR_NOT_AUTHORIZED):
            return VersionsError(f"CapRover at {where} did not accept dockyard's admin session ({said})")
        return VersionsError(f"CapRover at {where} refused {doing} ({said})")

    def _call(self, method: str, path: str, body: dict[str, str] | None, token: Secret | None) -> tuple[int, str, Any]:
        """(CapRover status, description, data) of one request; VersionsError (secrets scrubbed) otherwise."""
        where = safe_url(self.url)
        headers = {HEADER_NAMESPACE: NAMESPACE, "accept": "application/json", "user-agent": "dockyard"}
        payload = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["content-type"] = "application/json"
        if token is not None:
            headers[HEADER_AUTH] = token.reveal()
        try:
            response = transport.request(
                method, self.url + path, headers, payload, deadline=self.timeout, max_bytes=MAX_ANSWER_BYTES
            )
        except transport.Unreachable as exc:
            raise VersionsError(f"cannot reach CapRover at {where} ({exc})") from None
        except transport.DeadlinePassed:
            raise VersionsError(f"no whole answer from CapRover at {where} within {self.timeout:g} s") from None
        except transport.TooLarge:
            raise VersionsError(
                f"CapRover at {where} sent more than {MAX_ANSWER_BYTES // (1024 * 1024)} MB to {path}; not its API"
            ) from None
        except transport.TransportError as exc:
            raise VersionsError(f"the connection to CapRover at {where} broke ({exc})") from None
        http_status, raw = response.status, response.body
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            answer = None
        if http_status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
            if http_status in (301, 302, 303, 307, 308):
                raise VersionsError(f"CapRover at {where} answered with a redirect (HTTP {http_status}); not followed")
            raise VersionsError(f"CapRover at {where} answered HTTP {http_status} to {path}, not its API")
        description = str(answer.get("description") or "").strip().splitlines()
        text = description[0][:200] if description else ""
        for secret in (self.password, token):
            if secret is not None:
                text = secret.scrub(text)
        return answer["status"], text, answer.get("data")
