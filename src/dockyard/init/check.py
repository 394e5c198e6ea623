"""`dockyard init --check`: for an existing deployment/, which item of the card's checklist each file misses.

The deployment is read with the linter's model (the same parse of the Dockerfile, bake file and
compose file, the same idea of which stages ship), and where an item is what a lint rule checks,
the rule itself runs: uid 1000 is DY001 + DY002, the HEALTHCHECKs include DY003 and DY010,
production-only node_modules is DY004, .dockerignore DY012.
The rest (the six stages, BASE_IMAGE, the CA secret, bake targets and groups, the ping probe, the
compose services) are checklist facts no rule covers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.core.settings import Settings
from dockyard.dockerfile.parser import Dockerfile, arg_declarations
from dockyard.dockerfile.shell import instruction_commands
from dockyard.lint.commands import celery_worker, commands_of, role
from dockyard.lint.deployment import Deployment, Shipped, load_deployment
from dockyard.lint.dockerignore import find_dockerignore
from dockyard.lint.external import start_tools
from dockyard.lint.ignores import InlineIgnores
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.compose import READY_CONDITIONS

STAGES = ("base", "builder", "runtime-full", "runtime-minimal", "celery-unified", "test")
TARGETS = ("web", "celery-unified", "flower", "test", "celery-worker", "celery-beat")
GROUPS = {
    "essential": ("web", "celery-unified"),
    "production": ("web", "celery-unified", "flower"),
    "legacy": ("celery-worker", "celery-beat"),
}
INSTALLERS = re.compile(r"^(pip|pip3|uv|poetry|npm|yarn|pnpm)$")
ITEMS = (
    "six stages",
    "uid 1000",
    "HEALTHCHECKs",
    "celery inspect ping",
    "production-only node_modules",
    "BASE_IMAGE argument",
    "optional CA secret",
    "bake targets and groups",
    "compose test stack",
    ".dockerignore entries",
)


@dataclass(frozen=True)
class Row:
    item: str  # one of ITEMS
    path: str  # the file it is about (relative to the project root)
    status: str  # "ok", "missing", "n/a"
    detail: str


@dataclass
class CheckResult:
    rows: list[Row]

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.rows if r.status == "missing"]

    def summary(self) -> str:
        items = list(dict.fromkeys(r.item for r in self.missing))
        return f"{len(items)} of {len(ITEMS)} checklist items missing: {', '.join(items)}"


def _rel(path: Path | str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _findings(ctx, *rule_ids: str) -> list[LintFinding]:
    """What the lint rules `rule_ids` find, less what a `# dockyard: ignore=` line suppresses."""
    from dockyard.lint.rules import CHECKS, RULES

    out: list[LintFinding] = []
    for rule, check in CHECKS:
        if rule.id in rule_ids:
            out.extend(check(ctx))
    kept, _ = InlineIgnores({r.id: r.name for r in RULES.values()}).filter(out)
    return kept


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: list[Row] = []

    def add(self, item: str, path: Path | str, problems: Iterable[str], ok: str, na: str | None = None) -> None:
        problems = list(dict.fromkeys(problems))
        where = _rel(path, self.root) if path else "-"
        if na is not None:
            self.rows.append(Row(item, where, "n/a", na))
        elif problems:
            for problem in problems:
                self.rows.append(Row(item, where, "missing", problem))
        else:
            self.rows.append(Row(item, where, "ok", ok))

    def findings(self, item: str, findings: list[LintFinding], fallback: Path, ok: str) -> None:
        if not findings:
            self.add(item, fallback, [], ok)
            return
        for finding in findings:
            where = f"{_rel(finding.path, self.root)}:{finding.line}"
            self.rows.append(Row(item, where, "missing", f"{finding.rule} {finding.message}"))


def check_deployment(root: Path, settings: Settings) -> CheckResult:
    """Read root's deployment/ and answer, item by item, what the card's checklist still misses."""
    dockerfile_path = root / settings.dockerfile
    directory = dockerfile_path.parent
    if not directory.is_dir():
        raise ConfigError(f"no {_rel(directory, root)}/ here: `dockyard init` writes one")
    preferred = {key: str(getattr(settings, key)) for key in ("dockerfile", "bake_file", "compose_file")}
    started = start_tools(directory, root, settings.lint, run_hadolint=False, preferred=preferred)
    deployment = load_deployment(started.files, root, settings.lint, started.bakes)
    from dockyard.lint.rules import LintContext

    # The checklist is the card's: uid 1000 and production-only node_modules, whatever the
    # project's own lint policy says.
    card_policy = dataclasses.replace(settings.lint, uid=1000, npm_omit_dev=True)
    ctx = LintContext(deployment=deployment, options=card_policy)
    out = _Collector(root)
    for problem in deployment.problems:  # a file nothing can be checked in
        out.rows.append(Row("six stages", f"{_rel(problem.path, root)}:{problem.line}", "missing", problem.message))
    main = deployment.dockerfiles.get(dockerfile_path.resolve())
    _stages(out, main, dockerfile_path)
    out.findings("uid 1000", _findings(ctx, "DY001", "DY002"), dockerfile_path, "every runtime image runs as uid 1000")
    _healthchecks(out, ctx, deployment, dockerfile_path)
    _ping(out, deployment, dockerfile_path)
    _node_modules(out, ctx, deployment, dockerfile_path)
    _base_image(out, main, deployment, dockerfile_path, root / settings.bake_file)
    _ca_secret(out, deployment, root / settings.bake_file)
    _bake(out, ctx, deployment, root / settings.bake_file)
    _compose(out, ctx, deployment, root / settings.compose_file)
    _dockerignore(out, ctx, deployment, dockerfile_path)
    order = {item: i for i, item in enumerate(ITEMS)}
    out.rows.sort(key=lambda r: order[r.item])
    return CheckResult(out.rows)


def _stages(out: _Collector, main: Dockerfile | None, path: Path) -> None:
    if main is None:
        out.add("six stages", path, [f"{path.name} not found or not readable"], "")
        return
    missing = [s for s in STAGES if main.stage(s) is None]
    out.add(
        "six stages",
        path,
        [f"no stage {s}" for s in missing],
        "base, builder, runtime-full, runtime-minimal, celery-unified, test",
    )


def _runtime(deployment: Deployment) -> list[Shipped]:
    return list(deployment.shipped)


def _healthchecks(out: _Collector, ctx, deployment: Deployment, path: Path) -> None:
    findings = _findings(ctx, "DY003", "DY010")
    problems = []
    for shipped in _runtime(deployment):
        config = shipped.graph.image_config(shipped.stage)
        if config.healthcheck is None:
            problems.append(f"stage '{shipped.stage.label}' ({shipped.via}) has no HEALTHCHECK")
    out.findings("HEALTHCHECKs", findings, path, "every runtime image has a probe that fits it")
    if problems:
        out.add("HEALTHCHECKs", path, problems, "")


def _ping(out: _Collector, deployment: Deployment, path: Path) -> None:
    problems, workers = [], 0
    for shipped in _runtime(deployment):
        config = shipped.graph.image_config(shipped.stage)
        commands = commands_of(config.entrypoint) + commands_of(config.cmd)
        if not any(celery_worker(c) for c in commands):
            continue
        workers += 1
        probe = " ".join(config.healthcheck.value) if config.healthcheck is not None else ""
        if not re.search(r"\binspect\b.*\bping\b", probe):
            problems.append(
                f"stage '{shipped.stage.label}' runs a celery worker; its HEALTHCHECK is not `celery inspect ping`"
            )
    na = "no image runs a celery worker" if workers == 0 else None
    out.add("celery inspect ping", path, problems, "every worker image probes with celery inspect ping", na)


def _installs(deployment: Deployment, pattern: re.Pattern[str]) -> list[tuple[Path, object]]:
    found = []
    for dockerfile in deployment.dockerfiles.values():
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.cmd != "RUN":
                    continue
                for command in instruction_commands(instruction):
                    words = command.words[1:]
                    if pattern.match(command.program) and set(words) & {"install", "ci", "sync", "add", "i"}:
                        found.append((dockerfile.path, instruction))
                        break
    return found


def _node_modules(out: _Collector, ctx, deployment: Deployment, path: Path) -> None:
    npm = _installs(deployment, re.compile(r"^(npm|yarn|pnpm)$"))
    if not npm:
        out.add("production-only node_modules", path, [], "", na="no npm/yarn/pnpm install in any image")
        return
    out.findings("production-only node_modules", _findings(ctx, "DY004"), path, "only production node_modules ship")


def _base_image(out: _Collector, main: Dockerfile | None, deployment: Deployment, path: Path, bake_path: Path) -> None:
    problems = []
    if main is not None:
        declared = {name: default for i in main.global_args for name, default in arg_declarations(i)}
        if "BASE_IMAGE" not in declared:
            problems.append("no global `ARG BASE_IMAGE=<upstream image>` before the first FROM")
        elif not declared["BASE_IMAGE"]:
            problems.append("`ARG BASE_IMAGE` has no default (a plain docker build would fail)")
        first = main.stages[0]
        if "BASE_IMAGE" not in first.base:
            problems.append(f"the first stage ('{first.label}') is FROM {first.base}, not FROM ${{BASE_IMAGE}}")
    out.add(
        "BASE_IMAGE argument", path, problems, "ARG BASE_IMAGE with a default; the first stage is FROM ${BASE_IMAGE}"
    )
    bake_problems = []
    for bake in deployment.bakes:
        if not re.search(r'variable\s+"BASE_IMAGE"', "\n".join(bake.lines)):
            bake_problems.append('no `variable "BASE_IMAGE"` (dockyard passes the local stand-in through it)')
        for target in bake.targets.values():
            if not bake.is_template(target.name) and "BASE_IMAGE" not in target.args:
                bake_problems.append(f"target '{target.name}' does not pass BASE_IMAGE in args")
    if deployment.bakes:
        out.add("BASE_IMAGE argument", bake_path, bake_problems, 'variable "BASE_IMAGE", passed to every target')


def _has_ca_secret(instruction) -> bool:
    for mount in instruction.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in mount.split(","))
        if options.get("type") == "secret" and options.get("id") == "ca-certs":
            return options.get("required", "false").lower() in ("false", "0")
    return False


def _ca_secret(out: _Collector, deployment: Deployment, bake_path: Path) -> None:
    installs = _installs(deployment, INSTALLERS)
    problems: dict[Path, list[str]] = {}
    for path, instruction in installs:
        if not _has_ca_secret(instruction):
            problems.setdefault(path, []).append(
                f"line {instruction.line}: an install without `--mount=type=secret,id=ca-certs,required=false`"
            )
    for dockerfile in deployment.dockerfiles:
        out.add(
            "optional CA secret",
            dockerfile,
            problems.get(dockerfile, []),
            "every pip/uv/poetry/npm install takes the optional ca-certs secret",
            na=None if installs else "no package install in any image",
        )
    for bake in deployment.bakes:
        text = "\n".join(bake.lines)
        bake_problems = []
        if "id=ca-certs" not in text:
            bake_problems.append("no `secret = [...]` entry with id=ca-certs (from variable CA_CERTS)")
        if not re.search(r'variable\s+"CA_CERTS"', text):
            bake_problems.append('no `variable "CA_CERTS"`')
        out.add("optional CA secret", bake.path, bake_problems, "CA_CERTS becomes the ca-certs secret when set")


def _bake(out: _Collector, ctx, deployment: Deployment, bake_path: Path) -> None:
    if not deployment.bakes:
        out.add("bake targets and groups", bake_path, ["no bake file"], "")
        return
    for bake in deployment.bakes:
        problems = [f"no target {t}" for t in TARGETS if t not in bake.targets]
        for group, members in GROUPS.items():
            present = bake.groups.get(group)
            if present is None:
                problems.append(f"no group {group} ({', '.join(members)})")
            else:
                lacking = [m for m in members if m not in bake.resolve([group])]
                if lacking:
                    problems.append(f"group {group} lacks {', '.join(lacking)}")
        out.add(
            "bake targets and groups",
            bake.path,
            problems,
            "web, celery-unified, flower, test, legacy; essential, production, legacy",
        )
    out.findings(
        "bake targets and groups", _findings(ctx, "DY006", "DY007"), bake_path, "every target builds an existing stage"
    )


def _kind(commands) -> str:
    """"web" (serves HTTP, flower included), "worker" (a Celery worker or scheduler), or "unknown"."""
    roles = {role(command) for command in commands}
    if roles & {"web", "flower"}:
        return "web"
    if roles & {"worker", "beat"}:
        return "worker"
    return "unknown"


def _compose(out: _Collector, ctx, deployment: Deployment, compose_path: Path) -> None:
    compose = next((c for c in deployment.composes if c.path.resolve() == compose_path.resolve()), None)
    if compose is None:
        out.add("compose test stack", compose_path, [f"no {compose_path.name}"], "")
        return
    kinds = {"web": [], "worker": [], "database": [], "broker": []}
    problems = []
    for service in compose.services.values():
        image = (service.image or "").lower()
        found = deployment.service_stage(compose, service)
        commands = commands_of(service.entrypoint) + commands_of(service.command)
        if found is not None and not commands:
            config = deployment.graph(found[0]).image_config(found[1])
            commands = commands_of(config.entrypoint) + commands_of(config.cmd)
        kind = _kind(commands)
        repository = image.rsplit("/", 1)[-1].split(":")[0].split("}")[-1]
        if "postgres" in image or repository in ("postgis",):
            kinds["database"].append(service)
        elif "redis" in image or "valkey" in image or "rabbitmq" in image:
            kinds["broker"].append(service)
        elif kind in ("web", "worker"):
            kinds[kind].append(service)
        for port in service.data.get("ports") or []:
            text = str(port)
            if not (text.startswith("127.0.0.1:") or (isinstance(port, dict) and port.get("host_ip") == "127.0.0.1")):
                problems.append(f"service '{service.name}' publishes {text} beyond 127.0.0.1")
    for kind, services in kinds.items():
        if not services:
            problems.append(f"no {kind} service")
        for service in services:
            if kind in ("database", "broker") and not service.healthcheck:
                problems.append(
                    f"{kind} service '{service.name}' has no healthcheck (service_healthy cannot wait for it)"
                )
    # The card's test stack starts in health order; lint's DY009 is opt-in and skips test stacks.
    for service in compose.services.values():
        for dependency in service.depends_on:
            if dependency.service in compose.services and dependency.condition not in READY_CONDITIONS:
                problems.append(
                    f"line {dependency.line}: service '{service.name}' depends on '{dependency.service}' "
                    "without condition: service_healthy"
                )
    out.add("compose test stack", compose.path, problems, "web, worker, database and broker; health-gated start")


def _dockerignore(out: _Collector, ctx, deployment: Deployment, path: Path) -> None:
    out.findings(".dockerignore entries", _findings(ctx, "DY012"), path, "COPY never takes .env or .git along")
    for dockerfile in deployment.dockerfiles:
        context = deployment.contexts.get(dockerfile, dockerfile.parent)
        ignore = find_dockerignore(context, dockerfile)
        where = ignore.path or (context / ".dockerignore")
        problems = [f"{p} is not excluded" for p in (".git", ".env", "x/.env") if not ignore.excludes(p)]
        out.add(".dockerignore entries", where, problems, ".git and .env files stay out of the build context")
