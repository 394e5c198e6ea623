"""Read a Dockerfile with BuildKit's own grammar and split it into stages.

The `dockerfile` package wraps the official Go parser (moby/buildkit
frontend/dockerfile/parser), so continuation lines, heredocs, JSON forms and
parser directives are understood exactly as `docker build` understands them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile import GoParseError, parse_string

from dockyard.core.errors import ConfigError
from dockyard.core.files import read_text


class DockerfileSyntaxError(ConfigError):
    """BuildKit's parser rejects the file."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.detail = message


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case: RUN, COPY, ...
    line: int
    end_line: int
    flags: tuple[str, ...]  # ("--from=builder", "--chown=app:app")
    value: tuple[str, ...]  # the arguments after the flags, as the parser splits them
    original: str  # the instruction text, continuation lines joined
    json: bool  # exec (JSON array) form
    heredocs: tuple[str, ...] = ()  # heredoc bodies, in order

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (last one wins), "" for a bare `--name`, None when absent."""
        found: str | None = None
        for item in self.flags:
            key, sep, val = item.partition("=")
            if key.lower() == f"--{name}":
                found = val if sep else ""
        return found

    def flag_values(self, name: str) -> list[str]:
        """Every value of a repeatable flag such as `--mount`."""
        out = []
        for item in self.flags:
            key, sep, val = item.partition("=")
            if key.lower() == f"--{name}" and sep:
                out.append(val)
        return out


@dataclass
class Stage:
    index: int
    name: str | None  # lower case, as BuildKit compares stage names
    base: str  # the FROM argument, unexpanded (${BASE_IMAGE}, python:3.11, another stage)
    line: int  # line of the FROM instruction
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)  # everything after FROM

    @property
    def label(self) -> str:
        return self.name if self.name is not None else str(self.index)

    @property
    def end_line(self) -> int:
        last = self.instructions[-1] if self.instructions else self.from_instruction
        return last.end_line


@dataclass
class Dockerfile:
    path: Path
    lines: list[str]  # the raw text, for inline ignores and messages
    global_args: list[Instruction]  # ARGs before the first FROM
    stages: list[Stage]

    def stage(self, ref: str) -> Stage | None:
        """A stage by name (case-insensitive) or by index."""
        ref = ref.strip().lower()
        for stage in self.stages:
            if stage.name == ref:
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def stage_at(self, line: int) -> Stage | None:
        """The stage whose lines include `line`."""
        current = None
        for stage in self.stages:
            if stage.line <= line:
                current = stage
        return current

    @property
    def stage_names(self) -> list[str]:
        return [s.label for s in self.stages]


_GO_ERROR_LINE = re.compile(r"line (\d+)")


def parse_dockerfile(path: Path) -> Dockerfile:
    text = read_text(path)
    return parse_dockerfile_text(text, path)


def parse_dockerfile_text(text: str, path: Path) -> Dockerfile:
    try:
        commands = parse_string(text)
    except GoParseError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot parse"
        found = _GO_ERROR_LINE.search(message)
        line = int(found.group(1)) if found else _locate(text, message)
        raise DockerfileSyntaxError(path, line, message) from None
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    for command in commands:
        instruction = Instruction(
            cmd=command.cmd.upper(),
            line=command.start_line,
            end_line=command.end_line,
            flags=tuple(command.flags),
            value=tuple(command.value),
            original=command.original,
            json=command.json,
            heredocs=tuple(h.content for h in command.heredocs),
        )
        if instruction.cmd == "FROM":
            stages.append(_new_stage(len(stages), instruction, path))
        elif stages:
            stages[-1].instructions.append(instruction)
        elif instruction.cmd == "ARG":
            global_args.append(instruction)
        else:
            raise DockerfileSyntaxError(
                path,
                instruction.line,
                f"{instruction.cmd} before the first FROM (only ARG may come first)",
            )
    if not stages:
        raise DockerfileSyntaxError(path, 1, "no FROM instruction")
    return Dockerfile(path=path, lines=text.splitlines(), global_args=global_args, stages=stages)


def _locate(text: str, message: str) -> int:
    """The line an error without a line number is about: the first instruction of the kind the
    message names ("ENV must have two arguments") that fails on its own; else the last heredoc."""
    lines = text.splitlines()
    if "heredoc" in message:
        starts = [n for n, line in enumerate(lines, start=1) if "<<" in line]
        return starts[-1] if starts else 1
    keyword = message.split()[0].upper() if message.split() else ""
    for number, line in enumerate(lines, start=1):
        words = line.split()
        if words and words[0].upper() == keyword:
            try:
                parse_string(f"FROM scratch\n{line.rstrip(chr(92))}\n")
            except GoParseError:
                return number
    return 1


def _new_stage(index: int, instruction: Instruction, path: Path) -> Stage:
    value = instruction.value
    if not value:
        raise DockerfileSyntaxError(path, instruction.line, "FROM requires an image")
    name = None
    if len(value) >= 3 and value[1].lower() == "as":
        name = value[2].lower()
    elif len(value) != 1:
        raise DockerfileSyntaxError(path, instruction.line, "FROM takes an image and an optional 'AS name'")
    return Stage(index=index, name=name, base=value[0], line=instruction.line, from_instruction=instruction)


def arg_declarations(instruction: Instruction) -> list[tuple[str, str | None]]:
    """`ARG A B=2` -> [("A", None), ("B", "2")]."""
    out = []
    for item in instruction.value:
        name, sep, default = item.partition("=")
        out.append((name, _unquote(default) if sep else None))
    return out


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """`ENV A=1 B=2` (the parser gives A,1,B,2) -> [("A","1"), ("B","2")]."""
    values = list(instruction.value)
    return [(values[i], _unquote(values[i + 1])) for i in range(0, len(values) - 1, 2)]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text
