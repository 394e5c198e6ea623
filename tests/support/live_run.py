"""A dockyard run that stays alive: the "other run going on at the same time" of the reaping tests.

    python tests/support/live_run.py IMAGE

Through dockyard's own API it makes one of everything a run makes: a container (sleeping), a
network, a volume, an image tag `dockyard-test/live:<run id>` (in its record) and a temp dir.
It prints `ready` with what it made as JSON, waits until its stdin closes, removes all of it
and prints `cleaned`. A reaper that removes any of it while it waits has reaped a live run.
"""

from __future__ import annotations

import contextlib
import json
import sys

from dockyard.core import run_record
from dockyard.core.run import run_id, run_labels
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker import containers
from dockyard.docker.client import client
from dockyard.docker.images import remove_tagged


def main(image: str) -> int:
    tag = f"dockyard-test/live:{run_id()}"
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(run_tempdir("live"))
        network = stack.enter_context(containers.temporary_network())
        container = stack.enter_context(
            containers.temporary_container(image, command=["sleep", "3600"], network=network.name)
        )
        volume = client().volumes.create(f"dockyard-live-{run_id()}", labels=run_labels())
        stack.callback(volume.remove, force=True)
        run_record.note_tags([tag])
        client().images.get(image).tag(*tag.rsplit(":", 1))
        stack.callback(remove_tagged, run_id())
        made = {
            "container": container.name,
            "network": network.name,
            "volume": volume.name,
            "tag": tag,
            "tempdir": str(workdir),
        }
        print("ready", json.dumps(made), flush=True)
        sys.stdin.read()  # until the test closes our stdin
    print("cleaned", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
