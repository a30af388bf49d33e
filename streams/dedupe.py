"""Deduplication of validated signals: new, revision, resend, or a replay after a crash.

Pure apart from the ``store`` (a faust table in the worker, a dict in tests). Rules, per partner:

- **new**: the idempotency key ``partner/partner_ref`` and the content fingerprint are unseen;
  revision 1.
- **revision**: the key was seen with other content — an edited resubmission. Same signal id,
  revision n+1; never a second signal.
- **resend**: the key was seen with this exact content (any earlier revision, so a late resend
  of an old version does not revert the signal), or this partner sent the same content under
  another reference. Suppressed and counted.
- **replay**: the very same inbound record (topic, partition, offset) again — the worker crashed
  after processing it and before committing the offset. The stored verdict is returned, so the
  outcome is the one of the first time. A crash can also land only part of a record's writes in
  the changelog (each key is its own changelog record): when ``s:`` was lost but ``k:`` shows
  that this very record brought its content (``origin``), it is a replay too, never a resend of
  itself — the record would otherwise be suppressed and lost.

The same facts from *different* partners are never duplicates: they stay separate signals and
count as corroboration (``streams/pipeline.py``).

Store keys: ``REFERENCE``, ``CONTENT`` and ``VERDICT`` of ``streams.store_keys``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schemas.signal import Signal
from streams.store_keys import REFERENCE, VERDICT, content_key

_NOT_CONTENT = {"signal_id", "partner_ref", "reported_at"}
"""Left out of the fingerprint: identity and the moment of sending, not the facts."""


class Verdict(StrEnum):
    NEW = "new"
    REVISION = "revision"
    RESEND = "resend"


@dataclass(frozen=True)
class Deduplicated:
    """The verdict on one signal; ``replayed`` when the same inbound record came again."""

    verdict: Verdict
    signal_id: str
    revision: int
    fingerprint: str
    duplicate_of: str | None = None
    """For a resend: the ``partner/ref`` whose content it repeats."""
    replayed: bool = False

    @property
    def suppressed(self) -> bool:
        return self.verdict is Verdict.RESEND


def fingerprint(signal: Signal) -> str:
    """SHA-256 of the signal's facts in canonical JSON (keys sorted, identity left out)."""
    facts = signal.model_dump(mode="json", exclude=_NOT_CONTENT)
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def deduplicate(store: MutableMapping[str, Any], signal: Signal, source: str) -> Deduplicated:
    """Classify ``signal`` read from inbound record ``source`` (``topic/partition/offset``) and
    record the verdict in ``store``."""
    signal_id = str(signal.signal_id)
    fp = fingerprint(signal)
    seen = store.get(VERDICT + source)
    if seen is not None:
        verdict, revision, duplicate_of = seen
        return Deduplicated(Verdict(verdict), signal_id, revision, fp, duplicate_of, replayed=True)
    key = f"{signal.partner}/{signal.partner_ref}"
    history = store.get(REFERENCE + key)
    first_with_content = store.get(content_key(signal.partner, fp))
    if history is not None and fp in history["fingerprints"]:
        if history.get("origin", {}).get(fp) == source:  # our own write, its verdict lost
            return _replayed_first(store, signal, history, fp, source)
        result = Deduplicated(Verdict.RESEND, signal_id, history["revision"], fp, key)
    elif first_with_content is not None and first_with_content != key:
        result = Deduplicated(Verdict.RESEND, signal_id, 0, fp, first_with_content)
    else:
        revision = 1 if history is None else history["revision"] + 1
        fingerprints = [fp] if history is None else [*history["fingerprints"], fp]
        origin = {} if history is None else history.get("origin", {})
        store[REFERENCE + key] = {"revision": revision, "fingerprints": fingerprints,
                                  "origin": {**origin, fp: source}}
        if first_with_content is None:
            store[content_key(signal.partner, fp)] = key
        result = Deduplicated(Verdict.NEW if revision == 1 else Verdict.REVISION, signal_id,
                              revision, fp)
    store[VERDICT + source] = [result.verdict.value, result.revision, result.duplicate_of]
    return result


def _replayed_first(store: MutableMapping[str, Any], signal: Signal, history: dict[str, Any],
                    fp: str, source: str) -> Deduplicated:
    """The record that first brought ``fp`` under ``key``, again: its first verdict, and the
    writes a crash may have cut off completed."""
    revision = history["fingerprints"].index(fp) + 1
    verdict = Verdict.NEW if revision == 1 else Verdict.REVISION
    if store.get(content_key(signal.partner, fp)) is None:
        store[content_key(signal.partner, fp)] = f"{signal.partner}/{signal.partner_ref}"
    store[VERDICT + source] = [verdict.value, revision, None]
    return Deduplicated(verdict, str(signal.signal_id), revision, fp, replayed=True)
