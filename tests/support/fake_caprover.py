"""A local HTTP server answering the part of CapRover's API dockyard (and `caprover deploy`) uses.

Modelled on caprover/caprover:
* src/routes/user/UserRouter.ts: `POST /apps/appData/:appName/` goes through
  `Injector.injectUserForBuildTrigger()` (app token in `x-captain-app-token`),
  then `injectUser()` (session JWT in `x-captain-auth`); no user -> 1102.
* src/injection/Injector.ts + tests/BuildTriggerInjection.test.ts: a mismatched
  app token is answered `{"status": 1102, "description": "The request is not
  authorized."}`; older releases fell through to `injectUser` and answered
  1106 "Auth token corrupted" (`auth_failure="legacy"`). A request without a
  token reaches `decodeAuthToken('')` -> 1106.
* src/routes/user/apps/appdata/AppDataRouter.ts: neither tar nor
  captainDefinitionContent -> 1108; `?detached=1` -> 101 "Deploy is started",
  otherwise 100 "Deploy is done" once deployed.
* src/api/BaseApi.ts: every answer is HTTP 200 + `{"status", "description", "data"}`;
  express's `sendStatus(500)` (ApiStatusCodes.createCatcher) is the plain-text
  "Internal Server Error".

The admin API for the version history (dockyard.deploy.caprover_versions), when `admin_password`
is set:
* src/routes/login/LoginRouter.ts (the 2FA version): no password -> 1000 "password is empty.";
  2FA on and no otpToken -> 1114; the oldest of the last five wrong passwords less than 30 s ago
  -> 1113 for every login, the right password too; a wrong password -> 1105 (and counted);
  else 100 "Login succeeded" with `data.token` (a fresh session token each time).
* `GET /api/v2/user/apps/appDefinitions`: the session token in `x-captain-auth`; one it did not
  issue (or one `expire_sessions()` dropped) -> 1106 "Auth token corrupted"; else 100 with
  `data.appDefinitions` as given, secrets (envVars, tokens) included, as the real one sends them.
  A token from before `expire_sessions()` -> 1106 "Auth token is no longer valid...".

It also accepts proxy-form requests (`POST http://captain.127.0.0.1/api/...`):
the `caprover` CLI always talks to port 80/443 of `captain.<host>`, so the
parity test reaches this server by setting HTTP_PROXY. Listens on 127.0.0.1 only.

Hostile or broken servers, for the fault-injection suite (tests/faults/): `description` replaces
the text of a successful answer (`{token}` in it echoes the app token the request carried, e.g. to
see that dockyard scrubs it; ANSI escapes to see that they never reach a terminal); `drip_seconds`
sends the answer one byte at a time; `body_bytes` pads a successful answer to that size, streamed
(a 300 MB answer is never held in memory here); `drop_connection` reads the request and closes the
connection without a word. `received` is set as soon as a request has been read.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_DATA = re.compile(r"^/api/v2/user/apps/appData/(?P<app>[^/?]+)/?$")
LOGIN = "/api/v2/login"
APP_DEFINITIONS = "/api/v2/user/apps/appDefinitions"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> object:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None


@dataclass
class Deployed:
    app: str
    image: str
    git_hash: str
    detached: bool


@dataclass
class FakeCapRover:
    apps: dict[str, str]  # app name -> app token (app token enabled)
    auth_failure: str = "current"  # "current" (1102) or "legacy" (1106)
    delay: float = 0.0  # seconds to wait before answering
    http_status: int | None = None  # answer every request with this bare HTTP status
    status: tuple[int, str] | None = (
        None  # answer every authorized deploy with this CapRover status
    )
    redirect_to: str | None = None  # answer every request with a 302 to this URL
    description: str | None = None  # text of a successful answer; "{token}" echoes the request's token
    drip_seconds: float = 0.0  # send the answer one byte every this many seconds
    body_bytes: int = 0  # pad a successful answer to this many bytes (streamed)
    drop_connection: bool = False  # read the request, then close without answering
    admin_password: str | None = None  # enables POST /api/v2/login
    otp_token: str | None = None  # two-factor login on: this code must come with the password
    app_definitions: list[dict] = field(default_factory=list)  # what GET appDefinitions lists
    requests: list[Recorded] = field(default_factory=list)
    deployed: list[Deployed] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    failed_logins: list[float] = field(default_factory=list)  # CapRover's CircularQueue(5)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self.received = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-caprover",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeCapRover:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeCapRover:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def expire_sessions(self) -> None:
        """Invalidate every session token (a restarted CapRover gets a new token version)."""
        self.expired |= self.sessions
        self.sessions.clear()

    # ------------------------------------------------------------ behaviour
    def answer(self, req: Recorded) -> tuple[int, str, bytes]:
        """(HTTP status, content type, body) for one request."""
        if self.delay:
            self._stop.wait(self.delay)
        if self.http_status is not None:
            return self.http_status, "text/plain; charset=utf-8", _reason(self.http_status).encode()
        namespace = req.headers.get("x-namespace")
        if req.path.rstrip("/") == LOGIN and req.method == "POST" and self.admin_password is not None:
            if namespace and namespace != "captain":
                return _api(1000, "Namespace unknown")
            return self._login(req)
        if req.path.rstrip("/") == APP_DEFINITIONS and req.method == "GET" and self.admin_password is not None:
            if namespace and namespace != "captain":
                return _api(1000, "Namespace unknown")
            token = req.headers.get("x-captain-auth", "")
            if token in self.expired:  # src/user/Authenticator.ts: a token from before a restart
                return _api(1106, "Auth token is no longer valid. Request for a new auth token")
            if token not in self.sessions:
                return _api(1106, "Auth token corrupted")
            return _api(100, "App definitions are retrieved.", {
                "appDefinitions": self.app_definitions,
                "rootDomain": "root.example.com",
                "captainSubDomain": "captain",
                "defaultNginxConfig": "...",
            })
        match = APP_DATA.match(req.path)
        if not match:
            return 404, "text/html; charset=utf-8", f"Cannot {req.method} {req.path}".encode()
        if namespace and namespace != "captain":
            return _api(1000, "Namespace unknown")
        app = urllib.parse.unquote(match.group("app"))
        token = req.headers.get("x-captain-app-token", "")
        if req.method != "POST" or req.headers.get("x-captain-auth") or not token:
            # app tokens are only looked at for POST; everything else needs a session JWT
            return _api(1106, "Auth token corrupted")
        if self.apps.get(app) != token:  # unknown app or wrong token: the token cannot be verified
            if self.auth_failure == "legacy":
                return _api(1106, "Auth token corrupted")
            return _api(1102, "The request is not authorized.")
        body = req.json if isinstance(req.json, dict) else {}
        definition = str(body.get("captainDefinitionContent") or "")
        if not definition:
            return _api(1108, "Either tarballfile or captainDefinitionContent should be present.")
        if self.status is not None:
            return _api(self.status[0], self.status[1].replace("{token}", token))
        try:
            image = json.loads(definition).get("imageName", "")
        except (json.JSONDecodeError, AttributeError):
            image = ""
        detached = bool(req.query.get("detached", [""])[0])
        self.deployed.append(Deployed(app, image, str(body.get("gitHash") or ""), detached))
        status, said = (101, "Deploy is started") if detached else (100, "Deploy is done")
        if self.description is not None:
            said = self.description.replace("{token}", token)
        return _api(status, said)


    def _login(self, req: Recorded) -> tuple[int, str, bytes]:
        body = req.json if isinstance(req.json, dict) else {}
        password = str(body.get("password") or "")
        otp = str(body.get("otpToken") or "")
        if not password:
            return _api(1000, "password is empty.")
        if self.otp_token is not None and not otp:
            return _api(1114, "Enter OTP token as well")
        recent = self.failed_logins[-5:]
        if len(recent) == 5 and time.time() - recent[0] < 30:
            return _api(1113, "Too many wrong passwords... Wait for 30 seconds and retry.")
        if password != self.admin_password or (self.otp_token is not None and otp != self.otp_token):
            self.failed_logins.append(time.time())
            return _api(1105, "Password is incorrect.")
        token = "jwt-" + secrets.token_hex(16)
        self.sessions.add(token)
        return _api(100, "Login succeeded", {"token": token})


def _api(status: int, description: str, data: dict | None = None) -> tuple[int, str, bytes]:
    body = json.dumps({"status": status, "description": description, "data": data or {}}).encode("utf-8")
    return 200, "application/json; charset=utf-8", body


def _reason(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def _handler_for(fake: FakeCapRover) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            target = urllib.parse.urlsplit(self.path)  # origin-form or proxy (absolute) form
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Recorded(
                method=self.command,
                path=target.path,
                query=urllib.parse.parse_qs(target.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            fake.requests.append(req)
            fake.received.set()
            if fake.drop_connection:
                self.close_connection = True
                return
            status, content_type, payload = fake.answer(req)
            if fake.redirect_to:
                status, content_type, payload = 302, "text/plain; charset=utf-8", b"Found"
            head, padding, tail = payload, 0, b""
            if fake.body_bytes and status == 200 and payload.endswith(b'", "data": {}}'):
                tail = b'", "data": {}}'
                head = payload[: -len(tail)]
                padding = max(0, fake.body_bytes - len(head) - len(tail))
            try:
                self.send_response(status)
                if fake.redirect_to:
                    self.send_header("Location", fake.redirect_to)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(head) + padding + len(tail)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.flush()
                self._send(head)
                while padding > 0:
                    chunk = min(padding, 1 << 20)
                    self.wfile.write(b"x" * chunk)
                    padding -= chunk
                self._send(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)
            self.close_connection = True

        def _send(self, data: bytes) -> None:
            if not fake.drip_seconds:
                self.wfile.write(data)
                return
            for i in range(len(data)):
                if fake._stop.wait(fake.drip_seconds):
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler
