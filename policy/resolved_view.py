"""A ``signals.resolved`` record as a reader may use it: parsed once into its model and read
through the suppressions (``policy.suppression``: purged signals, erased persons)."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel

from policy.suppression import SuppressionSet
from schemas.contract import InvalidRecord, parse, validate

M = TypeVar("M", bound=BaseModel)


def read_resolved(model: type[M], value: bytes | None, suppressed: SuppressionSet) -> M | None:
    """``value`` as ``model`` (``schemas.resolved.ResolvedRecord``, or a reader's part of it);
    ``None`` when its signal is suppressed; without every suppressed person when it mentions
    one. ``InvalidRecord`` (naming the broken fields) when it is no such record.

    Without suppressions the bytes are parsed straight into the model; with some, they are
    parsed to JSON once, validated, and validated again only when a suppression changed them."""
    if not suppressed:
        return parse(model, value)
    try:
        doc = orjson.loads(value or b"null")
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(model, f"Invalid JSON: {exc}") from None
    record = validate(model, doc)
    kept = suppressed.resolved(doc)
    if kept is None:
        return None
    return record if kept is doc else validate(model, kept)
