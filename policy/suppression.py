"""What erasure and retention took out of the platform, honoured wherever resolved records are
read: the compacted topic ``suppressions``.

``signals.resolved`` and ``entities.merges`` keep every record (the graph is rebuilt from them),
so deleting a signal or a person from Neo4j alone is undone by the next replay. Erasure
(``graph.erasure``) and the retention purge (``graph.purge``) therefore also write one record
per thing they removed, keyed so that compaction keeps one record per thing:

- ``signal:<signal id>``: a signal the purge or an erasure deleted; every revision of it is
  dropped;
- ``entity:<entity id>``: an erased person's node (each node of the merge cluster);
- ``pseudonym:<ps1:...>``: the erased person's bsn- or patient-pseudonym, so that a record
  carrying it is recognised even under an entity id the graph never held.

A suppression is for good: a pseudonym suppressed also takes the person out of later records
that carry it. The value is ``{"kind", "id", "reason": "erasure"|"retention", "at"}`` (no free text: an
erasure's reason may name the person and stays in the audit log). A tombstone lifts a
suppression (a mistaken erasure, decided by people; nothing in the platform writes one).

**Order: the suppression first, then the graph.** Erasure and purge write their suppressions
(acks=all, each future checked) inside their Neo4j transaction, before it commits. A crash in
between leaves a suppression whose graph deletion did not happen: harmless — nothing comes
back, and the next run deletes it. The opposite order would leave a graph without the person
and a topic that brings them back on the next replay.

Readers keep a ``Suppressions`` view (read to the topic's end at start, then followed in a
thread: ``core.topic_reader.FollowedTopic``) and apply its current ``SuppressionSet`` to every
record: ``resolved`` drops a suppressed signal (``None``) and takes a suppressed person out of
a record that mentions others (subject, entity, relations, links, review candidates, merges,
risk), ``keeps_merge`` drops a merge that touches one. The graph sink, the router and the
alert engine use it; the resolve stage consumes the topic to forget the person's state
(``streams.forget``). Known limit: a record a reader took before it saw the suppression (the
view follows the topic within ~100 ms) may still be written or routed once after the erasure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import structlog

from core.exceptions import TopicBehindError
from core.settings import KafkaSettings, Settings
from core.topic_reader import FollowedTopic, Polled
from core.topics import TopicLayout
from policy.exceptions import SuppressionError

log = structlog.get_logger(__name__)

Kind = Literal["signal", "entity", "pseudonym"]
KINDS: tuple[Kind, ...] = ("signal", "entity", "pseudonym")
Reason = Literal["erasure", "retention"]


@dataclass(frozen=True)
class Suppression:
    """One thing taken out: a signal, a person's entity, a person's pseudonym."""

    kind: Kind
    id: str
    reason: Reason

    def key(self) -> bytes:
        return f"{self.kind}:{self.id}".encode()

    def value(self, at: datetime) -> bytes:
        return json.dumps({"kind": self.kind, "id": self.id, "reason": self.reason,
                           "at": at.isoformat()}, separators=(",", ":")).encode()


def parse_key(key: bytes | None) -> tuple[Kind, str]:
    """``(kind, id)`` of a record key; ``ValueError`` for anything else."""
    kind, colon, ident = (key or b"").decode("utf-8").partition(":")
    for known in KINDS:
        if kind == known and colon and ident:
            return known, ident
    raise ValueError(f"not a suppression key: {kind!r}")


@dataclass(frozen=True)
class SuppressionSet:
    """Every suppression read so far (immutable: a reader thread swaps in a new one)."""

    signals: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()
    pseudonyms: frozenset[str] = frozenset()
    version: int = 0
    """The offset after the last change applied (0: none)."""

    def __bool__(self) -> bool:
        return bool(self.signals or self.entities or self.pseudonyms)

    def current(self) -> SuppressionSet:
        """A set is its own (fixed) view: ``SuppressionView``."""
        return self

    def changed(self, kind: Kind, ident: str, present: bool, version: int) -> SuppressionSet:
        """This set with ``kind:ident`` added (``present``) or lifted (a tombstone)."""
        return self.applied([(kind, ident, present)], version)

    def applied(self, changes: Iterable[tuple[Kind, str, bool]], version: int
                ) -> SuppressionSet:
        """This set with every change applied in order (one copy, however many changes)."""
        sets: dict[Kind, set[str]] = {"signal": set(self.signals), "entity": set(self.entities),
                                      "pseudonym": set(self.pseudonyms)}
        for kind, ident, present in changes:
            if present:
                sets[kind].add(ident)
            else:
                sets[kind].discard(ident)
        return SuppressionSet(frozenset(sets["signal"]), frozenset(sets["entity"]),
                              frozenset(sets["pseudonym"]), version)

    def signal(self, signal_id: str) -> bool:
        return signal_id in self.signals

    def resolved(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """A ``signals.resolved`` record as readers may use it: ``None`` when its signal is
        suppressed; without every suppressed person when it mentions one; else unchanged (the
        same object). Raises ``KeyError``/``TypeError`` for a record that is not a resolved
        record, as the readers' own parsing would."""
        if not self:
            return record
        if record["signal_id"] in self.signals:
            return None
        gone_refs = self._gone_refs(record)
        mine = {e["entity_id"] for e in record.get("entities") or () if e["ref"] in gone_refs}

        def out(entity_id: str) -> bool:  # not a union: the set of all entities is large
            return entity_id in mine or entity_id in self.entities

        if not gone_refs and not self._touches(record, out):
            return record
        return {
            **record,
            **_without_refs(record, gone_refs),
            "links": [k for k in record.get("links") or ()
                      if not out(k["source"]) and not out(k["target"])
                      and k.get("source_ref") not in gone_refs
                      and k.get("target_ref") not in gone_refs],
            "review": [r for r in record.get("review") or ()
                       if not out(r["entity_id"]) and not out(r["candidate"])
                       and r.get("ref") not in gone_refs],
            "merges": [m for m in record.get("merges") or () if self.keeps_merge(m)],
            "risk": {k: v for k, v in (record.get("risk") or {}).items() if not out(k)},
        }

    def delivery(self, copy: dict[str, Any]) -> dict[str, Any] | None:
        """A ``deliveries.<partner>`` copy as it may still be sent: ``None`` when its signal is
        suppressed; without an erased person (subject, relations, entity), each ref taken out
        named in ``redacted`` as ``subjects[<ref>]``; else unchanged (the same object)."""
        if not self:
            return copy
        if copy["signal_id"] in self.signals:
            return None
        gone_refs = self._gone_refs(copy)
        if not gone_refs:
            return copy
        return {
            **copy,
            **_without_refs(copy, gone_refs),
            "redacted": [*(copy.get("redacted") or ()),
                         *(f"subjects[{ref}]" for ref in sorted(gone_refs))],
        }

    def _gone_refs(self, record: Mapping[str, Any]) -> set[str]:
        """The refs of the record's subjects that are suppressed persons (by entity id or by a
        pseudonym among their identifiers)."""
        refs = {e["ref"] for e in record.get("entities") or () if e["entity_id"] in self.entities}
        refs |= {s["ref"] for s in record["signal"].get("subjects") or ()
                 if any(i.get("value") in self.pseudonyms for i in s.get("identifiers") or ())}
        return refs

    def _touches(self, record: Mapping[str, Any], out: Callable[[str], bool]) -> bool:
        """Whether a link, review candidate, merge or risk entry names a suppressed entity."""
        return (any(out(k["source"]) or out(k["target"]) for k in record.get("links") or ())
                or any(out(r["entity_id"]) or out(r["candidate"])
                       for r in record.get("review") or ())
                or any(not self.keeps_merge(m) for m in record.get("merges") or ())
                or any(out(k) for k in record.get("risk") or {}))

    def keeps_merge(self, merge: Mapping[str, Any]) -> bool:
        """Whether an ``entities.merges`` record may be used (neither side is suppressed)."""
        return merge["merged"] not in self.entities and merge["into"] not in self.entities


EMPTY = SuppressionSet()


class SuppressionView(Protocol):
    """What readers need: the suppressions as of now (``Suppressions``, or a fixed set)."""

    def current(self) -> SuppressionSet: ...


class Suppressions(FollowedTopic):
    """The current ``SuppressionSet``, kept up to date from the topic by a reader thread."""

    name = "suppressions"

    def __init__(self, kafka: KafkaSettings | str, topic: str) -> None:
        super().__init__(kafka, topic, client_id="ketenlink-suppressions")
        self._set = EMPTY

    @classmethod
    def open(cls, settings: Settings, layout: TopicLayout, timeout_s: float = 30.0
             ) -> Suppressions:
        """Read every suppression so far (up to ``timeout_s``), then follow the topic."""
        view = cls(settings.kafka, layout.suppressions)
        view.follow(timeout_s)
        return view

    def current(self) -> SuppressionSet:
        return self._set

    def catch_up(self, timeout_s: float) -> None:
        """Apply every suppression up to the topic's end offset at call time. A reader must
        not start before it knows them all: ``SuppressionError`` when the topic is missing or
        reading it takes too long."""
        if not self.exists():
            raise SuppressionError(self.topic, "does not exist: `ketenlink stack up` creates "
                                   "every topic of core/topics.yaml")
        try:
            super().catch_up(timeout_s)
        except TopicBehindError as exc:
            raise SuppressionError(self.topic, exc.problem) from None
        log.info("suppressions.loaded", topic=self.topic, version=self._set.version,
                 signals=len(self._set.signals), entities=len(self._set.entities),
                 pseudonyms=len(self._set.pseudonyms))

    def _apply(self, polled: Polled) -> None:
        changes: list[tuple[Kind, str, bool]] = []
        version = self._set.version
        for records in polled.values():
            for record in records:
                version = max(version, record.offset + 1)
                try:
                    kind, ident = parse_key(record.key)
                except ValueError as exc:  # a foreign writer: skip, loudly
                    log.error("suppressions.refused", topic=self.topic, offset=record.offset,
                              error=str(exc))
                    continue
                changes.append((kind, ident, record.value is not None))
        if version != self._set.version:
            self._set = self._set.applied(changes, version)
            log.info("suppressions.changed", version=version, changes=len(changes))


class RecordPublisher(Protocol):
    """What writing needs of ``core.publisher.Publisher``."""

    def publish_many(self, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]
                     ) -> object: ...


@dataclass
class SuppressionWriter:
    """Writes suppressions and waits for every acknowledgement (``Publisher.publish_many``
    raises ``PublishError`` on the first failure): a suppression reported is on the broker."""

    publisher: RecordPublisher
    topic: str
    written: list[Suppression] = field(default_factory=list)

    def suppress(self, items: Iterable[Suppression]) -> int:
        items = sorted(set(items), key=lambda s: (s.kind, s.id))
        if not items:
            return 0
        now = datetime.now(UTC)
        self.publisher.publish_many(self.topic, [(s.key(), s.value(now)) for s in items])
        self.written.extend(items)
        log.info("suppressions.written", topic=self.topic, count=len(items),
                 kinds=sorted({s.kind for s in items}), reason=items[0].reason)
        return len(items)


class Suppressor(Protocol):
    """What erasure and purge need: write these suppressions, acknowledged, or raise."""

    def suppress(self, items: Iterable[Suppression]) -> int: ...


def _without_refs(doc: dict[str, Any], gone_refs: set[str]) -> dict[str, Any]:
    """The ``signal`` and ``entities`` of a resolved record or a delivery copy without the
    subjects ``gone_refs`` (and the relations and entities that name them)."""
    signal = doc["signal"]
    return {
        "signal": {**signal,
                   "subjects": [s for s in signal.get("subjects") or ()
                                if s["ref"] not in gone_refs],
                   "relations": [r for r in signal.get("relations") or ()
                                 if r["source"] not in gone_refs
                                 and r["target"] not in gone_refs]},
        "entities": [e for e in doc.get("entities") or () if e["ref"] not in gone_refs],
    }
