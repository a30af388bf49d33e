"""Errors of the consumers."""

from __future__ import annotations

from ketenlink.exceptions import KetenlinkError


class ConsumerError(KetenlinkError):
    """A consumer could not move records to their destination."""
