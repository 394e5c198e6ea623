"""Who the shipped images run as."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.dockerfile.shell import instruction_commands
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

ROOT_USERS = {"root", "0"}


def _is_root(user: str) -> bool:
    return user.split(":")[0].strip() in ROOT_USERS


@rule(
    "DY001",
    "runtime-root-user",
    "error",
    summary="a shipped stage runs as root (no USER, or USER root)",
    why=(
        "A process that escapes the application (a code-execution bug, a malicious dependency) "
        "owns the whole container as root, and files it writes to volumes are root-owned. The card"
        " requires uid 1000."
    ),
    fix=(
        "Create the user in the base stage with a fixed uid (`useradd --uid 1000 ...`) and put "
        "`USER app` in every runtime stage before CMD."
    ),
)
def runtime_root_user(ctx: LintContext) -> Iterator[LintFinding]:
    for shipped in ctx.deployment.shipped:
        config = shipped.graph.image_config(shipped.stage)
        path = shipped.dockerfile.path
        if config.user is None:
            yield ctx.finding(
                "DY001",
                path,
                shipped.stage.line,
                f"stage '{shipped.stage.label}' ({shipped.via}) runs as root: no USER in its FROM chain",
            )
        elif _is_root(config.user) and config.user_instruction is not None:
            yield ctx.finding(
                "DY001",
                path,
                config.user_instruction.line,
                f"stage '{shipped.stage.label}' ({shipped.via}) runs as root: USER {config.user}",
            )


@rule(
    "DY002",
    "system-uid",
    "error",
    summary="the runtime user does not get uid 1000 (useradd -r, no --uid, or another uid)",
    why=(
        "`useradd -r` allocates from the system range (999 and down) and `useradd` without --uid "
        "takes whatever is free, so the image's uid silently differs from the 1000 that volumes, "
        "`chown` on the host and the card's `docker run IMAGE id` check expect."
    ),
    fix=(
        "Give the id explicitly: `groupadd --gid 1000 app && useradd --uid 1000 --gid app ... app`"
        " (and `USER app` or `USER 1000`)."
    ),
)
def system_uid(ctx: LintContext) -> Iterator[LintFinding]:
    expected = str(ctx.options.uid)
    seen: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        config = shipped.graph.image_config(shipped.stage)
        runtime_user = (config.user or "").split(":")[0]
        path = shipped.dockerfile.path
        for step in shipped.graph.steps(shipped.stage):
            instruction = step.instruction
            if instruction.cmd != "RUN" or (str(path), instruction.line) in seen:
                continue
            for message in _account_problems(instruction, expected, runtime_user):
                seen.add((str(path), instruction.line))
                yield ctx.finding("DY002", path, instruction.line, message)
        if runtime_user.isdigit() and runtime_user != expected and config.user_instruction is not None:
            key = (str(path), config.user_instruction.line)
            if key not in seen:
                seen.add(key)
                yield ctx.finding(
                    "DY002",
                    path,
                    config.user_instruction.line,
                    f"USER {config.user} in stage '{shipped.stage.label}': the images should run as uid {expected}",
                )


def _account_problems(instruction, expected: str, runtime_user: str) -> Iterator[str]:
    for command in instruction_commands(instruction):
        program = command.program
        if program not in ("useradd", "adduser", "groupadd", "addgroup"):
            continue
        is_group = program in ("groupadd", "addgroup")
        id_value = command.option("-g", "--gid") if is_group else command.option("-u", "--uid")
        system = command.has("-r", "--system", "-S")
        name = _account_name(command.words[1:])
        kind, unit = ("group", "gid") if is_group else ("user", "uid")
        if program == "adduser" and len(command.words) >= 3 and not any(w.startswith("-") for w in command.words[1:]):
            continue  # `adduser USER GROUP` adds an existing user to a group
        if id_value is None:
            if system:
                yield (
                    f"{program} {'-r' if program.endswith('add') else '--system'} {name}: the "
                    f"{kind} gets a system "
                    f"{unit} (below 1000), not {expected}; give --{unit} {expected}"
                )
            else:
                yield (
                    f"{program} {name} without --{unit}: the {kind} gets the next free {unit}, "
                    f"{expected} only "
                    f"if nothing in the base image has it; give --{unit} {expected}"
                )
        elif not is_group and id_value != expected and name == runtime_user:
            yield f"{program} --uid {id_value} {name}: the images should run as uid {expected}"


def _account_name(args: list[str]) -> str:
    """The last word that is neither an option nor an option's value."""
    value_options = {
        "-u",
        "--uid",
        "-g",
        "--gid",
        "-G",
        "--groups",
        "-d",
        "--home-dir",
        "--home",
        "-s",
        "--shell",
        "-c",
        "--comment",
        "-k",
        "--skel",
        "-e",
        "--expiredate",
        "-f",
        "--inactive",
        "-K",
        "--key",
        "-p",
        "--password",
        "--ingroup",
        "-h",
        "-R",
        "--root",
        "-P",
        "--prefix",
        "--gecos",
        "--firstuid",
        "--lastuid",
        "-Z",
        "--selinux-user",
    }
    name = "?"
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in value_options:
            skip = True
        elif not word.startswith("-"):
            name = word
    return name
