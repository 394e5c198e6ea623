"""`invoke base.*`: local stand-ins for upstream images where no registry answers."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks._task import task

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


@task(
    default=True,
    help={
        "force": "rebuild the stand-ins (and the Debian images under them) even when they exist",
        "all": "make every stand-in dockyard has "
        "(python 3.11 and 3.13, postgres 15 and 17, redis 7 and 8, the stage's nginx)",
    },
    makes=True,
)
def bootstrap(c, force=False, all=False):  # noqa: A002 - the option is --all
    """Make the local stand-ins this project needs: its base image, postgres and redis.

    Which ones: the Dockerfile's BASE_IMAGE default (or [tool.dockyard] base_image), and the
    postgres and redis of [tool.dockyard.test] or the compose file. Each is made from Debian
    packages (bookworm or trixie, by version) only when the upstream image cannot be pulled."""
    from rich.text import Text

    from dockyard.build import base_images
    from dockyard.cli.console import console
    from dockyard.core.errors import ConfigError
    from dockyard.core.project import find_project
    from dockyard.docker.images import pullable
    from dockyard.runtime.site import load_site

    def log(message: str) -> None:
        console.print(Text.assemble(("base: ", "dim"), message))

    if all:
        wanted = list(base_images.LOCAL_IMAGES)
    else:
        wanted = []
        for upstream, stand_in in load_site(find_project()).stand_ins():
            if pullable(upstream):
                log(f"{upstream} can be pulled: no stand-in needed")
            elif stand_in is None:
                raise ConfigError(
                    f"{upstream} cannot be pulled here and dockyard has no stand-in for it (it has: "
                    + ", ".join(i.stands_in_for for i in base_images.STAND_INS)
                    + ")"
                )
            else:
                wanted.append(stand_in)
    made = base_images.ensure_local_images(wanted, force=force, log=log)
    if made:
        console.print(f"made {len(made)} image(s): {', '.join(made)}", markup=False)
    else:
        present = ", ".join(i.tag for i in wanted) or "none needed"
        console.print(f"local stand-ins already present ({present}); --force rebuilds them", markup=False)


ns = Collection("base", bootstrap)
