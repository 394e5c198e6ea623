"""invoke imports every task module before running any task: they must stay light."""

import subprocess
import sys

HEAVY = ("docker", "rich", "requests", "dockerfile", "hcl2")  # (invoke itself loads a yaml)


def test_importing_the_task_namespace_loads_no_heavy_library():
    code = (
        "import sys, dockyard.cli.tasks; "
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
