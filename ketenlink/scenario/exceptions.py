"""The scenario runner's errors."""

from __future__ import annotations

from pathlib import Path

from core.exceptions import KetenlinkError


class ScenarioError(KetenlinkError):
    """Root of the scenario runner's errors."""


class ScenarioFileError(ScenarioError):
    """A scenario file that cannot be read: the file and the line say where."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}:{line}: {problem}")


class HarnessError(ScenarioError):
    """The harness itself broke (a service did not start, the pipeline did not catch up)."""
