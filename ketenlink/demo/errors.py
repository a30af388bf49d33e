"""The demo's one failure."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class DemoError(KetenlinkError):
    """The demo did not see the expected results in time, or a service did not start."""
