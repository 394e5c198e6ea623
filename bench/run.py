"""Measure the reference card's success metrics on the reference site (see docs/performance.md).

    python bench/run.py [--skip-cold] [--skip-checks] [--source worktree|head]
                        [--out DIR] [--json PATH] [--strict]

Also: `invoke bench`, `nox -s bench`. Prints a table; writes JSON, an HTML chart and a Markdown
table to bench/results/<time>-<run id>/ (and latest.* beside it).
"""

import sys

from dockyard.cli.bench import main

if __name__ == "__main__":
    sys.exit(main())
