"""Shared test helpers; integration fixtures live in tests/integration/conftest.py."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.own_stack import own_stack_environment


def pytest_configure(config: pytest.Config) -> None:
    """Before anything reads settings: the session's own data directory and ports, never those
    of a stack that already runs (tests/own_stack.py)."""
    own_stack_environment(config.rootpath, os.environ)


@pytest.fixture
def uid() -> str:
    """A name unique to this test, for topics, consumer groups and graph ids."""
    return "t" + uuid.uuid4().hex[:12]
