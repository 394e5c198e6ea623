"""deployment/Dockerfile.multistage from SiteFacts: the card's six stages plus the legacy two,
with the pre-deployment checklist done (uid 1000, HEALTHCHECKs, production-only node_modules)."""

from __future__ import annotations

import posixpath
import shlex

from dockyard.dockerfile.shell import SimpleCommand
from dockyard.init.detect.deps import local_stand_in
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.instructions import apt_run, exec_form, urllib_probe
from dockyard.init.generate.stages import builder, package_dir, project_source, test_stage
from dockyard.init.generate.templates import render

GREEN_POOLS = {"gevent", "eventlet"}
BEAT_OPTIONS = {"-s", "--schedule", "-S", "--scheduler", "--max-interval"}


def celery(facts: SiteFacts, sub: str, args: list[str] | tuple[str, ...]) -> list[str]:
    return ["celery", *facts.worker_global, "--app", facts.celery_app, sub, *args]


def unified_args(facts: SiteFacts) -> list[str]:
    """The old worker's options, prefork, --beat with the old beat's schedule options, no mingle/gossip
    (it is the only worker)."""
    args, skip = [], False
    for i, word in enumerate(facts.worker_args):
        if skip:
            skip = False
            continue
        name = word.partition("=")[0]
        if name in ("-P", "--pool"):
            value = (
                word.partition("=")[2]
                if "=" in word
                else (facts.worker_args[i + 1] if i + 1 < len(facts.worker_args) else "")
            )
            skip = "=" not in word
            if value in GREEN_POOLS:
                continue
            args += [word] if "=" in word else [word, value]
            continue
        args.append(word)
    args.append("--beat")
    beat = iter(facts.beat_args)
    for word in beat:
        if word.partition("=")[0] in BEAT_OPTIONS:
            args.append(word)
            if "=" not in word:
                args.append(next(beat, ""))
    for flag in ("--without-mingle", "--without-gossip"):
        if flag not in args:
            args.append(flag)
    if not any(w.partition("=")[0] in ("-l", "--loglevel") for w in args):
        args += ["--loglevel", "INFO"]
    return args


def ping_probe(facts: SiteFacts) -> str:
    """`celery inspect ping` sent to this container's own worker, with a 3 s reply timeout."""
    node = SimpleCommand(["celery", *facts.worker_args]).option("-n", "--hostname")
    destination = '"celery@$HOSTNAME"'
    if node:
        if node.replace("%h", "").count("%"):
            destination = ""
        else:
            destination = '"' + node.replace("%h", "$HOSTNAME") + '"'
    words = ["celery", *facts.worker_global, "--app", facts.celery_app, "inspect", "ping"]
    text = " ".join(shlex.quote(w) for w in words)
    if destination:
        text += f" --destination {destination}"
    return text + " --timeout 3 || exit 1"


def beat_probe(facts: SiteFacts) -> str:
    if facts.beat_scheduler == "database":
        return (
            "# beat with django_celery_beat's DatabaseScheduler writes no file and answers no ping: nothing\n"
            "# here could tell a stuck beat from a working one (invoke troubleshoot.beat reads its log).\n"
            "# dockyard: ignore=DY010\n"
            "HEALTHCHECK NONE"
        )
    schedule = facts.beat_schedule_file or posixpath.join(facts.workdir, "celerybeat-schedule")
    directory, name = posixpath.split(schedule)
    return (
        "# beat answers no ping; it writes its schedule file at start and at least every 3 minutes\n"
        "# (PersistentScheduler's sync), so a stale file means a stuck beat.\n"
        "HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --start-interval=1s --retries=3 \\\n"
        f'    CMD find {directory} -maxdepth 1 -name "{name}*" -mmin -5 | grep -q . || exit 1'
    )


def _summaries(facts: SiteFacts) -> dict[str, str]:
    deps = facts.dependencies
    how = {
        "requirements": f"pip -r {deps.production}",
        "uv": "uv sync --frozen --no-dev",
        "poetry": "poetry install --only main",
        "pyproject": "pip, from pyproject.toml",
    }[deps.kind]
    builder_parts = []
    if facts.npm is not None:
        if facts.npm.production_dependencies:
            builder_parts.append("production-only node_modules")
        if facts.npm.build_script:
            builder_parts.append("npm run build")
    if facts.static_root:
        builder_parts.append("collectstatic")
    return {
        "deps_summary": how,
        "builder_summary": (",\n#                    " + ", ".join(builder_parts)) if builder_parts else "",
        "web_summary": f"{facts.web_command[0]} on port {facts.web_port}",
        "test_summary": "pytest" if facts.test_runner == "pytest" else "manage.py test",
    }


def dockerfile(facts: SiteFacts) -> str:
    assert facts.health_path is not None, "generation needs a health path"
    owned = list(dict.fromkeys([facts.code_dir, facts.workdir, *facts.writable_dirs, "/data"]))
    entrypoint = ["tini", "--", "docker-entrypoint.sh"] if facts.uses_tini else ["docker-entrypoint.sh"]
    package_in_image = package_dir(facts)
    node_modules = ""
    if facts.npm is not None and facts.npm.production_dependencies:
        node_modules = f"COPY --link --from=builder --chown=1000:1000 /opt/node_modules {package_in_image}/node_modules"
    static = ""
    if facts.static_root:
        static = f"COPY --link --from=builder --chown=1000:1000 {facts.static_root} {facts.static_root}"
    return render(
        "Dockerfile.multistage.tmpl",
        name=facts.name,
        python=facts.python_version,
        code_dir=facts.code_dir,
        health_path=facts.health_path,
        local_base_image=local_stand_in(facts.python_version),
        base_image=base_image(facts),
        workdir=facts.workdir,
        settings_module=facts.settings_module,
        base_packages=apt_run(facts.apt_runtime) if facts.apt_runtime else "",
        owned_dirs=" ".join(owned),
        builder=builder(facts),
        runtime_node_modules=node_modules,
        project_copy_source=project_source(facts),
        runtime_static=static,
        port=facts.web_port,
        web_probe=urllib_probe(f"http://127.0.0.1:{facts.web_port}{facts.health_path}"),
        entrypoint=exec_form(entrypoint),
        web_cmd=exec_form(list(facts.web_command)),
        flower_probe=urllib_probe("http://127.0.0.1:5555/healthcheck"),
        flower_cmd=exec_form(celery(facts, "flower", ["--port=5555", "--address=0.0.0.0"])),
        ping_probe=ping_probe(facts),
        unified_cmd=exec_form(celery(facts, "worker", unified_args(facts))),
        worker_cmd=exec_form(celery(facts, "worker", list(facts.worker_args))),
        beat_probe=beat_probe(facts),
        beat_cmd=exec_form(celery(facts, "beat", list(facts.beat_args))),
        test=test_stage(facts),
        **_summaries(facts),
    )


def base_image(facts: SiteFacts) -> str:
    return f"python:{facts.python_version}-slim-{facts.debian_suite}"
