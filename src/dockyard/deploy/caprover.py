"""Deploy an image to a CapRover app over its HTTP API, the way the `caprover` CLI does.

The request is the one `caprover deploy --imageName IMG --appToken ...` sends
(caprover-cli 2.4.4, src/utils/DeployHelper.ts -> src/api/ApiManager.ts
`uploadCaptainDefinitionContent` -> src/api/HttpClient.ts):

    POST {url}/api/v2/user/apps/appData/{app}?detached=1
    x-captain-app-token: <token>
    x-namespace: captain
    content-type: application/json
    {"captainDefinitionContent": "{\"schemaVersion\":2,\"imageName\":\"IMG\"}", "gitHash": ""}

CapRover answers HTTP 200 with `{"status": N, "description": "...", "data": {...}}`
(src/api/BaseApi.ts); N is one of src/api/ApiStatusCodes.ts. Without `?detached=1`
the server answers only when the deploy is done (`--wait`). See docs/rollback.md.

The app token is a secret: it is read from the environment or a file, kept in
an `AppToken` whose repr is masked, put only in the request header, and scrubbed
from any text that could reach output. Whatever the server says (a description,
an error page) is scrubbed of the token, stripped of terminal escapes and cut to
one line on every path, success included (`server_text`). The request itself goes
through dockyard.deploy.transport: a total deadline, a bounded answer, no redirects.
"""

from __future__ import annotations

import json
import os
import re
import stat
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.files import read_text
from dockyard.core.project import Project
from dockyard.core.redact import scrub
from dockyard.core.untrusted import one_line
from dockyard.deploy import history, transport
from dockyard.deploy.registry import Registry, registry_from_settings

API_BASE = "/api/v2"
APP_DATA_PATH = API_BASE + "/user/apps/appData/{app}"
HEADER_APP_TOKEN = "x-captain-app-token"
HEADER_NAMESPACE = "x-namespace"
NAMESPACE = "captain"

# src/api/ApiStatusCodes.ts (caprover/caprover)
STATUS_OK = 100
STATUS_OK_DEPLOY_STARTED = 101
STATUS_OK_PARTIALLY = 102
STATUS_ERROR_GENERIC = 1000
STATUS_ERROR_CAPTAIN_NOT_INITIALIZED = 1001
STATUS_ERROR_USER_NOT_INITIALIZED = 1101
STATUS_ERROR_NOT_AUTHORIZED = 1102
STATUS_ERROR_ALREADY_EXIST = 1103
STATUS_ERROR_BAD_NAME = 1104
STATUS_WRONG_PASSWORD = 1105
STATUS_AUTH_TOKEN_INVALID = 1106
VERIFICATION_FAILED = 1107
ILLEGAL_OPERATION = 1108
BUILD_ERROR = 1109
ILLEGAL_PARAMETER = 1110
NOT_FOUND = 1111
AUTHENTICATION_FAILED = 1112
STATUS_PASSWORD_BACK_OFF = 1113
AUTH_STATUSES = frozenset(
    {
        STATUS_ERROR_NOT_AUTHORIZED,
        STATUS_WRONG_PASSWORD,
        STATUS_AUTH_TOKEN_INVALID,
        AUTHENTICATION_FAILED,
    }
)

ENV_URL = "CAPROVER_URL"
ENV_TOKEN = "CAPROVER_APP_TOKEN"
ENV_TOKEN_FILE = "CAPROVER_APP_TOKEN_FILE"


class CapRoverError(DockyardError):
    """A deploy that did not happen (or may not have). `result` is what the history records."""

    result = history.FAILED


class TokenMissing(CapRoverError):
    """No app token for an app."""


class AuthFailed(CapRoverError):
    """CapRover refused the app token."""


class AppNotFound(CapRoverError):
    """CapRover has no app of that name."""


class DeployRefused(CapRoverError):
    """CapRover answered with an error status."""


class ServerError(CapRoverError):
    """CapRover (or a proxy in front of it) answered something that is not its API."""


class Unreachable(CapRoverError):
    """Nothing answered at the URL."""


class DeployTimeout(CapRoverError):
    """The request was sent but no answer came in time: the deploy may have started."""

    result = history.UNKNOWN


class AppToken:
    """A CapRover app token. Never printed: str() and repr() are masked."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        value = value.strip()
        if not value:
            raise TokenMissing(f"the app token from {source} is empty")
        if any(ch in value for ch in "\r\n\0"):
            raise ConfigError(
                f"the app token from {source} contains a line break; it must be one line"
            )
        self._value = value
        self.source = source  # where it came from, e.g. "CAPROVER_APP_TOKEN" (safe to print)

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return scrub(text, [self._value])

    def __repr__(self) -> str:
        return f"AppToken(***, source={self.source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AppToken) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class DeployConfig:
    """What a deploy needs: `[tool.dockyard.caprover]`, the services' apps and images, and the
    environment on top (CAPROVER_URL, CAPROVER_APP_TOKEN_FILE)."""

    url: str
    timeout: float
    wait_timeout: float
    history_path: Path
    apps: dict[str, str]
    images: dict[str, str]
    token_file: Path | None
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    registry: Registry | None = None  # where deployed images are pulled from (`--tag` deploys name it)
    password_file: Path | None = None  # the admin password, for CapRover's version history
    warn: Callable[[str], None] = field(default=lambda message: None, repr=False, compare=False)

    def app_for(self, service: str) -> str:
        try:
            return self.apps[service]
        except KeyError:
            known = ", ".join(sorted(self.apps)) or "none"
            raise ConfigError(
                f"no CapRover app for service {service!r} (configured: {known}); "
                f"add `app = \"...\"` under [tool.dockyard.services.{service}]"
            ) from None

    def image_for(self, service: str, tag: str) -> str:
        try:
            repository = self.images[service]
        except KeyError:
            raise ConfigError(
                f"no image repository for service {service!r}; add `image = \"...\"` under "
                f"[tool.dockyard.services.{service}] or pass --image"
            ) from None
        return self.registry.ref(repository, tag) if self.registry else f"{repository}:{tag}"

    def require_url(self) -> str:
        if not self.url:
            raise ConfigError(f"no CapRover URL: set {ENV_URL} or [tool.dockyard.caprover] url")
        return self.url

    def token_for(self, service: str) -> AppToken:
        return resolve_token(service, self.app_for(service), self.env, self.token_file, self.warn)


def deploy_config(
    project: Project, env: Mapping[str, str] | None = None, warn: Callable[[str], None] = lambda message: None
) -> DeployConfig:
    env = dict(os.environ if env is None else env)
    section = project.settings.caprover
    url = normalize_url(env.get(ENV_URL) or section.url)
    token_file = env.get(ENV_TOKEN_FILE) or section.token_file
    password_file = env.get("CAPROVER_PASSWORD_FILE") or section.password_file
    return DeployConfig(
        url=url,
        timeout=float(section.timeout),
        wait_timeout=float(section.wait_timeout),
        history_path=project.root / section.history_file,
        apps=project.settings.apps(),
        images=project.settings.image_repositories(),
        token_file=(project.root / token_file) if token_file else None,
        env=env,
        warn=warn,
        registry=registry_from_settings(project.settings.registry, env),
        password_file=(project.root / password_file) if password_file else None,
    )


def normalize_url(url: str) -> str:
    """`https://captain.example.com/` -> `https://captain.example.com`; '' stays ''."""
    url = url.strip()
    if not url:
        return ""
    shape = f"CapRover URL {safe_url(url)!r} must look like https://captain.your-root.domain"
    try:
        parts = urllib.parse.urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:  # "http://[::1" (unclosed bracket), port 99999 or "abc"
        raise ConfigError(f"{shape} ({exc})") from None
    if parts.scheme not in ("http", "https") or not hostname or port == 0:
        raise ConfigError(shape)
    if parts.username or parts.password:
        raise ConfigError(
            "the CapRover URL must not contain credentials; the app token goes in "
            f"{ENV_TOKEN} or {ENV_TOKEN_FILE}"
        )
    path = parts.path.rstrip("/")
    if path.endswith(API_BASE):
        path = path[: -len(API_BASE)]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def safe_url(url: str) -> str:
    """The URL without userinfo, query or fragment, for messages and the history."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.netloc.rpartition("@")[2]  # as written (a bad port included), without userinfo
    shown = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
    if not parts.netloc and "@" in shown:  # "user:pw@host" without "//": userinfo all the same
        shown = "***@" + shown.rpartition("@")[2]
    return one_line(shown)


def env_name_for(service: str) -> str:
    """web -> CAPROVER_APP_TOKEN_WEB, celery-unified -> CAPROVER_APP_TOKEN_CELERY_UNIFIED."""
    return ENV_TOKEN + "_" + re.sub(r"[^A-Za-z0-9]", "_", service).upper()


def resolve_token(
    service: str,
    app: str,
    env: Mapping[str, str],
    token_file: Path | None,
    warn: Callable[[str], None] = lambda message: None,
) -> AppToken:
    """The app token for one service, from (first found):

    1. CAPROVER_APP_TOKEN_<SERVICE> (CapRover tokens are per app);
    2. CAPROVER_APP_TOKEN;
    3. the token file (CAPROVER_APP_TOKEN_FILE or `token_file`): either one line
       holding the token, or lines `service=token` / `app-name=token`.
    """
    for name in (env_name_for(service), ENV_TOKEN):
        if env.get(name, "").strip():
            return AppToken(env[name], name)
    if token_file is not None:
        return _token_from_file(token_file, service, app, warn)
    raise TokenMissing(
        f"no CapRover app token for {service} ({app}): set {env_name_for(service)} or "
        f"{ENV_TOKEN}, or point {ENV_TOKEN_FILE} at a file holding it"
    )


def _token_from_file(path: Path, service: str, app: str, warn: Callable[[str], None]) -> AppToken:
    # a regular file only (a FIFO would block the deploy), never quoted back in a message
    text = read_text(path, limit=64 * 1024, what=f"token file {path}")
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"cannot read token file {path}: {type(exc).__name__}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"token file {path} is readable by others; chmod 600 it")
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    keyed = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip() in (service, app) and value.strip():
            keyed[key.strip()] = value.strip()
    for key in (service, app):
        if key in keyed:
            return AppToken(keyed[key], f"{path} ({key}=...)")
    plain = [line for line in lines if "=" not in line]
    if len(lines) == 1 and plain:
        return AppToken(plain[0], str(path))
    raise TokenMissing(f"token file {path} has no line '{service}=...' or '{app}=...'")


@dataclass(frozen=True)
class Request:
    """An HTTP request, complete; `describe()` is safe to print."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def describe(self, token: AppToken) -> str:
        headers = {k: ("***" if k == HEADER_APP_TOKEN else v) for k, v in self.headers.items()}
        return token.scrub(
            f"{self.method} {safe_url(self.url)}{_query(self.url)} {headers} {self.body.decode()}"
        )


def captain_definition(image: str) -> str:
    """The captain-definition the CLI sends for --imageName, byte for byte (JSON.stringify)."""
    return json.dumps({"schemaVersion": 2, "imageName": image}, separators=(",", ":"))


def git_hash_for(sha: str) -> str:
    """CapRover stores gitHash with the app version; send it only when it is a git SHA."""
    return sha if re.fullmatch(r"[0-9a-f]{7,40}", sha or "") else ""


def deploy_request(
    base_url: str, app: str, image: str, token: AppToken, git_hash: str = "", detached: bool = True
) -> Request:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", app):
        raise ConfigError(f"{app!r} is not a CapRover app name (lowercase letters, digits and '-')")
    url = base_url + APP_DATA_PATH.format(app=app) + ("?detached=1" if detached else "")
    body = json.dumps(
        {"captainDefinitionContent": captain_definition(image), "gitHash": git_hash},
        separators=(",", ":"),
    ).encode("utf-8")
    headers = {
        HEADER_APP_TOKEN: token.reveal(),
        HEADER_NAMESPACE: NAMESPACE,
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": "dockyard",
    }
    return Request("POST", url, headers, body)


@dataclass(frozen=True)
class Outcome:
    status: int
    description: str
    result: str  # history.ACCEPTED or history.DEPLOYED


def interpret(http_status: int, body: bytes, app: str, url: str) -> Outcome:
    """Turn CapRover's answer into an Outcome, or raise the matching CapRoverError."""
    where = safe_url(url)
    if http_status in (301, 302, 303, 307, 308):
        raise ServerError(
            f"CapRover at {where} answered with a redirect (HTTP {http_status}); "
            f"set {ENV_URL} to the address it redirects to (https://?)"
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if http_status != 200 or not isinstance(data, dict) or not isinstance(data.get("status"), int):
        snippet = one_line(_first_line(body.decode("utf-8", "replace"))[:80]) or "empty body"
        if http_status == 504:
            raise DeployTimeout(
                f"the proxy in front of CapRover at {where} gave up waiting (HTTP 504); the "
                f"deploy of {app} may still be running: check the dashboard"
            )
        if http_status >= 500:
            raise ServerError(
                f"CapRover at {where} failed with HTTP {http_status} ({snippet}); "
                f"check the captain service logs"
            )
        raise ServerError(
            f"CapRover at {where} answered HTTP {http_status} ({snippet}), not its API; "
            f"is {ENV_URL} the captain dashboard address?"
        )
    status = data["status"]
    description = _first_line(str(data.get("description") or ""))[:200]
    said = f"status {status}: {description}" if description else f"status {status}"
    if status == STATUS_OK:
        return Outcome(status, description, history.DEPLOYED)
    if status == STATUS_OK_DEPLOY_STARTED:
        return Outcome(status, description, history.ACCEPTED)
    if status in AUTH_STATUSES:
        raise AuthFailed(
            f"CapRover rejected the app token for app {app!r} ({said}); check the token, that "
            f"'App Token' is enabled for {app} and that the app exists"
        )
    if status == NOT_FOUND or "could not be found" in description.lower():
        raise AppNotFound(
            f"CapRover has no app {app!r} ({said}); check [tool.dockyard.caprover.apps]"
        )
    if status in (STATUS_ERROR_CAPTAIN_NOT_INITIALIZED, STATUS_ERROR_USER_NOT_INITIALIZED):
        raise DeployRefused(
            f"CapRover at {where} is still starting ({said}); try again in a minute"
        )
    raise DeployRefused(f"CapRover refused the deploy of {app!r} ({said})")


def server_text(text: str, token: AppToken | None) -> str:
    """What a server said, safe to show and record: the token (and URL passwords) masked, no
    terminal escapes, one line. Every text from the server goes through here, on every path."""
    return one_line(token.scrub(text) if token is not None else scrub(text, []))


def send(
    request: Request,
    timeout: float,
    token: AppToken,
    app: str,
    on_sent: Callable[[], None] = lambda: None,
    max_bytes: int = transport.DEFAULT_MAX_BYTES,
) -> Outcome:
    """Send `request` within a total deadline of `timeout` seconds; `on_sent` is called once the
    request has left. Every failure becomes a one-line CapRoverError without the token in it."""
    where = safe_url(request.url)
    try:
        response = transport.request(
            request.method, request.url, request.headers, request.body, timeout, max_bytes, on_sent
        )
    except transport.TransportError as exc:
        raise _transport_failure(exc, where, timeout, app, token) from None
    try:
        outcome = interpret(response.status, response.body, app, request.url)
    except CapRoverError as exc:
        raise type(exc)(server_text(str(exc), token)) from None
    return Outcome(outcome.status, server_text(outcome.description, token), outcome.result)


def _transport_failure(
    exc: transport.TransportError, where: str, timeout: float, app: str, token: AppToken
) -> CapRoverError:
    said = server_text(str(exc), token)
    if isinstance(exc, transport.Unreachable) or not exc.sent:
        return Unreachable(f"cannot reach CapRover at {where} ({said}); nothing was deployed")
    if isinstance(exc, transport.DeadlinePassed):
        return DeployTimeout(
            f"no answer from CapRover at {where} within {timeout:g} s (the deadline of "
            f"the whole request); the deploy may have started: check the {app} app in the dashboard"
        )
    if isinstance(exc, transport.TooLarge):
        return DeployTimeout(
            f"CapRover at {where} sent an answer too long to be its API ({said}); the deploy may "
            f"have started: check the {app} app in the dashboard"
        )
    return DeployTimeout(
        f"the connection to CapRover at {where} broke before it answered ({said}); "
        f"the deploy may have started: check the {app} app in the dashboard"
    )


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


def _query(url: str) -> str:
    query = urllib.parse.urlsplit(url).query
    return f"?{query}" if query else ""
