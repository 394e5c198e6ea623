"""Who the shipped images run as, and build steps that run as a user who may not do them."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockyard.core.imageref import parse_ref
from dockyard.dockerfile.files import context_copy
from dockyard.dockerfile.graph import InstructionState, is_root
from dockyard.dockerfile.shell import SUBSTITUTION, instruction_commands, path_covers, resolve_dir
from dockyard.lint.deployment import Runner
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

# Official images whose own entrypoint (kept when a stage sets no CMD/ENTRYPOINT) drops root:
# postgres, redis, mysql, mariadb, mongo and rabbitmq switch users with gosu/su-exec; nginx and
# httpd bind their port as root and run their workers as an unprivileged user; traefik and caddy
# are reverse proxies that bind 80/443.
SELF_DROPPING_IMAGES = {
    "postgres",
    "postgis/postgis",
    "redis",
    "mysql",
    "mariadb",
    "mongo",
    "rabbitmq",
    "nginx",
    "httpd",
    "traefik",
    "caddy",
    "memcached",
}
APP_ROLES = {"web", "worker", "beat", "flower"}


@rule(
    "DY001",
    "runtime-root-user",
    "warning",
    summary="a shipped image runs its application as root (no USER, or USER root, and nothing drops privileges)",
    why=(
        "A process that escapes the application (a code-execution bug, a malicious dependency) owns the whole "
        "container as root, and files it writes to volumes are root-owned. A warning: the image works, but the "
        "project's policy (the card's) is a non-root user."
    ),
    fix=(
        "Create the user in the base stage with a fixed uid (`useradd --uid 1000 ...`) and put `USER app` in every "
        'runtime stage before CMD; or drop privileges in the entrypoint (`exec gosu app "$@"`), or set `user:` '
        "on the compose service."
    ),
)
def runtime_root_user(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        offenders = [r for r in ctx.deployment.deployed_runners_of(shipped) if _runs_app_as_root(ctx, r)]
        if not offenders:
            continue
        config = shipped.graph.image_config(shipped.stage)
        if config.user_instruction is not None and is_root(config.user):
            line, how = config.user_instruction.line, f"USER {config.user}"
        else:
            line, how = shipped.stage.line, "no USER in its FROM chain"
        key = (str(shipped.dockerfile.path), line)
        if key in reported:
            continue
        reported.add(key)
        who = ", ".join(r.label for r in offenders)
        yield ctx.finding(
            "DY001",
            shipped.dockerfile.path,
            line,
            f"stage '{shipped.stage.label}' ({who}) runs as root: {how}, and nothing it starts drops privileges",
        )


def _runs_app_as_root(ctx: LintContext, runner: Runner) -> bool:
    if not runner.runs_as_root:
        return False
    config = runner.config
    service = runner.service
    overridden = service is not None and (service.command is not None or service.entrypoint is not None)
    own_start = config.cmd_stage is not None or config.entrypoint_stage is not None or overridden
    base = runner.graph.base_image(runner.stage)
    if not own_start and base is not None and parse_ref(base).short_name in SELF_DROPPING_IMAGES:
        return False  # the official image's own entrypoint runs, and it drops root itself
    processes = ctx.processes(runner)
    apps = [p for p in processes if p.role in APP_ROLES]
    if apps:
        return any(p.user is None or is_root(p.user) for p in apps)
    return not any(p.user is not None and not is_root(p.user) for p in processes)


@rule(
    "DY002",
    "system-uid",
    "warning",
    summary="the runtime user does not get the uid the project's policy names (`uid` setting)",
    why=(
        "`useradd -r` allocates from the system range (999 and down) and `useradd` without --uid takes whatever is "
        "free, so the image's uid silently differs from the one volumes, host `chown`s and the image checks expect. "
        "Only with `[tool.dockyard.lint] uid` set (`dockyard init` writes the card's 1000): without a policy any "
        "fixed non-root uid passes."
    ),
    fix=(
        "Give the id explicitly: `groupadd --gid 1000 app && useradd --uid 1000 --gid app ... app` (and `USER app` "
        "or `USER 1000`)."
    ),
)
def system_uid(ctx: LintContext) -> Iterator[LintFinding]:
    if ctx.options.uid is None:
        return
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
            problems = list(_account_problems(instruction, expected, runtime_user))
            if problems:
                seen.add((str(path), instruction.line))
                yield ctx.finding("DY002", path, instruction.line, "; ".join(problems))
        if runtime_user.isdigit() and runtime_user != expected and config.user_instruction is not None:
            key = (str(path), config.user_instruction.line)
            if key not in seen:
                seen.add(key)
                yield ctx.finding(
                    "DY002",
                    path,
                    config.user_instruction.line,
                    f"USER {config.user} in stage '{shipped.stage.label}': the policy is uid {expected}",
                )


def _account_problems(instruction, expected: str, runtime_user: str) -> Iterator[str]:  # noqa: ANN001
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
                flag = "-r" if program.endswith("add") else "--system"
                yield f"{program} {flag} {name}: the {kind} gets a system {unit} (below 1000), not {expected}"
            else:
                yield f"{program} {name} without --{unit}: the {kind} gets the next free {unit}, maybe not {expected}"
        elif not is_group and id_value != expected and name == runtime_user:
            yield f"{program} --uid {id_value} {name}: the policy is uid {expected}"


_VALUE_OPTIONS = {
    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s", "--shell", "-c",
    "--comment", "-k", "--skel", "-e", "--expiredate", "-f", "--inactive", "-K", "--key", "-p", "--password",
    "--ingroup", "-h", "-R", "--root", "-P", "--prefix", "--gecos", "--firstuid", "--lastuid", "-Z",
    "--selinux-user",
}  # fmt: skip


def _account_name(args: list[str]) -> str:
    """The last word that is neither an option nor an option's value."""
    name = "?"
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in _VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            name = word
    return name


# Commands that change a file itself and so need to own it (or be root)...
_OWNER_ONLY = {"chmod", "chown", "chgrp", "touch", "truncate"}
# ...and commands that replace or remove its directory entry (`sed -i` writes a new file and renames
# it): they need write access to the directory, which a user has in their home or WORKDIR.
_DIRECTORY_ENTRY = {"rm", "mv", "sed"}
# Directories that belong to root in every base image.
_SYSTEM_DIRECTORIES = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/opt", "/var/lib", "/srv")


@rule(
    "DY019",
    "build-step-permission",
    "error",
    summary="a RUN as a non-root user changes a file that a COPY without --chown left owned by root",
    why=(
        "COPY and ADD create files owned by root whatever USER is in effect, and USER is inherited through FROM: "
        "a stage built FROM a parent that ends with `USER app` runs its RUN steps as app. `RUN chmod +x` (chown, "
        'sed -i, rm, mv) on such a file then fails with "Operation not permitted" and the build stops.'
    ),
    fix=(
        "Copy with the owner and mode you need (`COPY --chown=app:app --chmod=0755 start.sh /usr/local/bin/`), "
        "or run that step before `USER app` (or as `USER root`, then switch back)."
    ),
)
def build_step_permission(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for path, indexes in dep.built.items():
        dockerfile = dep.dockerfiles.get(path)
        if dockerfile is None:
            continue
        graph = dep.graph(dockerfile)
        for stage in dockerfile.stages:
            if stage.index not in indexes:
                continue
            owned_by_root: list[tuple[str, bool, int]] = []  # (path, is a directory copy, COPY line)
            for state in graph.steps(stage):
                instruction = state.instruction
                if instruction.cmd in ("COPY", "ADD"):
                    owned_by_root += _root_owned(state)
                    continue
                if instruction.cmd != "RUN":
                    continue
                if state.as_root:
                    owned_by_root = _chowned(state, owned_by_root)
                    continue
                if state.stage is not stage:
                    continue
                found = _denied(state, owned_by_root)
                if found is not None:
                    command, target, copy_line = found
                    user_where = (
                        f"set at line {state.user_instruction.line}"
                        if state.user_instruction is not None
                        else "inherited"
                    )
                    yield ctx.finding(
                        "DY019",
                        dockerfile.path,
                        instruction.line,
                        f"`{command}` runs as USER {state.user} ({user_where}) in stage '{stage.label}', but the COPY "
                        f"at line {copy_line} left {target} owned by root: the build fails (Operation not permitted)",
                    )


def _root_owned(state: InstructionState) -> list[tuple[str, bool, int]]:
    instruction = state.instruction
    chown = instruction.flag("chown")
    if chown is not None and not is_root(chown):
        return []
    copy = context_copy(state)
    if copy is None:
        return []
    out = []
    for source in copy.sources:
        if source == "." or source.endswith("/"):
            out.append((copy.destination, True, instruction.line))
        else:
            out.append((copy.landed(source), False, instruction.line))
    return out


def _targets(state: InstructionState, program: str, words: list[str]) -> list[str]:
    args = [w for w in words if not w.startswith("-")]
    if program in ("chmod", "chown", "chgrp") and args:
        args = args[1:]  # the mode / owner
    return [resolve_dir(state.workdir, state.expand(a)) for a in args if SUBSTITUTION not in a and "$" not in a]


def _chowned(state: InstructionState, owned: list[tuple[str, bool, int]]) -> list[tuple[str, bool, int]]:
    """A RUN as root that chowns a copied path hands it over."""
    for command in instruction_commands(state.instruction):
        if command.program == "chown":
            targets = _targets(state, "chown", command.words[1:])
            owned = [o for o in owned if not any(path_covers(t, o[0]) for t in targets)]
    return owned


def _root_directory(directory: str, owned: list[tuple[str, bool, int]]) -> bool:
    """Whether `directory` is known to belong to root: a system directory, or one a COPY made."""
    if any(directory == d or directory.startswith(d + "/") for d in _SYSTEM_DIRECTORIES):
        return True
    return any(is_directory and path_covers(copied, directory) for copied, is_directory, _ in owned)


def _denied(state: InstructionState, owned: list[tuple[str, bool, int]]) -> tuple[str, str, int] | None:
    for command in instruction_commands(state.instruction):
        program = command.program
        words = command.words[1:]
        if program == "sed" and not any(w == "-i" or w.startswith(("-i", "--in-place")) for w in words):
            continue
        if program not in _OWNER_ONLY and program not in _DIRECTORY_ENTRY:
            continue
        if program == "sed":
            words = [w for w in words if not w.startswith("-")][1:]  # the script, then the files
        for target in _targets(state, program, words):
            if program in _DIRECTORY_ENTRY and not _root_directory(posixpath.dirname(target), owned):
                continue
            for copied, directory, line in reversed(owned):
                if target == copied or (directory and path_covers(copied, target)):
                    return " ".join(command.words), target, line
    return None
