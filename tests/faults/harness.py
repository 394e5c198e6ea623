"""The fault-injection harness: run dockyard's real entry points in a throwaway project and judge
the outcome the way issue 14 defines a good failure.

Only entry points are used (`python -m invoke TASK`, `python -m dockyard.lint`,
`python -m dockyard.images_run`): nothing here imports dockyard, so the suite survives a
restructure of src/dockyard unchanged.

    sandbox = Sandbox.create(template, workdir, engine=False)   # a git-tracked copy of the project
    result = sandbox.invoke("rollback.history", "--limit", "abc")
    expect_failure(result, "--limit")        # non-zero, ONE `error:` line naming --limit, no traceback
    sandbox.assert_no_leaks()                # no container/network/volume/temp dir of this run left

Scoping: every run gets DOCKYARD_RUN_ID=<run id> and a private TMPDIR. dockyard labels what it
creates with `dockyard.run=<run id>` and puts the run id in container, network and compose project
names, so the leak check only looks at objects naming this sandbox's run id, never at what other
people run on the same engine at the same time.

Without the engine (`engine=False`), DOCKER_HOST points at a tripwire: a unix socket that counts
connections and answers none. A regression can then never reach the real engine (a Dockerfile with
a stage cycle crashes dockerd), and a test can assert that a refusal came before any engine contact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ERROR_PREFIX = "error:"
ANSI = re.compile(r"\x1b[\[\]()#;?0-9A-Za-z]")
# dockyard's own temp dirs/files start with this (dockyard-context-, dockyard-rollback-, ...)
TEMP_PREFIXES = ("dockyard",)
SHARED_BUILD_LOCK = os.environ.get("DOCKYARD_BUILD_LOCK", "/tmp/dockyard-build.lock")

# Environment that must not leak in from the developer's shell into a sandboxed run.
_DROPPED_ENV = ("CAPROVER_", "DOCKYARD_", "BASE_IMAGE", "REGISTRY", "IMAGE_PREFIX", "TAG", "WEB_IMAGE",
                "CELERY_IMAGE", "POSTGRES_", "REDIS_IMAGE", "DOCKER_HOST", "DOCKER_CONTEXT")
_PROXY_ENV = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """What one run of an entry point gave."""

    argv: list[str]
    code: int | None  # None: killed by the harness after `timeout`
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    max_rss_kb: int | None = None  # with measure_rss: the peak RSS of the run (and its children)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]

    @property
    def error_lines(self) -> list[str]:
        """Lines that start with `error:` (after ANSI colour codes, which a terminal does not show)."""
        return [line for line in self.output.splitlines() if ANSI.sub("", line).startswith(ERROR_PREFIX)]

    @property
    def error_line(self) -> str:
        lines = self.error_lines
        return lines[0] if len(lines) == 1 else ""

    def describe(self) -> str:
        code = "timed out" if self.timed_out else f"exit {self.code}"
        return (f"$ {' '.join(self.argv)}\n[{code} after {self.seconds:.1f}s]\n"
                f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}")


def assert_no_traceback(result: Result) -> None:
    assert "Traceback (most recent call last)" not in result.output, result.describe()


def assert_one_error_line(result: Result, *facts: str) -> str:
    """Exactly one line starting with `error:` in stdout+stderr, holding every fact (case-insensitive)."""
    lines = result.error_lines
    assert len(lines) == 1, f"expected exactly one `error:` line, got {len(lines)}\n{result.describe()}"
    line = lines[0]
    for fact in facts:
        assert fact.lower() in line.lower(), f"the error line does not say {fact!r}: {line}\n{result.describe()}"
    return line


def expect_failure(result: Result, *facts: str, code: int | None = None) -> str:
    """The shape of every expected failure: in time, non-zero (or exactly `code`), one `error:` line
    naming `facts`, no traceback. Returns the error line."""
    assert not result.timed_out, f"no answer in time (a hang)\n{result.describe()}"
    assert_no_traceback(result)
    if code is None:
        assert result.code not in (0, None), f"expected a non-zero exit\n{result.describe()}"
    else:
        assert result.code == code, f"expected exit {code}\n{result.describe()}"
    return assert_one_error_line(result, *facts)


def expect_success(result: Result) -> None:
    assert not result.timed_out, f"no answer in time (a hang)\n{result.describe()}"
    assert_no_traceback(result)
    assert result.code == 0, result.describe()
    assert not result.error_lines, result.describe()


def assert_literal(result: Result, *texts: str) -> None:
    """Each text appears in the output exactly as given (not eaten as markup, not escaped away)."""
    for text in texts:
        assert text in result.output, f"{text!r} was not printed literally\n{result.describe()}"


def assert_no_ansi(result: Result) -> None:
    assert "\x1b" not in result.output, f"an ESC character reached the output\n{result.describe()!r}"


def assert_no_secret(secret: str, result: Result | None = None, roots: Iterable[Path] = ()) -> None:
    """`secret` is in no output and in no file under `roots` (files or directories, checked byte for
    byte); pass `sandbox.files_written()` to check what the runs wrote."""
    if result is not None:
        assert secret not in result.output, f"the secret {secret[:4]}... was printed\n{result.describe()}"
    needle = secret.encode()
    for root in roots:
        for path in _files_under(Path(root)):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            assert needle not in data, f"the secret {secret[:4]}... was written to {path}"


def _files_under(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".venv", "node_modules")]
        for name in filenames:
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                yield path


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --------------------------------------------------------------------------- the engine tripwire


class Tripwire:
    """A unix socket standing in for the Docker Engine: it counts who connects and answers nothing.

    Point DOCKER_HOST at `url` and no run can reach the real engine; `connections` tells whether
    the run tried to."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="dyf-trip-", dir="/tmp")  # short path: sun_path is 108 bytes
        self.path = os.path.join(self._dir, "docker.sock")
        self.connections = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="engine-tripwire", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)


# --------------------------------------------------------------------------- what a run leaves behind


@dataclass(frozen=True)
class EngineObjects:
    """Containers, networks and volumes that name one run id (in a label value or their name)."""

    containers: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    volumes: frozenset[str] = frozenset()

    def __sub__(self, other: EngineObjects) -> EngineObjects:
        return EngineObjects(self.containers - other.containers, self.networks - other.networks,
                             self.volumes - other.volumes)

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes)


def docker_client():  # noqa: ANN201
    import docker

    return docker.from_env(timeout=60)


def _names(run_ids: str | Iterable[str], name: str, labels: dict | None) -> bool:
    ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    return any(i in (name or "") or any(i in str(v) for v in (labels or {}).values()) for i in ids)


def engine_objects(run_id: str | Iterable[str], also_volumes: Iterable[str] = ()) -> EngineObjects:
    """What the engine holds for `run_id`: its `dockyard.run` label, a compose project named after
    it (`dockyard-test-<run id>-...`) or a name holding it, plus the volumes its containers mount
    (anonymous volumes name nobody) and those of `also_volumes` that still exist. Nothing else is
    looked at."""
    client = docker_client()
    api = client.api
    mine = [c for c in api.containers(all=True) if _names(run_id, c["Names"][0] if c.get("Names") else "",
                                                            c.get("Labels"))]
    containers = {f"{c['Names'][0].lstrip('/')} ({c['State']})" for c in mine}
    mounted = {m["Name"] for c in mine for m in c.get("Mounts") or [] if m.get("Type") == "volume" and m.get("Name")}
    networks = {n["Name"] for n in api.networks() if _names(run_id, n["Name"], n.get("Labels"))}
    wanted = mounted | set(also_volumes)
    volumes = {
        v["Name"] for v in (api.volumes().get("Volumes") or [])
        if _names(run_id, v["Name"], v.get("Labels")) or v["Name"] in wanted
    }
    return EngineObjects(frozenset(containers), frozenset(networks), frozenset(volumes))


def labels_of(run_id: str) -> dict[str, dict[str, str]]:
    """"container NAME" / "network NAME" / "volume NAME" -> labels, for every object of `run_id`."""
    api = docker_client().api
    out = {}
    for c in api.containers(all=True):
        name = c["Names"][0].lstrip("/") if c.get("Names") else c["Id"][:12]
        if _names(run_id, name, c.get("Labels")):
            out[f"container {name}"] = c.get("Labels") or {}
    for n in api.networks():
        if _names(run_id, n["Name"], n.get("Labels")):
            out[f"network {n['Name']}"] = n.get("Labels") or {}
    for v in api.volumes().get("Volumes") or []:
        if _names(run_id, v["Name"], v.get("Labels")):
            out[f"volume {v['Name']}"] = v.get("Labels") or {}
    return out


def remove_engine_objects(run_id: str | Iterable[str]) -> None:
    """Force-remove whatever names `run_id` (the harness's own clean-up after a leak was recorded)."""
    import docker.errors

    client = docker_client()
    api = client.api
    for c in api.containers(all=True):
        if _names(run_id, c["Names"][0] if c.get("Names") else "", c.get("Labels")):
            try:
                api.remove_container(c["Id"], force=True, v=True)
            except docker.errors.APIError:
                pass
    for n in api.networks():
        if _names(run_id, n["Name"], n.get("Labels")):
            try:
                api.remove_network(n["Id"])
            except docker.errors.APIError:
                pass
    for v in api.volumes().get("Volumes") or []:
        if _names(run_id, v["Name"], v.get("Labels")):
            try:
                api.remove_volume(v["Name"], force=True)
            except docker.errors.APIError:
                pass


def remove_volumes(names: Iterable[str]) -> None:
    import docker.errors

    api = docker_client().api
    for name in names:
        try:
            api.remove_volume(name, force=True)
        except docker.errors.APIError:
            pass


def image_ids(refs: Iterable[str]) -> dict[str, str | None]:
    """ref -> image id (None when absent): compare before/after to see that nothing was lost or retagged."""
    import docker.errors

    api = docker_client().api
    ids: dict[str, str | None] = {}
    for ref in refs:
        try:
            ids[ref] = api.inspect_image(ref)["Id"]
        except docker.errors.ImageNotFound:
            ids[ref] = None
    return ids


def images_matching(prefix: str) -> list[str]:
    """Every tag on the engine starting with `prefix` (a repository unique to a test)."""
    return sorted(
        tag for image in docker_client().api.images() for tag in image.get("RepoTags") or [] if tag.startswith(prefix)
    )


def remove_images(prefix: str) -> None:
    import docker.errors

    api = docker_client().api
    for tag in images_matching(prefix):
        try:
            api.remove_image(tag, force=True)
        except docker.errors.APIError:
            pass


# --------------------------------------------------------------------------- the sandbox


def make_template(dest: Path) -> Path:
    """A git repository holding the repository's tracked files as they are in the worktree, committed."""
    files = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    dest.mkdir(parents=True)
    for relative in filter(None, files):
        source = REPO_ROOT / relative
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the worktree
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    from support.git import git

    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "fault-suite sandbox")
    git(dest, "repack", "-a", "-d", "-q")  # one pack instead of hundreds of loose objects: cheaper copies
    git(dest, "prune")
    return dest


def base_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(_DROPPED_ENV) and k.lower() not in _PROXY_ENV and not k.startswith("PYTEST")
    }
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1",
                "DOCKYARD_BUILD_LOCK": SHARED_BUILD_LOCK})
    return env


_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc if rc >= 0 else 128 - rc)\n"
)


@dataclass
class Running:
    """A run started in its own process group (and session), to be signalled like a terminal or CI would."""

    proc: subprocess.Popen
    argv: list[str]
    started: float

    def signal(self, signum: int, group: bool = True) -> None:
        """`group`: the whole process group (a terminal's Ctrl-C / hang-up, a CI runner); else only the
        leader (`kill PID`)."""
        if self.proc.poll() is not None:
            return
        if group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float) -> Result:
        """Wait for the end (SIGKILL to the group after `timeout`) and collect the output."""
        timed_out = False
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with _suppress_lookup():
                os.killpg(self.proc.pid, signal.SIGKILL)
            out, err = self.proc.communicate()
        code = None if timed_out else self.proc.returncode
        if code is not None and code < 0:
            code = 128 - code  # killed by a signal it did not handle: the shell's 128+N
        return Result(self.argv, code, out, err, time.monotonic() - self.started, timed_out)


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:  # noqa: ANN001
        return exc_type is ProcessLookupError


@dataclass
class Sandbox:
    """A throwaway copy of the project, with its own run id, TMPDIR and (optionally) no engine."""

    root: Path  # the project copy (a git repository)
    tmp: Path  # TMPDIR of every run: dockyard's temp dirs land here
    run_id: str
    engine: bool
    tripwire: Tripwire | None = None
    # run ids a program chose itself (`nox -s images` makes its own): what names them is this run's too
    other_ids: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    _before: EngineObjects = field(default_factory=EngineObjects)
    _files: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _seen_volumes: set[str] = field(default_factory=set)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def create(cls, template: Path, workdir: Path, engine: bool) -> Sandbox:
        root = workdir / "site"
        shutil.copytree(template, root, symlinks=True)
        tmp = workdir / "tmp"
        tmp.mkdir()
        run_id = uuid.uuid4().hex[:8]
        tripwire = None if engine else Tripwire()
        env = base_env()
        env.update({"TMPDIR": str(tmp), "DOCKYARD_RUN_ID": run_id})
        if tripwire is not None:
            env["DOCKER_HOST"] = tripwire.url
        box = cls(root=root, tmp=tmp, run_id=run_id, engine=engine, tripwire=tripwire, env=env)
        box.settle()
        return box

    def settle(self) -> None:
        """From now on, leak and secret checks count only what runs make: what exists now (files the
        test wrote, containers it made) is the baseline."""
        if self.engine:
            self._before = self.observe()
        self._files = {p: _stamp(p) for p in self._all_files()}

    def _all_files(self) -> list[Path]:
        return [*_files_under(self.root), *_files_under(self.tmp)]

    def files_written(self) -> list[Path]:
        """Files under the project and TMPDIR that are new or changed since `settle()`."""
        return [p for p in self._all_files() if self._files.get(p) != _stamp(p)]

    # ---------------------------------------------------------------- files

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def append_config(self, toml: str) -> None:
        """Add TOML to pyproject.toml: a new table, or keys for a table (merged, see `set_config`)."""
        path = self.root / "pyproject.toml"
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + toml.strip("\n") + "\n",
                        encoding="utf-8")

    def set_config(self, table: str, key: str, value_toml: str) -> None:
        """Set `key = value` in `[table]` of pyproject.toml (the table is created when missing, a key
        already there is replaced). `table` is e.g. "tool.dockyard.prune"."""
        path = self.root / "pyproject.toml"
        lines = path.read_text(encoding="utf-8").splitlines()
        header = f"[{table}]"
        try:
            start = lines.index(header)
        except ValueError:
            lines += ["", header, f"{key} = {value_toml}"]
        else:
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
            body = [i for i in range(start + 1, end) if re.match(rf"\s*{re.escape(key)}\s*=", lines[i])]
            if body:
                lines[body[0]] = f"{key} = {value_toml}"
            else:
                lines.insert(start + 1, f"{key} = {value_toml}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def commit(self, message: str = "change") -> str:
        from support.git import git

        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    @property
    def history_path(self) -> Path:
        return self.root / ".dockyard" / "deploy-history.jsonl"

    def write_history(self, entries: Iterable[dict], raw_tail: bytes = b"") -> Path:
        """The deploy history as JSON lines (written by the test, not by dockyard)."""
        path = self.history_path
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in entries)
        path.write_bytes(data + raw_tail)
        return path

    # ---------------------------------------------------------------- runs

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        env = dict(self.env)
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, *argv: str, env: dict[str, str] | None = None, stdin: str | None = "", timeout: float = 120,
            measure_rss: bool = False, cwd: Path | None = None) -> Result:
        """Run argv in the project directory; the harness kills it (and its group) after `timeout`."""
        argv_list = [str(a) for a in argv]
        rss_file = None
        if measure_rss:
            rss_file = self.tmp.parent / f"rss-{uuid.uuid4().hex[:6]}"
            argv_list = [sys.executable, "-c", _RSS_WRAPPER, str(rss_file), *argv_list]
        start = time.monotonic()
        proc = subprocess.Popen(argv_list, cwd=cwd or self.root, env=self._env(env), text=True,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                errors="replace")
        running = Running(proc, argv_list, start)
        if stdin is not None:
            try:
                out, err = proc.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                result = running.finish(0.1)
            else:
                code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
                result = Result(argv_list, code, out, err, time.monotonic() - start)
        else:
            result = running.finish(timeout)
        if rss_file is not None and rss_file.exists():
            result.max_rss_kb = int(rss_file.read_text() or 0)
        return result

    def invoke_argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "invoke", "--search-root", str(self.root), *args]

    def invoke(self, *args: str, **kwargs) -> Result:  # noqa: ANN003
        """`invoke ARGS` as a user types it in the project directory."""
        return self.run(*self.invoke_argv(*args), **kwargs)

    def module(self, name: str, *args: str, **kwargs) -> Result:  # noqa: ANN003
        """`python -m NAME ARGS` (dockyard.lint, dockyard.images_run: what nox runs)."""
        return self.run(sys.executable, "-m", name, *args, **kwargs)

    def start(self, *argv: str, env: dict[str, str] | None = None) -> Running:
        """Start argv in its own process group and session, stdin closed; see `Running`."""
        argv_list = [str(a) for a in argv]
        proc = subprocess.Popen(argv_list, cwd=self.root, env=self._env(env), text=True, errors="replace",
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        return Running(proc, argv_list, time.monotonic())

    def start_invoke(self, *args: str, env: dict[str, str] | None = None) -> Running:
        return self.start(*self.invoke_argv(*args), env=env)

    # ---------------------------------------------------------------- leaks

    def observe(self) -> EngineObjects:
        """The engine objects of this run now; remembers the volumes they mount (see `leftovers`)."""
        objects = engine_objects([self.run_id, *self.other_ids], self._seen_volumes)
        self._seen_volumes |= objects.volumes
        return objects

    def leftovers(self) -> tuple[EngineObjects, list[str]]:
        """(engine objects of this run that were not there before, including every volume ever seen
        mounted by one of its containers; dockyard temp entries in TMPDIR)."""
        objects = (self.observe() - self._before) if self.engine else EngineObjects()
        temps = sorted(p.name for p in self.tmp.iterdir() if p.name.startswith(TEMP_PREFIXES))
        return objects, temps

    def leftovers_after(self, within: float) -> tuple[EngineObjects, list[str]]:
        """`leftovers()` once they stop shrinking to nothing, at most `within` seconds from now
        (removal can lag the end of a process)."""
        deadline = time.monotonic() + within
        while True:
            objects, temps = self.leftovers()
            if (not objects and not temps) or time.monotonic() >= deadline:
                return objects, temps
            time.sleep(0.5)

    def assert_no_leaks(self, within: float = 10.0) -> None:
        """Nothing of this run is left after at most `within` seconds."""
        objects, temps = self.leftovers_after(within)
        if objects or temps:
            raise AssertionError(
                f"run {self.run_id} left behind: containers {sorted(objects.containers)}, networks "
                f"{sorted(objects.networks)}, volumes {sorted(objects.volumes)}, temp entries {temps}"
            )

    def wait_for(self, predicate: Callable[[], object], timeout: float, what: str,
                 running: Running | None = None, poll: float = 0.25) -> object:
        """Poll `predicate` until it is truthy; fail (with the run's output) after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if running is not None and not running.alive():
                raise AssertionError(f"the run ended before {what}\n{running.finish(5).describe()}")
            time.sleep(poll)
        detail = ""
        if running is not None:
            running.signal(signal.SIGKILL)
            detail = "\n" + running.finish(10).describe()
        raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")

    def on_close(self, cleanup: Callable[[], None]) -> None:
        self._cleanups.append(cleanup)

    def close(self) -> None:
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - cleanup must go on
                pass
        if self.engine:
            remove_engine_objects([self.run_id, *self.other_ids])
            remove_volumes(self._seen_volumes)
        if self.tripwire is not None:
            self.tripwire.close()
