"""Partner ids: a kind (``kvk``, ``om``, ``inspectie-szw``) or ``kind:instance`` for partners of
which the chain has many (``riec:rotterdam``, ``zorg:ggd-rotterdam``, ``gemeente:GM0599`` by
the municipality's CBS code).

A kind shares one inbound topic (``signals.in.<kind>``); every partner, instance or not, has a
delivery topic of its own named by ``topic_segment`` (``deliveries.riec.rotterdam``)."""

from __future__ import annotations

import re
from typing import Final

PARTNER_ID_PATTERN: Final = \
    r"^[a-z0-9][a-z0-9\-]{1,39}(:([a-z0-9][a-z0-9\-]{0,39}|GM[0-9]{4}))?$"
_PARTNER_ID: Final = re.compile(PARTNER_ID_PATTERN)


def is_partner_id(value: str) -> bool:
    """Whether ``value`` is a well-formed partner id."""
    return bool(_PARTNER_ID.match(value))


def partner_kind(partner: str) -> str:
    """``"riec:rotterdam"`` → ``"riec"``; a kind is its own kind."""
    return partner.partition(":")[0]


def partner_instance(partner: str) -> str | None:
    """``"gemeente:GM0599"`` → ``"GM0599"``; None for a partner without instances."""
    return partner.partition(":")[2] or None


def topic_segment(partner: str) -> str:
    """The partner id as a piece of a Kafka topic name (no ':' there):
    ``"gemeente:GM0599"`` → ``"gemeente.gm0599"``."""
    return partner.replace(":", ".").lower()
