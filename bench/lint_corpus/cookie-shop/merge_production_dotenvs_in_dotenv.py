"""Concatenate .envs/.production/* into one .env at the repository root.

For hosts that run the app without compose.
"""

from collections.abc import Sequence
from pathlib import Path

BASE_DIR = Path(__file__).parent.resolve()
PRODUCTION_DOTENVS_DIR = BASE_DIR / ".envs" / ".production"
PRODUCTION_DOTENV_FILES = [
    PRODUCTION_DOTENVS_DIR / ".django",
    PRODUCTION_DOTENVS_DIR / ".postgres",
]
DOTENV_FILE = BASE_DIR / ".env"


def merge(output_file: Path, files_to_merge: Sequence[Path]) -> None:
    merged = "\n".join(path.read_text() for path in files_to_merge)
    output_file.write_text(merged)


if __name__ == "__main__":
    merge(DOTENV_FILE, PRODUCTION_DOTENV_FILES)
