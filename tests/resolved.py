"""Signal v1 test documents through the stream's pure pipeline, exactly as the worker resolves
them (``streams.pipeline.process`` with dict stores)."""

from __future__ import annotations

import json
from typing import Any

from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver


def resolve_docs(docs: list[dict[str, Any]], store: dict[str, Any] | None = None,
                 resolver: Resolver | None = None) -> list[dict[str, Any]]:
    """The ``signals.resolved`` value of each document, read from offsets 0, 1, … of one
    inbound partition; every document must be resolved (not suppressed as a resend)."""
    store = {} if store is None else store
    resolver = Resolver({}) if resolver is None else resolver
    out = []
    for offset, doc in enumerate(docs):
        outcome = process(Signal.model_validate_json(json.dumps(doc)),
                          {"topic": "in", "partition": 0, "offset": offset}, store, resolver)
        assert outcome.resolved is not None, f"document {offset} was suppressed"
        out.append(outcome.resolved)
    return out
