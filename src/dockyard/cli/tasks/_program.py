"""What Invoke's own program does with dockyard's tasks, where Invoke alone would fall short:

* a command line Invoke cannot parse (an unknown option or task, a missing positional argument,
  an option without its value) ends with one `error: ...` line, like every other failure;
* `--help` or `-h` right after a task name shows that task's help, also when the task takes a
  positional argument (Invoke's parser would hand `--help` to the task as the argument's value:
  `invoke deploy --help` tried to deploy a service called "--help");
* a task that is missing because what defines it could not be read (`build.web` when the bake
  file is missing or unreadable) is named with the reason.

`invoke`, `inv` and `python -m invoke` all run the one program object `invoke.main.program`.
Invoke imports the project's tasks.py, and with it dockyard's namespace, in the middle of that
program's run, after its core options and before the task arguments are parsed; `adopt()`,
called when the namespace is built, wraps that object's two parse steps. A Program a project
makes itself is left alone.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from invoke.exceptions import Exit, ParseError

HELP_FLAGS = ("--help", "-h")
ERROR_PREFIX = "error: "
_UNKNOWN = re.compile(r"No idea what '(?P<name>[^']*)' is!")
_NO_VALUE = re.compile(r"Flag <\w+: (?P<name>\w+).*needed value and was not given one!")

# task-name prefix -> why the tasks under it could not be made (e.g. "build." -> the bake file)
_UNAVAILABLE: dict[str, str] = {}


def unavailable(prefix: str, reason: str) -> None:
    """Tasks under `prefix` could not be made, because of `reason` (said when one is asked for)."""
    _UNAVAILABLE[prefix] = reason


def adopt() -> None:
    """Wrap the parse steps of Invoke's running program (no-op outside `invoke`/`inv`)."""
    main = sys.modules.get("invoke.main")
    program = getattr(main, "program", None)
    if program is None or getattr(program, "_dockyard_adopted", False):
        return
    program._dockyard_adopted = True
    program.parse_tasks = _parse_tasks(program, program.parse_tasks)
    program.parse_cleanup = _as_error_lines(program.parse_cleanup)


def _parse_tasks(program: Any, parse: Callable[[], None]) -> Callable[[], None]:
    @_as_error_lines
    def parse_tasks() -> None:
        parse()
        for context in program.tasks:
            if any(arg.value in HELP_FLAGS for arg in context.positional_args):
                program.print_task_help(context.name)
                raise Exit
    return parse_tasks


def _as_error_lines(step: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            step()
        except ParseError as exc:
            raise ParseError(error_line(str(exc)), exc.context) from None
    return run


def error_line(message: str) -> str:
    """Invoke's parse error as dockyard's one `error:` line."""
    message = " ".join(message.splitlines())
    if message.startswith(ERROR_PREFIX):
        return message
    unknown = _UNKNOWN.fullmatch(message.strip())
    if unknown:
        name = unknown["name"]
        for prefix, reason in _UNAVAILABLE.items():
            if name.startswith(prefix):
                return f"{ERROR_PREFIX}no task {name!r}: {reason}"
        what = "option" if name.startswith("-") else "task"
        return f"{ERROR_PREFIX}no {what} {name!r} (see `invoke --list` and `invoke --help TASK`)"
    no_value = _NO_VALUE.fullmatch(message.strip())
    if no_value:
        return f"{ERROR_PREFIX}--{no_value['name'].replace('_', '-')} needs a value"
    return ERROR_PREFIX + message.strip()
