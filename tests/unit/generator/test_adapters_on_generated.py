"""The adapters against the generator's ground truth: exactly the lines generated invalid are
rejected, and every other line is parsed or skipped — on noisy but valid data nothing is lost."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from generator import PARTNER_FILES
from producers.adapters import adapter_for
from producers.adapters.base import Rejected
from producers.pseudonym import Pseudonymiser
from tests.unit.generator.conftest import Export


@pytest.mark.parametrize("partner", sorted(PARTNER_FILES))
def test_only_the_invalid_lines_are_rejected(export: Export, partner: str) -> None:
    file = PARTNER_FILES[partner]
    adapter = adapter_for(partner, Pseudonymiser(SecretStr("unit-test-key-0123456789")))
    results = list(adapter.read(export.dir / file))
    rejected = {r.line: r.reason for r in results if isinstance(r, Rejected)}
    invalid = {line for (name, line), truth in export.truth.items()
               if name == file and truth["kind"] == "invalid"}
    assert invalid, f"the generator wrote no invalid line into {file}"
    assert {line: rejected[line] for line in rejected if line not in invalid} == {}
    assert invalid - set(rejected) == set()
    data_lines = {line for (name, line) in export.truth if name == file}
    assert {r.line for r in results} == data_lines
