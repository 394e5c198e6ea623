"""`python -m dockyard.images_run`: what `nox -s images` runs (see dockyard.images.pipeline)."""

import sys

from dockyard.images.pipeline import main

if __name__ == "__main__":
    sys.exit(main())
