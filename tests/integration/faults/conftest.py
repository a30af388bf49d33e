"""Long fault scenarios (``make test-faults``): each kills or stops a real process under load
and records its figures (``reliability.record``); RELIABILITY.md is rendered at the end."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults.reliability import write_report

LEAKED_SOCKET = r"ignore:Exception ignored in. <socket\.socket:pytest.PytestUnraisableExceptionWarning"
"""kafka-python 3.0.12 does not close a socket whose connect was refused (``kafka/net/inet.py``,
``sock_connect``); clients of a killed broker leak them, and the garbage collector reports them
in whichever test runs next. Only in the fault scenarios, where brokers are killed on purpose."""


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.filterwarnings(LEAKED_SOCKET))


@pytest.fixture(scope="session", autouse=True)
def _reliability_report() -> Iterator[None]:
    yield
    write_report()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect the sockets kafka-python leaked (``LEAKED_SOCKET``) once the scenarios are done:
    left to pytest's last collection, which no test's marks cover, their ResourceWarning would
    fail the run under ``filterwarnings = error``. Only when a fault scenario ran."""
    if any(HERE in Path(str(item.path)).parents for item in session.items):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"unclosed <socket\.socket", ResourceWarning)
            for _ in range(3):
                gc.collect()
