"""Untrusted text (the deploy history, a server's answer, a container's log or command, a file) is
never rich markup and never reaches the terminal as escape sequences (issue 14, defects 9 and 10).

Two layers: a scan of the source for the ways markup could sneak back in, and hostile strings
rendered through the views that show such text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.cli import console as consoles
from dockyard.core.untrusted import one_line, printable

SRC = Path(__file__).resolve().parents[3] / "src" / "dockyard"
HOSTILE = ["[/]", "[bold red]x[/]", "[link=http://evil]y[/link]", "\x1b[2J", "\x1b]0;pwned\x07", "a\rb", "\x9b31m"]
ESCAPES = ("\x1b", "\x9b", "\x07")


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_source_turns_markup_back_on(path: Path) -> None:
    """No `markup=True`, no `Text.from_markup`/`render`, no `Console(...)` that reads markup, no
    status spinner or Panel title given a formatted string (both read markup whatever the console says)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for call in _calls(tree):
        name = _name(call.func)
        keywords = {k.arg: k.value for k in call.keywords}
        line = f"{path.relative_to(SRC)}:{call.lineno}"
        if isinstance(keywords.get("markup"), ast.Constant) and keywords["markup"].value is True:
            problems.append(f"{line}: markup=True")
        if name in ("from_markup", "render_markup"):
            problems.append(f"{line}: {name}()")
        if name == "Console" and not (
            isinstance(keywords.get("markup"), ast.Constant) and keywords["markup"].value is False
        ):
            problems.append(f"{line}: Console() without markup=False")
        if name == "status" and call.args and isinstance(call.args[0], ast.JoinedStr):
            problems.append(f"{line}: status(f-string): give it a rich Text")
        title = keywords.get("title")
        if name == "Panel" and isinstance(title, ast.JoinedStr | ast.Name | ast.BinOp):
            problems.append(f"{line}: Panel(title=<str>): give it a rich Text")
    assert not problems, problems


def test_the_consoles_read_no_markup() -> None:
    for console in (consoles.console, consoles.progress_console, consoles.plain_console(80)):
        assert isinstance(console, consoles.SafeConsole)
        assert console._markup is False  # noqa: SLF001 - the setting itself is what matters here


def render(renderable) -> str:  # noqa: ANN001
    """What dockyard's own console prints for `renderable` (the class of cli.console.console)."""
    out = consoles.SafeConsole(width=200, color_system=None)  # no colour codes of its own
    with out.capture() as captured:
        out.print(renderable)
    return captured.get()


text = st.lists(st.sampled_from(["[", "]", "/", "bold", " ", "red", "\x1b", "\x07", "\x9b", "=", "a", "é", "\r"]),
                max_size=12).map("".join) | st.sampled_from(HOSTILE)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(value=text)
def test_printable_leaves_no_escape_and_keeps_the_text(value: str) -> None:
    shown = printable(value)
    assert not any(ch in shown for ch in ESCAPES)
    assert "\n" not in one_line(value)
    plain = value.replace("\x1b", "").replace("\x9b", "").replace("\x07", "")
    assert all(ch in plain for ch in shown if ch != "\ufffd")


@settings(max_examples=60, derandomize=True, deadline=None)
@given(value=text)
def test_the_deploy_history_table_shows_any_field_literally(value: str) -> None:
    from dockyard.cli.views.deploy import history_table
    from dockyard.deploy.history import Entry

    entry = Entry(time="2024-11-21T10:00:00Z", service=value, image=f"reg/web:{value}", sha=value,
                  result="accepted", action=value)
    shown = render(history_table([entry], f"history {value}"))
    assert not any(ch in shown for ch in ESCAPES)
    literal = one_line(value).strip()
    if literal and len(literal) <= 10:  # short enough not to be wrapped in the cell
        assert literal in shown


@pytest.mark.parametrize("value", HOSTILE)
def test_diagnose_views_show_container_text_literally(value: str) -> None:
    from dockyard.cli.views.diagnose import beat_view, container_view
    from dockyard.diagnose.beat import BeatReport
    from dockyard.diagnose.container import ContainerProblem, ContainerReport
    from dockyard.runtime.celery_evidence import CeleryEvidence
    from dockyard.runtime.celery_logs import BeatDiagnosis, LogCause

    report = ContainerReport(
        name=value, image=value, status="exited", exit_code=3, error=value, started_at=None, finished_at=None,
        restart_count=0, restart_policy="no", oom_killed=False, user=value, health=None, failing_streak=0,
        probes=[{"end": None, "exit_code": 1, "output": value}], log_tail=[value, value], permissions=None,
        findings=[ContainerProblem("error", value, value)],
    )
    diagnosis = BeatDiagnosis("crashed", None, value, 0, None, [LogCause("cause", value, value, value)])
    evidence = CeleryEvidence(
        container=value, running=True, command=["celery", value], celery=None, celery_processes=[value], log=diagnosis
    )
    beat = BeatReport(
        container=value, image=value, container_status="running", command=["celery", value],
        beat_requested=True, diagnosis=diagnosis, evidence=evidence, beat_lines=[value],
    )
    for view in (container_view(report), beat_view(beat)):
        shown = render(view)
        assert not any(ch in shown for ch in ESCAPES), repr(shown)
        if value.isprintable():
            assert value in shown


@pytest.mark.parametrize("value", HOSTILE)
def test_runtime_steps_show_details_literally(value: str) -> None:
    from dockyard.cli.views.runtime import steps_table, verdict
    from dockyard.runtime.steps import StepResult

    shown = render(steps_table([StepResult(value, False, 1.0, value)], "steps"))
    shown += render(verdict(False, "web", value))
    if value.isprintable():
        assert value in shown


@pytest.mark.parametrize("value", HOSTILE)
def test_task_notes_print_any_text_literally(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from dockyard.cli.tasks._output import detail, note, say, step, warning

    for show in (note, warning, step, detail, say):
        with consoles.progress_console.capture() as err, consoles.console.capture() as out:
            show(value)
        shown = err.get() + out.get()
        assert not any(ch in shown for ch in ESCAPES), repr(shown)
        if value.isprintable():
            assert value in shown
