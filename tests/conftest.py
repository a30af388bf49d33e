"""Shared test helpers; integration fixtures live in tests/integration/conftest.py."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def uid() -> str:
    """A name unique to this test, for topics, consumer groups and graph ids."""
    return "t" + uuid.uuid4().hex[:12]
