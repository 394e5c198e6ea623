#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    sys.path.append(str(Path(__file__).resolve(strict=True).parent / "cookie_shop"))
    execute_from_command_line(sys.argv)
