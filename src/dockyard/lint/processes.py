"""What each deployed container actually runs, as far as the project's files tell.

A runner's ENTRYPOINT and CMD (or its compose `command:`/`entrypoint:`) are followed into the
scripts they start when those come from the build context (`/start` copied from
compose/production/django/start), into supervisord's `[program:x]` sections, into s6-overlay's
service `run` scripts, and into uwsgi's ini file. Each process keeps the place it is written
(file and line) and the user it is switched to (gosu, su-exec, s6-setuidgid, setpriv, chpst,
runuser; supervisord `user=`; uwsgi `uid =`), so rules can say what runs where and as whom.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from dockyard.dockerfile.files import ImageFiles
from dockyard.dockerfile.parser import Instruction
from dockyard.dockerfile.shell import SimpleCommand, script_commands, split_commands
from dockyard.lint.commands import commands_of, role, supervisord_programs, uwsgi_uid
from dockyard.lint.deployment import Deployment, Runner

_MAX_DEPTH = 4
_MAX_SCRIPT_BYTES = 256 * 1024
_S6_DIRS = ("/etc/s6-overlay/s6-rc.d", "/etc/services.d", "/etc/s6-overlay/services.d")
_SUPERVISOR_DIRS = ("/etc/supervisor", "/etc/supervisord.conf", "/etc/supervisord.d")


@dataclass(frozen=True)
class Process:
    command: SimpleCommand
    path: Path  # the file it is written in
    line: int
    where: str  # "CMD of stage 'web'", "compose/production/django/start", "[program:celery]"
    user: str | None  # the user something switched it to (None: the container's user)
    main: bool  # started by the container for good (not a step of an entrypoint script)

    @property
    def role(self) -> str | None:
        return role(self.command)


@dataclass(frozen=True)
class _Source:
    path: Path
    line: int
    where: str


def runner_processes(dep: Deployment, runner: Runner) -> list[Process]:
    """Every process of `runner` (cached on the runner)."""
    cached = getattr(runner, "_processes", None)
    if cached is None:
        cached = _Walker(dep, runner).walk()
        runner._processes = cached  # type: ignore[attr-defined]
    return cached


class _Walker:
    def __init__(self, dep: Deployment, runner: Runner) -> None:
        self.runner = runner
        self.files: ImageFiles | None = None
        if runner.graph is not None and runner.stage is not None and runner.context is not None:
            self.files = dep.image_files(runner.graph, runner.stage, runner.context)
        config = runner.config
        self.workdir = config.workdir
        self.path_variable = config.env.get("PATH")
        self.out: list[Process] = []
        self.read: set[Path] = set()

    def walk(self) -> list[Process]:
        runner = self.runner
        entry = self._start(runner.entrypoint, "entrypoint")
        cmd = self._start(runner.cmd, "command")
        passes_as: str | None = None
        for command, source in entry:
            passes_as = self._visit(command, source, None, main=not cmd, depth=0) or passes_as
        for command, source in cmd:
            self._visit(command, source, passes_as, main=True, depth=0)
        return self.out

    def _start(self, value: Instruction | str | list[str] | None, key: str) -> list[tuple[SimpleCommand, _Source]]:
        runner = self.runner
        if value is None:
            return []
        if isinstance(value, Instruction):
            assert runner.stage is not None and runner.dockerfile is not None
            where = f"{value.cmd} of stage '{runner.stage.label}'"
            source = _Source(runner.dockerfile.path, value.line, where)
        else:
            service, compose = runner.service, runner.compose
            assert service is not None and compose is not None
            source = _Source(compose.path, service.line_of(key), f"{key}: of service '{service.name}'")
        return [(command, source) for command in commands_of(value)]

    def _visit(self, command: SimpleCommand, source: _Source, user: str | None, main: bool, depth: int) -> str | None:
        """Record `command` and what it starts; returns the user it hands "$@" to, if it does."""
        user = command.runs_as or user
        if not command.words:
            return None
        if command.words[0] in ("$@", '"$@"', "$0") or command.words[:2] == ["$0", "$@"]:
            return user if command.runs_as else None  # the entrypoint hands over to CMD
        program = command.program
        if program == "uwsgi":
            user = self._uwsgi_user(command) or user
        self.out.append(Process(command, source.path, source.line, source.where, user, main))
        if depth >= _MAX_DEPTH or self.files is None:
            return None
        if program in ("supervisord", "supervisor"):
            self._supervisord(depth)
        elif program == "init" and command.words[0] == "/init":
            self._s6(depth)
        else:
            found = self.files.find_program(command.words[0], self.workdir, self.path_variable)
            if found is None and program in ("sh", "bash", "dash", "ash") and len(command.words) > 1:
                found = self.files.find_program(command.words[1], self.workdir, self.path_variable)
            if found is not None:
                return self._script(found[1], user, main, depth)
        return None

    def _text(self, path: Path) -> str | None:
        try:
            if path.stat().st_size > _MAX_SCRIPT_BYTES:
                return None
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _script(self, path: Path, user: str | None, main: bool, depth: int) -> str | None:
        if path in self.read:
            return None
        self.read.add(path)
        text = self._text(path)
        if text is None or not (text.startswith("#!") or path.suffix in (".sh", "") or "exec" in text):
            return None
        passes_as = None
        for line, command in script_commands(text):
            source = _Source(path, line, _relative(path, self.runner.context or path.parent))
            passes_as = self._visit(command, source, user, main, depth + 1) or passes_as
        return passes_as

    def _uwsgi_user(self, command: SimpleCommand) -> str | None:
        direct = command.option("--uid")
        if direct:
            return direct
        ini = command.option("--ini")
        if not ini:
            return None
        if self.files is None:
            return None
        image_path = ini if ini.startswith("/") else posixpath.join(self.workdir, ini)
        path = self.files.source_of(posixpath.normpath(image_path))
        text = self._text(path) if path else None
        return uwsgi_uid(text) if text else None

    def _supervisord(self, depth: int) -> None:
        assert self.files is not None and self.runner.context is not None
        for prefix in _SUPERVISOR_DIRS:
            for _, path in self.files.under(prefix):
                if path in self.read:
                    continue
                self.read.add(path)
                text = self._text(path)
                if not text or "[program:" not in text:
                    continue
                for name, line, command_text, user in supervisord_programs(text):
                    source = _Source(path, line, f"[program:{name}] in {_relative(path, self.runner.context)}")
                    for command in split_commands(command_text):
                        self._visit(command, source, user, True, depth + 1)

    def _s6(self, depth: int) -> None:
        assert self.files is not None and self.runner.context is not None
        for prefix in _S6_DIRS:
            for image_path, path in self.files.under(prefix):
                if posixpath.basename(image_path) not in ("run", "up"):
                    continue
                if path in self.read:
                    continue
                self.read.add(path)
                text = self._text(path)
                if text is None:
                    continue
                where = _relative(path, self.runner.context)
                oneshot = posixpath.basename(image_path) == "up"
                for line, command in _s6_commands(text):
                    self._visit(command, _Source(path, line, where), None, not oneshot, depth + 1)


def _s6_commands(text: str) -> list[tuple[int, SimpleCommand]]:
    """An s6 `run` script (shell after `#!/command/with-contenv sh`), or an `up` line (execline)."""
    return script_commands(text)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name
