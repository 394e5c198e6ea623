"""`invoke base.*`: local stand-ins for upstream base images."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks._task import task

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


@task(default=True, help={"force": "rebuild every local image even when it exists"}, makes=True)
def bootstrap(c, force=False):
    """Make the dockyard-local/* base, postgres and redis images from Debian packages."""
    from rich.text import Text

    from dockyard.build import base_images
    from dockyard.cli.console import console
    from dockyard.core.project import find_project

    project = find_project()
    made = base_images.ensure_local_images(
        project.root / "deployment" / "local-images",
        force=force,
        log=lambda m: console.print(Text.assemble(("base: ", "dim"), m)),
    )
    if made:
        console.print(f"made {len(made)} image(s): {', '.join(made)}", markup=False)
    else:
        console.print("local base images already present (use --force to rebuild)")


ns = Collection("base", bootstrap)
