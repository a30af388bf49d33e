"""Reading a stage's record into its model: one parse of the bytes, one readable error.

Every record that crosses a topic between two stages has a pydantic model in ``schemas/``
(``schemas.resolved``, ``schemas.delivery``, ``schemas.alert_proposal``); its writer builds the
model and serialises it once (``to_json``), its readers parse the bytes once (``parse``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.errors import describe

M = TypeVar("M", bound=BaseModel)


class InvalidRecord(ValueError):
    """A record is not the model its topic carries; the message names each broken field
    (dotted path, e.g. ``entities.0.entity_id: Field required``)."""

    def __init__(self, model: type[BaseModel], detail: str) -> None:
        self.model, self.detail = model.__name__, detail
        super().__init__(f"not a valid {model.__name__}: {detail}")


def parse(model: type[M], value: bytes | str | None) -> M:
    """``value`` (JSON bytes as read from Kafka) as ``model``; ``InvalidRecord`` when it is not
    one (a missing value, malformed JSON or a broken field)."""
    if value is None:
        raise InvalidRecord(model, "the record has no value")
    try:
        return model.model_validate_json(value)
    except ValidationError as exc:
        raise InvalidRecord(model, describe(exc)) from None


def validate(model: type[M], doc: M | Mapping[str, Any] | Any) -> M:
    """``doc`` (already parsed JSON, or the model itself) as ``model``; ``InvalidRecord`` when
    it is not one."""
    if isinstance(doc, model):
        return doc
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise InvalidRecord(model, describe(exc)) from None
