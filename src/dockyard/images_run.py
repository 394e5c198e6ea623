"""`python -m dockyard.images_run`: what `nox -s images` runs (dockyard.cli.images)."""

import sys

from dockyard.cli.images import main

if __name__ == "__main__":
    sys.exit(main())
