"""Errors of the publishing side."""

from __future__ import annotations

from ketenlink.exceptions import KetenlinkError


class PublishError(KetenlinkError):
    """The broker did not acknowledge a record; it must not be reported as published."""

    def __init__(self, topic: str, key: bytes | None, cause: Exception) -> None:
        self.topic, self.key, self.cause = topic, key, cause
        super().__init__(f"publishing to {topic} (key {key!r}) failed: {cause}")
