"""What `stage.up` made, kept in `.dockyard/stage/<name>.json` so that `stage.down` (another process,
later) undoes exactly that: above all whether it initialised the swarm, which only then it leaves."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.core.project import Project


@dataclass
class StageState:
    name: str
    swarm_initialised: bool  # stage.up ran `swarm init`: stage.down leaves the swarm
    run: str  # the run id its resources are labelled with
    port: int = 0  # the proxy's loopback port, once it runs
    images: dict[str, str] = field(default_factory=dict)  # service -> image it was brought up with
    started: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}" if self.port else ""


def state_path(project: Project) -> Path:
    return project.root / ".dockyard" / "stage" / f"{project.settings.stage.name}.json"


def load(project: Project) -> StageState | None:
    path = state_path(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StageState(**{k: v for k, v in data.items() if k in StageState.__dataclass_fields__})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"cannot read the stage's state {path}: {exc}") from None


def save(project: Project, state: StageState) -> None:
    path = state_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def forget(project: Project) -> None:
    state_path(project).unlink(missing_ok=True)
