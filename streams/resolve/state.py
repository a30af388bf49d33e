"""The resolver's store: typed reads and writes of its keys (``streams.store_keys``).

Values are JSON (dicts, lists, strings, numbers); a value read is never changed in place: it is
copied, changed and written back, so a faust table sees every change as one changelog write.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from streams.store_keys import (
    ENTITY_COUNT,
    IDENTIFIERS,
    LIST_FIELDS,
    PROFILE,
    REDIRECT,
    REJECTED,
    block_key,
    holders_key,
    judgements_key,
    record_key,
    strong_key,
)


class State:
    """Reads and writes of one store; holds no data of its own."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store

    # -- records -----------------------------------------------------------------------------
    def record(self, record_id: str) -> dict[str, Any] | None:
        group, ref = record_key(record_id)
        value = (self.store.get(group) or {}).get(ref)
        return dict(value) if value is not None else None

    def put_record(self, record_id: str, value: dict[str, Any]) -> None:
        """Records of one signal share a key, so that a signal adds one key, not one per
        subject."""
        group, ref = record_key(record_id)
        self.store[group] = {**(self.store.get(group) or {}), ref: value}

    # -- entities ----------------------------------------------------------------------------
    def current(self, entity_id: str) -> str:
        """Follow merge redirects to the surviving entity."""
        seen = 0
        while (nxt := self.store.get(REDIRECT + entity_id)) is not None and seen < 10_000:
            entity_id, seen = nxt, seen + 1
        return entity_id

    def profile(self, entity_id: str) -> dict[str, Any] | None:
        value = self.store.get(PROFILE + entity_id)
        return value if isinstance(value, dict) else None

    def put_profile(self, entity_id: str, profile: dict[str, Any]) -> None:
        self.store[PROFILE + entity_id] = profile

    def redirect(self, merged: str, into: str) -> None:
        self.store[REDIRECT + merged] = into
        del self.store[PROFILE + merged]

    def next_ordinal(self) -> int:
        """Creation order of entities: older entities survive merges."""
        n = int(self.store.get(ENTITY_COUNT, 0)) + 1
        self.store[ENTITY_COUNT] = n
        return n

    # -- strong keys -------------------------------------------------------------------------
    def strong(self, kind: str, key: str) -> str | None:
        value = self.store.get(strong_key(kind, key))
        return self.current(value) if value is not None else None

    def put_strong(self, kind: str, key: str, entity_id: str) -> None:
        self.store[strong_key(kind, key)] = entity_id

    # -- blocks ------------------------------------------------------------------------------
    def block(self, kind: str, key: str, cap: int) -> list[str]:
        """Entity ids filed under a blocking key; [] for a generic (full) block."""
        value = self.store.get(block_key(kind, key))
        if not value or len(value) >= cap:
            return []
        return list(value)

    def file(self, kind: str, keys: Iterable[str], entity_id: str, cap: int) -> None:
        """File an entity under blocking keys; a full block stays as it is."""
        for key in keys:
            value = self.store.get(block_key(kind, key)) or []
            if len(value) < cap and entity_id not in value:
                self.store[block_key(kind, key)] = [*value, entity_id]

    # -- generic values ----------------------------------------------------------------------
    def holders(self, kind: str, value: str) -> list[str]:
        return list(self.store.get(holders_key(kind, value)) or [])

    def count_holder(self, kind: str, value: str, entity_id: str, limit: int) -> None:
        """Count ``entity_id`` among the holders of ``value``, up to ``limit + 1`` holders."""
        holders = self.store.get(holders_key(kind, value)) or []
        if len(holders) <= limit and entity_id not in holders:
            self.store[holders_key(kind, value)] = [*holders, entity_id]

    # -- judgements --------------------------------------------------------------------------
    def judgements(self, a: str, b: str) -> list[dict[str, Any]]:
        return list(self.store.get(judgements_key(a, b)) or [])

    def log_judgement(self, a: str, b: str, entry: dict[str, Any]) -> None:
        self.store[judgements_key(a, b)] = [*self.judgements(a, b), entry]


def merged(profile: dict[str, Any], extra: dict[str, Any], cap: int) -> dict[str, Any]:
    """A new profile with the values of ``extra`` added (at most ``cap`` per field; the rejected
    list is not capped)."""
    out = dict(profile)
    for field in LIST_FIELDS:
        add = extra.get(field)
        if not add:
            continue
        have = list(out.get(field, ()))
        for value in add:
            if value not in have and (field == REJECTED or len(have) < cap):
                have.append(value)
        out[field] = have
    if extra.get(IDENTIFIERS):
        ids = {scheme: list(values) for scheme, values in (out.get(IDENTIFIERS) or {}).items()}
        for scheme, values in extra[IDENTIFIERS].items():
            have = ids.setdefault(scheme, [])
            have.extend(v for v in values if v not in have)
        out[IDENTIFIERS] = ids
    return out
