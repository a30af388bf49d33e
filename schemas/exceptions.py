"""Errors of the signal contract."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class ContractError(KetenlinkError):
    """Something about the signal contract itself (catalogue, schema file) is wrong."""
