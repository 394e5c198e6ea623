"""`dockyard init` and `invoke init`: detect, show the plan, write with --yes; or --check."""

from __future__ import annotations

from pathlib import Path

from dockyard.core.errors import CheckFailed, ConfigError


def init_and_print(
    root: str | None = None,
    *,
    yes: bool = False,
    force: bool = False,
    check: bool = False,
    celery_app: str | None = None,
    health_path: str | None = None,
    add_health_view: bool = False,
    manage_py: str | None = None,
) -> None:
    from dockyard.cli.console import console

    directory = Path(root or ".").resolve()
    if check:
        _check(directory, console)
        return
    import time

    from dockyard.cli.views.init import print_plan, print_written
    from dockyard.init.apply import apply
    from dockyard.init.detect import DetectOptions, detect
    from dockyard.init.installed import current_install
    from dockyard.init.plan import make_plan
    from dockyard.init.snapshot import read_repository

    snapshot = read_repository(directory)
    options = DetectOptions(celery_app, health_path, add_health_view, manage_py)
    facts = detect(snapshot, options)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    plan = make_plan(facts, snapshot, current_install(), force=force, stamp=stamp)
    print_plan(plan, directory, console)
    console.print()
    if plan.blocked:
        raise ConfigError(f"{plan.blocked}; nothing was written")
    if not plan.writes:
        console.print("Nothing to write: every file is in place (--force replaces existing ones).", markup=False)
        return
    if not yes:
        console.print(
            f"Nothing written yet: run the same command with --yes to write {len(plan.writes)} file(s).", markup=False
        )
        return
    written = apply(plan, directory)
    print_written(written, console)


def _check(directory: Path, console) -> None:
    from dockyard.cli.views.init import print_check
    from dockyard.core.project import read_config
    from dockyard.core.settings import Settings, load_settings
    from dockyard.init.check import check_deployment

    pyproject = directory / "pyproject.toml"
    settings = load_settings(read_config(pyproject)) if pyproject.is_file() else Settings()
    result = check_deployment(directory, settings)
    print_check(result, console)
    if result.missing:
        raise CheckFailed(result.summary())
    console.print(f"every checklist item is in place ({len(result.rows)} checks)", markup=False)
