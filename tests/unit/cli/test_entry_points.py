"""The `dockyard` console script, `python -m dockyard`, and the one error mapping every entry point uses."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.dockyard_cli import clean_env, invoke, write_project

from dockyard import __version__
from dockyard.cli.app import command_modules, main
from dockyard.cli.errors import INTERRUPTED, error_line, run_main
from dockyard.core.errors import ConfigError, DockyardError


def test_every_sub_command_module_is_listed(capsys):
    names = [module.NAME for module in command_modules()]
    assert names == ["engine", "init", "lint", "version"]
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"dockyard {__version__}\n"


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: dockyard" in capsys.readouterr().out


def test_the_console_script_and_python_dash_m_answer():
    script = shutil.which("dockyard", path=str(Path(sys.executable).parent))
    assert script is not None, "the dockyard console script is not installed next to this Python"
    for argv in ([script, "--help"], [sys.executable, "-m", "dockyard", "--help"]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage: dockyard") and "version" in proc.stdout and "lint" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "dockyard", "version"], capture_output=True, text=True)
    assert proc.stdout == f"dockyard {__version__}\n"


def test_an_expected_failure_is_one_line_and_its_code(capsys):
    class Refused(DockyardError):
        exit_code = 3

    def body() -> int:
        raise Refused("the server said no")

    assert run_main(body) == 3
    assert capsys.readouterr().err == "error: the server said no\n"
    assert error_line(ConfigError("bad key")) == ("error: bad key", 1)


def test_ctrl_c_is_130_with_the_entry_points_own_words(capsys):
    def body() -> int:
        raise KeyboardInterrupt

    assert run_main(body, interrupted="cleaned up") == INTERRUPTED == 130
    assert capsys.readouterr().err == "error: interrupted (Ctrl-C): cleaned up\n"


def test_anything_else_is_a_bug_not_an_expected_failure():
    with pytest.raises(TypeError):
        error_line(ValueError("x"))


def test_a_bad_number_for_a_task_option_is_a_usage_error_not_a_traceback(tmp_path):
    proc = invoke(write_project(tmp_path / "site"), "troubleshoot.container", "x", "--lines", "many", env=clean_env())
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: --lines takes a whole number, got 'many'"
