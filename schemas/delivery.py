"""The ``deliveries.<partner>`` record: one redacted copy of a resolved signal for one recipient,
as the router writes it (``streams.recipients``) and the deliverer POSTs it unchanged
(``consumers.webhook``).

The JSON on the wire is ``Delivery.to_json()``: every key always present.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

_RECORD = ConfigDict(frozen=True, extra="forbid", strict=True)


class DeliveredEntity(BaseModel):
    """An entity of a subject the recipient may see (``schemas.resolved.ResolvedEntity`` cut
    to what a partner needs to recognise it again)."""

    model_config = _RECORD

    ref: str
    type: str
    role: str
    entity_id: str


class Delivery(BaseModel):
    """One value of ``deliveries.<recipient>`` (key: ``signal_id``)."""

    model_config = _RECORD

    delivery_id: str
    """uuid5 of signal id, revision and recipient (``streams.recipients.delivery_id``): a
    replay is a retry the receiver can recognise (the ``X-Ketenlink-Delivery`` header)."""
    recipient: str
    signal_id: str
    revision: int
    routed_at: str
    """When the router decided (ISO 8601, as ``datetime.isoformat`` writes it)."""
    registry_version: int
    """The registry version that decided (``policy.registry.Registry.version``)."""
    subscriptions: list[str]
    """The recipient's subscriptions that matched."""
    redacted: list[str]
    """Each path taken out of the signal (``policy.view.redact``), e.g. ``narrative``;
    ``subjects[<ref>]`` for an erased person taken out later (``policy.suppression``)."""
    signal: dict[str, Any]
    """The Signal v1 document with only the fields the recipient may see (a JSON object: which
    fields it holds depends on the recipient's clearance)."""
    entities: list[DeliveredEntity]

    def to_json(self) -> bytes:
        """The record's value on the wire (compact UTF-8 JSON)."""
        return self.model_dump_json().encode()


DeliveryIdText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class DeliveryHeader(BaseModel):
    """What the deliverer reads of a delivery before it POSTs the bytes unchanged: its id.
    Other fields are ignored (a copy is sent as it is)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    delivery_id: DeliveryIdText
