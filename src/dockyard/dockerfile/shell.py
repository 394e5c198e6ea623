"""Just enough shell to read RUN/CMD lines: variables, simple commands, program names."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from dockyard.dockerfile.parser import Instruction

_SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;", "|&", "\n"}
_REDIRECTS = {">", ">>", "<", "<<", ">&", "<&", "&>", "&>>", ">|", "<>"}
# Programs that run the next word as the real command.
_WRAPPERS = {
    "exec",
    "sudo",
    "env",
    "nice",
    "nohup",
    "time",
    "command",
    "gosu",
    "su-exec",
    "tini",
    "dumb-init",
    "xargs",
    "setpriv",
    "chroot",
}
_WRAPPER_OPERANDS = {"gosu": 1, "su-exec": 1, "chroot": 1}


@dataclass
class SimpleCommand:
    """One command of a shell line: `A=1 exec celery worker` -> env {A: 1}, [celery, worker]."""

    words: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def program(self) -> str:
        return posixpath.basename(self.words[0]) if self.words else ""

    def has(self, *options: str) -> bool:
        """Whether any of `options` is present, as `--opt`, `--opt=value` or a bare word."""
        for word in self.words[1:]:
            for option in options:
                if word == option or (option.startswith("--") and word.startswith(option + "=")):
                    return True
        return False

    def option(self, *names: str) -> str | None:
        """The value of `--name value`, `--name=value`, `-n value` or `-nvalue` (last wins)."""
        found = None
        words = self.words
        for i, word in enumerate(words):
            for name in names:
                if word == name and i + 1 < len(words):
                    found = words[i + 1]
                elif name.startswith("--") and word.startswith(name + "="):
                    found = word[len(name) + 1 :]
                elif len(name) == 2 and not name.startswith("--") and word.startswith(name) and len(word) > 2:
                    found = word[2:]
        return found


def split_commands(script: str) -> list[SimpleCommand]:
    """The simple commands of a shell script (&&, ||, ;, |, newlines and subshells split them)."""
    out: list[SimpleCommand] = []
    for line in _logical_lines(script):
        out.extend(_split_line(line))
    return out


def _logical_lines(script: str) -> list[str]:
    lines: list[str] = []
    buffer = ""
    for raw in script.splitlines():
        if raw.rstrip().endswith("\\"):
            buffer += raw.rstrip()[:-1] + " "
            continue
        lines.append(buffer + raw)
        buffer = ""
    if buffer:
        lines.append(buffer)
    return lines


def _split_line(line: str) -> list[SimpleCommand]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace words
        tokens = line.split()
    commands: list[SimpleCommand] = []
    current: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in _SEPARATORS:
            commands.append(_simple(current))
            current = []
        elif token in _REDIRECTS:
            if current and current[-1].isdigit():  # the fd of `2>&1` (shlex splits it off)
                current.pop()
            skip_next = True
        elif re.fullmatch(r"\d?[<>]&?\d*", token):
            continue
        else:
            current.append(token)
    commands.append(_simple(current))
    return [c for c in commands if c.words]


def _simple(words: list[str]) -> SimpleCommand:
    env: dict[str, str] = {}
    words = list(words)
    # leading assignments, then wrappers (which may carry their own assignments or options)
    while words:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        elif posixpath.basename(words[0]) in _WRAPPERS and len(words) > 1:
            wrapper = posixpath.basename(words.pop(0))
            while words and words[0].startswith("-") and words[0] != "--":
                words.pop(0)
            if words and words[0] == "--":
                words.pop(0)
            for _ in range(_WRAPPER_OPERANDS.get(wrapper, 0)):  # gosu USER cmd, chroot DIR cmd
                if words:
                    words.pop(0)
        else:
            break
    return SimpleCommand(words=words, env=env)


def instruction_commands(instruction: Instruction) -> list[SimpleCommand]:
    """The commands a RUN/CMD/ENTRYPOINT/HEALTHCHECK runs, `sh -c '...'` unwrapped."""
    if instruction.cmd == "HEALTHCHECK":
        value = list(instruction.value)
        if not value or value[0].upper() != "CMD":
            return []
        words = value[1:]
        return _from_words(words) if instruction.json else split_commands(" ".join(words))
    if instruction.json:
        return _from_words(list(instruction.value))
    scripts = []
    text = " ".join(instruction.value)
    if instruction.heredocs and text.lstrip().startswith("<<"):
        scripts.extend(instruction.heredocs)
    else:
        scripts.append(text)
    out: list[SimpleCommand] = []
    for script in scripts:
        out.extend(split_commands(script))
    return out


def _from_words(words: list[str]) -> list[SimpleCommand]:
    if (
        len(words) >= 3
        and posixpath.basename(words[0]) in {"sh", "bash", "dash", "ash"}
        and words[1] in {"-c", "-ec", "-ce", "-euc", "-exc"}
    ):
        return split_commands(words[2])
    command = _simple(words)
    return [command] if command.words else []


def command_text(commands: Iterable[SimpleCommand]) -> str:
    return " && ".join(shlex.join(c.words) for c in commands)


def resolve_dir(workdir: str, path: str) -> str:
    """An absolute, normalised path for `path` seen from `workdir`."""
    joined = path if path.startswith("/") else posixpath.join(workdir or "/", path)
    normal = posixpath.normpath(joined)
    return "/" if normal in (".", "//") else normal


def path_covers(source: str, target: str) -> bool:
    """Whether copying/removing `source` takes `target` along (globs allowed in `source`)."""
    source = posixpath.normpath(source)
    if source == "/":
        return True
    candidates = [target] + [target[:i] for i in range(len(target)) if target[i] == "/" and i > 0]
    if any(ch in source for ch in "*?["):
        return any(fnmatch.fnmatchcase(c, source) for c in candidates)
    return target == source or target.startswith(source.rstrip("/") + "/")
