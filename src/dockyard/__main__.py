"""`python -m dockyard`: the `dockyard` command (dockyard.cli.app)."""

import sys

from dockyard.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
