from dockyard.core.identity import Identity, parse_id
from dockyard.images.checks.user import judge

APP = "uid=1000(app) gid=1000(app) groups=1000(app)"


def test_parse_id_takes_the_last_id_line_after_entrypoint_output():
    output = "Operations to perform:\n  Apply all migrations: core\nuid=1000(app) gid=1000(app)\n"
    assert parse_id(output) == Identity(1000, 1000, "app", "uid=1000(app) gid=1000(app)")
    assert parse_id("uid=0 gid=0") == Identity(0, 0, None, "uid=0 gid=0")
    assert parse_id("no id here") is None


def test_app_user_with_uid_1000_passes():
    passed, measured, detail = judge("app", APP, 0, 1000)
    assert passed and measured == f"USER app; {APP}"


def test_no_user_fails_even_if_an_entrypoint_drops_privileges():
    passed, measured, detail = judge("", APP, 0, 1000)
    assert not passed and measured.startswith("no USER;")
    assert "sets no USER" in detail


def test_root_user_fails():
    passed, _, detail = judge("root:root", "uid=0(root) gid=0(root)", 0, 1000)
    assert not passed and "USER root:root" in detail


def test_wrong_uid_fails_with_the_difference():
    passed, measured, detail = judge("app", "uid=1001(app) gid=1001(app)", 0, 1000)
    assert not passed and "uid=1001(app)" in measured and "uid 1001" in detail


def test_id_that_does_not_run_fails_with_its_output():
    passed, measured, detail = judge("app", "exec: id: not found", 127, 1000)
    assert not passed and measured == "USER app; id failed"
    assert "exited 127" in detail and "not found" in detail
