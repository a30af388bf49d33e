"""The scenario file model: a good file loads; a malformed one names the file and the line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ketenlink.scenario.exceptions import ScenarioFileError
from ketenlink.scenario.model import load_scenario

GOOD = """\
scenario: tiny
now: 2026-06-30
people:
  P1: {given: Kees, family: Bos, dob: 1980-01-01}
places:
  L1: {street: Dorpsstraat, number: "1", postcode: 1234 AB, city: Ergens, municipality: GM0001}
businesses:
  B1: {kvk: "12345678", name: Bos Massage, sbi: "9604", at: L1, directors: [P1], registered: 2026-01-01}
signals:
  - {id: S1, partner: kvk, date: 2026-01-01, event: registration, business: B1}
  - {id: S2, partner: kvk, date: 2026-01-02, resend_of: S1, event: registration, business: B1}
expect:
  one_entity: [B1]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_its_lines(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, GOOD))
    assert scenario.scenario == "tiny"
    assert [s.id for s in scenario.signals] == ["S1", "S2"]
    assert scenario.signals[1].resend_of == "S1"
    assert scenario.signals[0].fields == {"event": "registration", "business": "B1"}
    assert scenario.lines["S2"] == 11
    assert scenario.lines["expect.one_entity"] == 13


@pytest.mark.parametrize(("broken", "line", "words"), [
    (GOOD.replace('kvk: "12345678"', 'kvk: "1234"'), 8, "kvk"),
    (GOOD.replace("municipality: GM0001", "municipality: Ergens"), 6, "municipality"),
    (GOOD.replace("one_entity: [B1]", "same_thing: [B1]"), 13, "unknown item"),
    (GOOD.replace("resend_of: S1", "resend_of: S9"), 11, "not an earlier signal"),
    (GOOD.replace("directors: [P1]", "directors: [P7]"), 8, "unknown world id P7"),
    (GOOD.replace("  P1: {given: Kees", "  P1: {given: [Kees"), 4, "not YAML"),
    (GOOD.replace("  - {id: S2, partner: kvk,", "  - {partner: kvk,"), 11, "signals.1.id"),
])
def test_a_malformed_file_names_the_line(tmp_path: Path, broken: str, line: int,
                                         words: str) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_the_shared_format_example_files_load() -> None:
    """The shared scenarios (when this checkout sits next to them) all load."""
    folder = Path(os.environ.get("SCENARIOS_DIR")
                  or Path(__file__).parents[3].parent / "shared" / "scenarios")
    files = sorted(folder.glob("*.yaml"))
    if not files:
        pytest.skip(f"no scenario files in {folder}")
    for path in files:
        assert load_scenario(path).signals
