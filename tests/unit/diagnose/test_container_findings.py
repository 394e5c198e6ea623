"""troubleshoot.container's findings from recorded state (pure logic)."""

from __future__ import annotations

from dockyard.diagnose.container import (
    ContainerReport,
    PathInfo,
    Permissions,
    findings,
    parse_permissions,
)

PROBE_OUTPUT = """id: uid=1000(app) gid=1000(app) groups=1000(app)
path: drwxr-xr-x app(1000):app(1000) yes /code
path: drwxr-xr-x root(0):root(0) no /data
path: missing - - /srv/media
path: drwxrwxrwt root(0):root(0) yes /tmp
listing:
total 8
drwxr-xr-x 1 app app 4096 Nov 25 17:31 .
"""


def test_parse_permissions():
    perms = parse_permissions(PROBE_OUTPUT, "exec")
    assert perms.identity == "uid=1000(app) gid=1000(app) groups=1000(app)"
    assert [(p.path, p.writable) for p in perms.paths] == [
        ("/code", True),
        ("/data", False),
        ("/srv/media", None),
        ("/tmp", True),
    ]
    assert perms.paths[1].owner == "root(0):root(0)"
    assert perms.listing[0] == "total 8"


def report(**changes) -> ContainerReport:
    base = dict(
        name="c",
        image="i",
        status="running",
        exit_code=None,
        error="",
        started_at=None,
        finished_at=None,
        restart_count=0,
        restart_policy="no",
        oom_killed=False,
        user="app",
        health="healthy",
        failing_streak=0,
        probes=[],
        log_tail=["ok"],
        permissions=Permissions(
            "exec",
            "uid=1000(app) gid=1000(app)",
            [
                PathInfo("/code", "drwxr-xr-x", "app:app", True),
                PathInfo("/data", "drwxr-xr-x", "app:app", True),
            ],
            [],
        ),
    )
    base.update(changes)
    return ContainerReport(**base)


def test_healthy_container_has_no_findings():
    assert findings(report()) == []


def test_oom_and_crash_loop():
    found = findings(
        report(
            status="restarting",
            exit_code=137,
            oom_killed=True,
            restart_count=4,
            restart_policy="always",
            log_tail=["Killed"],
        )
    )
    summaries = [f.summary for f in found]
    assert summaries[0] == "the container was killed for running out of memory (OOMKilled)"
    assert summaries[1].startswith(
        "crash loop: restarted 4 time(s) (policy always), last exit code 137"
    )


def test_exit_code_meaning_and_error_line():
    found = findings(
        report(status="exited", exit_code=127, log_tail=["exec: gunicorn: not found", "bye"])
    )
    assert found[0].summary == "the container exited with code 127; last log line: bye"
    assert "not found" in found[0].fix


def test_unhealthy_probe_and_unwritable_dir():
    probes = [
        {
            "exit_code": 1,
            "output": "curl: (7) Failed to connect to 127.0.0.1 port 80",
            "start": "",
            "end": "",
        }
    ]
    perms = Permissions(
        "exec",
        "uid=1000(app) gid=1000(app)",
        [
            PathInfo("/code", "drwxr-xr-x", "app:app", True),
            PathInfo("/data", "drwxr-xr-x", "root(0):root(0)", False),
        ],
        [],
    )
    found = findings(report(health="unhealthy", failing_streak=3, probes=probes, permissions=perms))
    assert found[0].summary == (
        "health probe failing (3 in a row); last probe exit 1: "
        "curl: (7) Failed to connect to 127.0.0.1 port 80"
    )
    assert (
        found[1].summary
        == "the runtime user (uid=1000(app)) cannot write /data (drwxr-xr-x root(0):root(0))"
    )
    assert all(f.severity == "error" for f in found)


def test_root_user_is_a_warning():
    perms = Permissions(
        "image", "uid=0(root) gid=0(root)", [PathInfo("/code", "drwxr-xr-x", "root:root", True)], []
    )
    found = findings(report(permissions=perms))
    assert [(f.severity, f.summary) for f in found] == [("warning", "the container runs as root")]


def test_crash_loop_names_the_error_even_when_a_later_line_follows_it():
    # stderr and stdout of a restarting container can interleave in either order
    found = findings(
        report(
            status="restarting",
            exit_code=3,
            restart_count=2,
            restart_policy="on-failure",
            log_tail=["touch: cannot touch '/data/db.sqlite3': Permission denied", "starting service"],
        )
    )
    [crash] = [f for f in found if f.summary.startswith("crash loop")]
    assert crash.summary.endswith("last error in the log: touch: cannot touch '/data/db.sqlite3': Permission denied")
