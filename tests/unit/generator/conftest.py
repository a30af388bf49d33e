"""One small generated export shared by the tests of this folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator import GenerateReport, generate

SIGNALS = 2500
SEED = 20260304


@dataclass(frozen=True)
class Export:
    dir: Path
    report: GenerateReport
    truth: dict[tuple[str, int], dict[str, Any]]
    """Ground truth by (file, line)."""
    entities: dict[str, dict[str, Any]]

    def lines(self, file: str) -> list[str]:
        return (self.dir / file).read_text(encoding="utf-8").splitlines()

    def valid_json(self, file: str) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
        """(line number, record, ground truth) of every record not marked invalid."""
        for number, line in enumerate(self.lines(file), start=1):
            truth = self.truth[(file, number)]
            if truth["kind"] != "invalid":
                yield number, json.loads(line), truth


@pytest.fixture(scope="session")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    out = tmp_path_factory.mktemp("generated")
    report = generate(out, SIGNALS, SEED)
    truth = {}
    for line in (out / "ground-truth.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        truth[(doc["file"], doc["line"])] = doc
    entities = {}
    for line in (out / "entities.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        entities[doc["id"]] = doc
    return Export(out, report, truth, entities)
