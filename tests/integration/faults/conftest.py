"""Long fault scenarios (``make test-faults``): each kills or stops a real process under load
and records its figures (``reliability.record``); RELIABILITY.md is rendered at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults.reliability import write_report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session", autouse=True)
def _reliability_report() -> Iterator[None]:
    yield
    write_report()
