"""One-file edits: a comment in the file's own syntax, undone byte for byte, never in a git tree."""

import pytest

from dockyard.bench.edits import (
    DEFAULT_EDITS,
    Edit,
    EditError,
    applied,
    comment_line,
    edited_content,
    plan_edits,
)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("app/core/views.py", "# m1"),
        ("app/core/templates/core/home.html", "{# m1 #}"),
        ("app/frontend/app.js", 'globalThis.__dockyardBench = "m1";'),
        ("app/frontend/app.css", ':root { --dockyard-bench: "m1"; }'),
    ],
)
def test_comment_line_uses_the_file_s_comment_syntax(path, line):
    assert comment_line(path, "m1") == line


def test_unknown_file_type_is_refused():
    with pytest.raises(EditError, match="cannot add a line to app/logo.png"):
        comment_line("app/logo.png", "m1")


def test_edit_appends_one_line_and_adds_a_missing_final_newline():
    assert edited_content(b"x = 1\n", "a.py", "m") == b"x = 1\n# m\n"
    assert edited_content(b"x = 1", "a.py", "m") == b"x = 1\n# m\n"
    assert edited_content(b"", "a.py", "m") == b"# m\n"


def test_plan_edits_defaults_and_overrides():
    assert [(e.kind, e.path) for e in plan_edits()] == list(DEFAULT_EDITS.items())
    planned = {e.kind: e.path for e in plan_edits({"asset": "app/frontend/app.css"})}
    assert planned["asset"] == "app/frontend/app.css" and planned["python"] == DEFAULT_EDITS["python"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"binary": "a.py"}, "unknown kind 'binary'"),
        ({"python": "/etc/passwd.py"}, "relative to the project root"),
        ({"python": "../outside.py"}, "relative to the project root"),
        ({"asset": "app/logo.png"}, "cannot add a line"),
    ],
)
def test_plan_edits_rejects_bad_configuration(config, message):
    with pytest.raises(EditError, match=message):
        plan_edits(config)


def test_applied_changes_the_file_while_the_block_runs_and_restores_it_exactly(tmp_path):
    target = tmp_path / "app" / "core" / "views.py"
    target.parent.mkdir(parents=True)
    original = b"# -*- coding: utf-8 -*-\r\nprint('hi')"  # CRLF, no final newline: kept as is
    target.write_bytes(original)
    with applied(tmp_path, Edit("python", "app/core/views.py"), "bench r1") as path:
        assert path.read_bytes() == original + b"\n# bench r1\n"
    assert target.read_bytes() == original


def test_applied_restores_the_file_when_the_build_fails(tmp_path):
    target = tmp_path / "a.js"
    target.write_bytes(b"let a;\n")
    with pytest.raises(RuntimeError), applied(tmp_path, Edit("asset", "a.js"), "m"):
        raise RuntimeError("build failed")
    assert target.read_bytes() == b"let a;\n"


def test_applied_refuses_a_git_working_tree(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    with (
        pytest.raises(EditError, match="git working tree"),
        applied(tmp_path, Edit("python", "a.py"), "m"),
    ):
        pass
    assert (tmp_path / "a.py").read_text() == "x = 1\n"


def test_applied_says_which_file_is_missing(tmp_path):
    with (
        pytest.raises(EditError, match="app/core/views.py is not in the build context"),
        applied(tmp_path, Edit("python", "app/core/views.py"), "m"),
    ):
        pass


def test_marker_cannot_break_out_of_the_line():
    with pytest.raises(EditError, match="marker"):
        comment_line("a.js", 'x"; fetch("/")')
