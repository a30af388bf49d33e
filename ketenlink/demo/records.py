"""What the demo published, and what came of it: the records its steps hand to each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import GenerateReport


@dataclass(frozen=True)
class Scenario:
    out: Path
    report: GenerateReport
    truth: Mapping[tuple[str, int], Mapping[str, Any]]
    """(file, physical line) -> that line's ground truth."""
    true_rings: tuple[str, ...]


@dataclass(frozen=True)
class Sent:
    """One record a partner published and Kafka acknowledged (directly or via the gateway)."""

    partner: str
    line: int
    signal_id: str


@dataclass
class Published:
    sent: list[Sent] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    """Partner -> the reasons its adapter refused lines at the source."""

    @property
    def ids(self) -> set[str]:
        return {s.signal_id for s in self.sent}


@dataclass(frozen=True)
class Parked:
    """A record of this run on ``signals.rejected``: why, who parked it (``intake`` for the
    stream's intake, else the service named in the record: ``router``...), and whether it is one
    of the hand-broken records."""

    reason: str
    by: str
    broken: bool = False


@dataclass(frozen=True)
class Resolved:
    """This run's records seen on ``signals.resolved`` (each (signal id, revision) once: a
    replay after a worker crash emits the same record again), and what was parked."""

    verdicts: Mapping[tuple[str, int], str]
    parked: tuple[Parked, ...]
    in_graph: int

    @property
    def parked_by_intake(self) -> tuple[Parked, ...]:
        return tuple(p for p in self.parked if p.by == "intake")
