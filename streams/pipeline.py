"""One validated signal through deduplication and entity resolution, into a resolved record.

Pure apart from the two stores (faust tables in the worker, dicts in tests) and the resolver
that owns the second. The worker calls ``process`` for every record of ``signals.normalised`` and
``apply_judgement`` for every analyst decision, in one total order.

Store keys (the ``signals`` store; the resolver keeps its own): those of ``streams.dedupe``,
``MERGES`` (the merges an inbound record caused, emitted again when it is replayed) and ``FACTS``
(the partners and the risk evidence of an entity); ``streams.store_keys`` explains each.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from schemas.resolved import (
    EntityRisk,
    MergeEvent,
    RecordSource,
    ResolvedEntity,
    ResolvedLink,
    ResolvedRecord,
    ReviewProposal,
)
from schemas.signal import Signal
from streams.dedupe import Deduplicated, deduplicate
from streams.resolve import Merge, Resolution, Resolver
from streams.risk import MAX_EVIDENCE, Evidence, part_points
from streams.store_keys import FACTS, MERGES


@dataclass(frozen=True)
class Outcome:
    """What one signal produced: the verdict, the ``signals.resolved`` record (None when
    suppressed) and the merge events."""

    dedup: Deduplicated
    record: ResolvedRecord | None
    merges: tuple[Merge, ...]

    @property
    def resolved(self) -> dict[str, Any] | None:
        """The record's JSON value as a dict (None when suppressed)."""
        return self.record.model_dump(mode="json") if self.record is not None else None


def process(signal: Signal, source: dict[str, Any], store: MutableMapping[str, Any],
            resolver: Resolver) -> Outcome:
    """Deduplicate ``signal`` (read from inbound record ``source``), resolve its subjects, and
    build the resolved record. A replay gives the same record again."""
    source_id = f"{source['topic']}/{source['partition']}/{source['offset']}"
    dedup = deduplicate(store, signal, source_id)
    if dedup.suppressed:
        return Outcome(dedup, None, ())
    resolutions = [resolver.resolve(f"{dedup.signal_id}/{dedup.revision}/{s.ref}", s)
                   for s in signal.subjects]
    merges = tuple(m for r in resolutions for m in r.merges)
    for merge in merges:
        _absorb(store, merge)
    if merges:  # kept so that a replay emits them again: the first output may have been lost
        store[MERGES + source_id] = [m.to_json() for m in merges]
    elif dedup.replayed:
        merges = tuple(Merge(**m) for m in store.get(MERGES + source_id) or ())
    entity_of = {s.ref: resolver.current(r.entity_id) for s, r in zip(signal.subjects,
                                                                     resolutions, strict=True)}
    corroborated_by, risk = _observe(store, signal, dedup.signal_id, entity_of.values())
    resolved = ResolvedRecord(
        signal_id=dedup.signal_id,
        revision=dedup.revision,
        verdict=dedup.verdict.value,
        fingerprint=dedup.fingerprint,
        partner=signal.partner,
        source=RecordSource.model_validate(source),
        signal=signal.model_dump(mode="json"),
        entities=[_entity(s.ref, s.type, s.role, entity_of[s.ref], r)
                  for s, r in zip(signal.subjects, resolutions, strict=True)],
        links=[ResolvedLink(source=entity_of[rel.source], type=rel.type,
                            target=entity_of[rel.target], source_ref=rel.source,
                            target_ref=rel.target) for rel in signal.relations],
        review=[ReviewProposal(ref=s.ref, entity_id=c.entity_id, candidate=c.candidate,
                               score=c.score)
                for s, r in zip(signal.subjects, resolutions, strict=True) for c in r.review],
        merges=[MergeEvent(**m.to_json()) for m in merges],
        corroborated_by=corroborated_by,
        risk=risk,
    )
    return Outcome(dedup, resolved, merges)


def apply_judgement(doc: Any, store: MutableMapping[str, Any], resolver: Resolver
                    ) -> tuple[Merge, ...]:
    """An analyst's decision ``{"a", "b", "verdict": "confirm"|"reject", "analyst"}``; the
    merges it causes. Raises ``ValueError`` naming what is wrong with the document."""
    if not isinstance(doc, dict):
        raise ValueError("a judgement is a JSON object")
    missing = [k for k in ("a", "b", "verdict", "analyst") if not isinstance(doc.get(k), str)]
    if missing:
        raise ValueError(f"judgement field(s) missing or not text: {', '.join(missing)}")
    verdict: Literal["confirm", "reject"]
    if doc["verdict"] == "confirm":
        verdict = "confirm"
    elif doc["verdict"] == "reject":
        verdict = "reject"
    else:
        raise ValueError(f"judgement verdict must be 'confirm' or 'reject', not {doc['verdict']!r}")
    merges = resolver.judge(doc["a"], doc["b"], verdict, doc["analyst"])
    for merge in merges:
        _absorb(store, merge)
    return merges


def _entity(ref: str, kind: str, role: str, entity_id: str, r: Resolution) -> ResolvedEntity:
    return ResolvedEntity(ref=ref, type=kind, role=role, entity_id=entity_id, method=r.method,
                          matched_on=r.matched_on, score=r.score)


def _entity_facts(store: MutableMapping[str, Any], entity_id: str) -> dict[str, Any]:
    return store.get(FACTS + entity_id) or {"partners": [], "evidence": []}


def _absorb(store: MutableMapping[str, Any], merge: Merge) -> None:
    """The survivor of a merge inherits the partners and the evidence of the merged entity."""
    merged = store.get(FACTS + merge.merged)
    if merged:
        into = _entity_facts(store, merge.into)
        by_signal = {e[0]: e for e in [*merged["evidence"], *into["evidence"]]}
        store[FACTS + merge.into] = {"partners": sorted({*into["partners"], *merged["partners"]}),
                                     "evidence": _newest(by_signal.values())}


def _observe(store: MutableMapping[str, Any], signal: Signal, signal_id: str,
             entities: Iterable[str]) -> tuple[list[str], dict[str, EntityRisk]]:
    """For the entities ``signal`` mentions: the other partners that mentioned any of them
    before (corroboration), and the risk score of each as of this signal's report time. Records
    the partner and adds the signal to each entity's evidence (a revision replaces its earlier
    one): one store write per entity."""
    item = Evidence(signal_id, signal.partner, signal.observed_at, signal.severity.value,
                    tuple(s.value for s in signal.barrier_stages), signal.indicators).to_row()
    others: set[str] = set()
    risk = {}
    for entity_id in dict.fromkeys(entities):
        facts = _entity_facts(store, entity_id)
        others.update(p for p in facts["partners"] if p != signal.partner)
        evidence = _newest([*(e for e in facts["evidence"] if e[0] != signal_id), item])
        store[FACTS + entity_id] = {"partners": sorted({*facts["partners"], signal.partner}),
                                    "evidence": evidence}
        total, parts = part_points((Evidence.from_row(e) for e in evidence), signal.reported_at)
        risk[entity_id] = EntityRisk(score=total, parts=parts)
    return sorted(others), risk


def _newest(evidence: Iterable[list[Any]]) -> list[list[Any]]:
    """The ``MAX_EVIDENCE`` newest evidence rows (``Evidence.to_row``), oldest first."""
    return sorted(evidence, key=lambda e: (e[2], e[0]))[-MAX_EVIDENCE:]
