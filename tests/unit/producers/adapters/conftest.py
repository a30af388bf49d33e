from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from producers.pseudonym import Pseudonymiser

DATA = Path(__file__).parents[3] / "data"


@pytest.fixture
def pseudonyms() -> Pseudonymiser:
    return Pseudonymiser(SecretStr("unit-test-key-0123456789"))


@pytest.fixture
def data() -> Path:
    return DATA
