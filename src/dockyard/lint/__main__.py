"""`python -m dockyard.lint`: see dockyard.cli.lint."""

import sys

from dockyard.cli.lint import main

if __name__ == "__main__":
    sys.exit(main())
