"""The same (N, seed) gives byte-identical files; another seed gives other data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import generate
from generator.exceptions import GenerateError, TooFewSignalsError

FILES = ("kvk-mutaties.csv", "riec-casussignalen.jsonl", "zorg-meldingen.jsonl",
         "meldmisdaadanoniem-tips.jsonl", "ground-truth.jsonl", "entities.jsonl", "world.json")


def _read(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 600, 42)
    second = generate(tmp_path / "b", 600, 42)
    assert _read(tmp_path / "a") == _read(tmp_path / "b")
    assert first.kvk_rows == second.kvk_rows and first.resends == second.resends


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", 600, 42)
    generate(tmp_path / "b", 600, 43)
    a, b = _read(tmp_path / "a"), _read(tmp_path / "b")
    assert all(a[name] != b[name] for name in FILES)


def test_too_few_signals_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TooFewSignalsError) as caught:
        generate(tmp_path, 10, 1)
    assert isinstance(caught.value, GenerateError) and caught.value.minimum == 200


def test_an_unwritable_output_folder_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(GenerateError, match="cannot write"):
        generate(blocker / "out", 300, 1)


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """No set or dict order leaks into the files: another PYTHONHASHSEED, the same bytes."""
    generate(tmp_path / "here", 400, 9)
    script = ("import sys; from pathlib import Path; from generator import generate; "
              "generate(Path(sys.argv[1]), 400, 9)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=env,
                   cwd=Path(__file__).resolve().parents[4], capture_output=True)
    assert _read(tmp_path / "here") == _read(tmp_path / "there")
