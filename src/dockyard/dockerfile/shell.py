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
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "fi", "done"}
# A command substitution stands for a word whose value only the shell knows (`$(npm root -g)`).
SUBSTITUTION = "__dockyard_substitution__"


@dataclass(frozen=True)
class _Wrapper:
    """A program that runs the next words as the real command: its options that take a value,
    how many operands come before the command, and where the user it switches to is named."""

    value_options: frozenset[str] = frozenset()
    operands: int = 0
    user_operand: bool = False  # the first operand is the user (gosu USER cmd)
    user_options: frozenset[str] = frozenset()  # `-u USER`, `--reuid=UID`


def _wrapper(value_options=(), operands=0, user_operand=False, user_options=()) -> _Wrapper:
    return _Wrapper(frozenset(value_options), operands, user_operand, frozenset(user_options))


# Programs that run the next words as the real command. The privilege-dropping ones (gosu,
# su-exec, s6-setuidgid, chpst -u, runuser -u, setpriv --reuid, sudo -u) say to whom.
_WRAPPERS: dict[str, _Wrapper] = {
    "exec": _wrapper(["-a"]),
    "sudo": _wrapper(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"], user_options=["-u"]),
    "env": _wrapper(["-u", "--unset", "-C", "--chdir", "-S", "--split-string"]),
    "nice": _wrapper(["-n", "--adjustment"]),
    "nohup": _wrapper(),
    "time": _wrapper(["-f", "--format", "-o", "--output"]),
    "command": _wrapper(),
    "gosu": _wrapper(operands=1, user_operand=True),
    "su-exec": _wrapper(operands=1, user_operand=True),
    "s6-setuidgid": _wrapper(operands=1, user_operand=True),
    "s6-applyuidgid": _wrapper(["-u", "-g", "-G"], user_options=["-u"]),
    "chpst": _wrapper(
        ["-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c"], user_options=["-u"]
    ),
    "runuser": _wrapper(
        ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell"], user_options=["-u", "--user"]
    ),
    "setpriv": _wrapper(
        ["--reuid", "--ruid", "--euid", "--regid", "--rgid", "--egid", "--groups"],
        user_options=["--reuid", "--ruid", "--euid"],
    ),
    "with-contenv": _wrapper(),
    "tini": _wrapper(["-p", "-e"]),
    "dumb-init": _wrapper(["-r", "--rewrite"]),
    "xargs": _wrapper(["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"]),
    "chroot": _wrapper(["--userspec", "--groups"], operands=1),
    "timeout": _wrapper(["-k", "--kill-after", "-s", "--signal"], operands=1),
}
# s6-overlay's and runit's helpers keep their names whatever the path (/command/s6-setuidgid).
PRIVILEGE_DROPPERS = frozenset(name for name, w in _WRAPPERS.items() if w.user_operand or w.user_options) - {"sudo"}


@dataclass
class SimpleCommand:
    """One command of a shell line: `A=1 exec celery worker` -> env {A: 1}, [celery, worker]."""

    words: list[str]
    env: dict[str, str] = field(default_factory=dict)
    wrappers: list[str] = field(default_factory=list)  # programs that ran it: ["tini", "gosu"]
    runs_as: str | None = None  # the user a wrapper switched to (gosu app ...), else None

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


_BACKTICK = re.compile(r"`([^`]*)`")


def _substitutions_removed(line: str) -> str:
    """`# comment` in backticks (a way to comment lines of a long RUN) expands to nothing; other
    command substitutions (backticks, `$(...)`) become one opaque word."""

    def backtick(match: re.Match[str]) -> str:
        return "" if match.group(1).strip().startswith("#") else SUBSTITUTION

    line = _BACKTICK.sub(backtick, line)
    out, i = [], 0
    while i < len(line):
        if line.startswith("$(", i) and not line.startswith("$((", i):
            depth, j = 0, i + 1
            while j < len(line):
                if line[j] == "(":
                    depth += 1
                elif line[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(SUBSTITUTION)
            i = j + 1
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


def _split_line(line: str) -> list[SimpleCommand]:
    line = _substitutions_removed(line)
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
    wrappers: list[str] = []
    runs_as: str | None = None
    # leading assignments, then wrappers (which may carry their own assignments or options)
    while words:
        if words[0] in _KEYWORDS:  # `if`, `until`, `do`...: the command follows
            words.pop(0)
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
            continue
        name = posixpath.basename(words[0])
        wrapper = _WRAPPERS.get(name)
        if wrapper is None or len(words) < 2:
            break
        words.pop(0)
        wrappers.append(name)
        while words and words[0].startswith("-") and words[0] != "--":
            option, sep, value = words.pop(0).partition("=")
            if not sep and option in wrapper.value_options and words:
                value = words.pop(0)
            if option in wrapper.user_options and value:
                runs_as = value
        if words and words[0] == "--":
            words.pop(0)
        for index in range(wrapper.operands):  # gosu USER cmd, chroot DIR cmd
            if words:
                operand = words.pop(0)
                if index == 0 and wrapper.user_operand:
                    runs_as = operand
    return SimpleCommand(words=words, env=env, wrappers=wrappers, runs_as=runs_as)


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
    return commands_from_words(words)


_SHELLS = {"sh", "bash", "dash", "ash", "zsh"}


def commands_from_words(words: list[str]) -> list[SimpleCommand]:
    """The commands of an exec-form argv (`["sh", "-c", "a && b"]` runs a and b)."""
    words = [str(w) for w in words]
    if (
        len(words) >= 3
        and posixpath.basename(words[0]) in _SHELLS
        and words[1].startswith("-")
        and not words[1].startswith("--")
        and "c" in words[1]
    ):
        return split_commands(words[2])
    command = _simple(words)
    return [command] if command.words else []


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\1")


def script_commands(text: str) -> list[tuple[int, SimpleCommand]]:
    """(line, command) for each simple command of a shell script; heredoc bodies are data."""
    out: list[tuple[int, SimpleCommand]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start = index
        logical = lines[index]
        while logical.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            logical = logical.rstrip()[:-1] + " " + lines[index]
        index += 1
        heredoc = _HEREDOC.search(logical)
        if heredoc:
            terminator = heredoc.group("word")
            while index < len(lines) and lines[index].strip() != terminator:
                index += 1
            index += 1
            logical = logical[: heredoc.start()]
        if logical.lstrip().startswith("#"):
            continue
        out.extend((start + 1, command) for command in split_commands(logical))
    return out


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
