"""A failed build as data: which target, which step, its error and last output, and the log.

`BuildFailed` carries these fields; its one-line message names the step and the cause (the
last error line the step printed, e.g. pip's "requires a different Python") and points at
`invoke troubleshoot.build` for the target that failed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from dockyard.build.progress import BuildProgress, Vertex
from dockyard.core.errors import DockyardError
from dockyard.core.redact import redact
from dockyard.dockerfile.parser import Dockerfile

# A line a failing command dies with: compilers, pip, npm, apt and the shell all say one of these.
_ERROR_LINE = re.compile(
    r"\b(?:error|fatal|failed|denied|cannot|unable|not found|no such file|requires a different python)\b",
    re.IGNORECASE,
)
_EXIT = re.compile(r"did not complete successfully: (?P<how>.*)$")


@dataclass
class FailedStep:
    target: str | None  # the bake target whose build reported it
    label: str  # "web builder 5/9"
    stage: str | None
    command: str  # the instruction, secrets masked
    error: str  # BuildKit's error for the step, e.g. `process "..." did not complete successfully: exit code: 1`
    output_tail: list[str] = field(default_factory=list)  # its last output lines, secrets masked
    dockerfile_line: str | None = None  # "deployment/Dockerfile.multistage:42"

    @property
    def cause(self) -> str:
        """The last error line of the step's output, else how the step ended (`exit code 1`)."""
        for line in reversed(self.output_tail):
            if _ERROR_LINE.search(line):
                return line.strip()[:200]
        return short_error(self.error)

    def to_dict(self) -> dict:
        return {**asdict(self), "cause": self.cause}


def short_error(error: str) -> str:
    """BuildKit's `process "..." did not complete successfully: exit code: 3` -> `exit code 3`."""
    m = _EXIT.search(error)
    return m.group("how").replace("exit code: ", "exit code ") if m else error


def failed_step(progress: BuildProgress, dockerfiles: dict[str, Dockerfile], tail: int = 15) -> FailedStep | None:
    """The first step that failed, located in its Dockerfile (`dockerfiles`: target -> its model)."""
    failed = progress.failed_steps()
    if not failed:
        return None
    vertex = failed[0]
    target = vertex.target if vertex.target in dockerfiles else None
    if target is None and len(dockerfiles) == 1:
        target = next(iter(dockerfiles))
    dockerfile = dockerfiles.get(target) if target else None
    return FailedStep(
        target=target,
        label=vertex.label,
        stage=vertex.stage,
        command=redact(vertex.command),
        error=redact(vertex.error or progress.failure or ""),
        output_tail=[redact(line) for line in vertex.output[-tail:]],
        dockerfile_line=locate(vertex, dockerfile) if dockerfile else None,
    )


def locate(vertex: Vertex, dockerfile: Dockerfile) -> str | None:
    """`path:line` of the instruction a step vertex ran (matched on stage and instruction text)."""
    stage = dockerfile.stage(vertex.stage) if vertex.stage else None
    if stage is None and vertex.stage and vertex.stage.isdigit():
        stage = None
    wanted = " ".join(vertex.command.split())
    candidates = [stage] if stage is not None else dockerfile.stages
    for member in candidates:
        for instruction in (member.from_instruction, *member.instructions):
            if " ".join(instruction.original.split()) == wanted:
                return f"{dockerfile.path}:{instruction.line}"
    return None


class BuildFailed(DockyardError):
    """docker buildx bake exited non-zero. Carries what failed, where, why, and the log."""

    def __init__(
        self,
        targets: list[str],
        log_path: str,
        step: FailedStep | None = None,
        failure: str | None = None,
        note: str = "",
    ) -> None:
        self.targets = list(targets)
        self.step = step
        self.log_path = log_path
        self.failure = failure  # buildx's closing error line, when no step failed
        self.target = (step.target if step and step.target else None) or (targets[0] if targets else "")
        self.note = note
        super().__init__(self._message())

    @property
    def cause(self) -> str:
        if self.step is not None:
            return self.step.cause
        return self.failure or "see the log"

    def _message(self) -> str:
        where = f" at [{self.step.label}] {_short(self.step.command, 80)}" if self.step else ""
        extra = f" {self.note}" if self.note else ""
        return (
            f"bake of {', '.join(self.targets)} failed{where}: {self.cause} "
            f"(log: {self.log_path}; details: invoke troubleshoot.build {self.target}){extra}"
        )

    def with_note(self, note: str) -> BuildFailed:
        """The same failure with a remark appended to the message (e.g. what the build was built from)."""
        return BuildFailed(self.targets, self.log_path, self.step, self.failure, note)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
