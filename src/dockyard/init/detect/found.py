"""What detection collects besides the facts themselves: evidence per fact, and notes for the user."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.init.facts import Evidence


@dataclass
class Found:
    evidence: dict[str, Evidence] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, *lines: str) -> None:
        self.notes.extend(lines)

    def cite(self, fact: str, where: Evidence | None) -> None:
        if where is not None:
            self.evidence[fact] = where
