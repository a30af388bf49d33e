"""``ketenlink alerts run``: evaluate the OM alert rules as resolved signals reach the graph.

A consumer group on ``signals.resolved`` and ``entities.merges``. Per poll batch:

1. collect what the batch touched: the entity ids of its resolved records (and the signal id
   and revision of each: ``schemas.resolved.ResolvedIds``, parsed once per record), the ids
   of its merges (``touched_by``) — read through the suppressions (``policy.suppression``): a
   purged or erased signal, an erased person and a merge touching them are neither waited for
   (the sink never writes them) nor evaluated, so a replay counts none of them; what the graph
   no longer holds is no evidence anyway;
2. wait until the graph sink has written them: every signal at (at least) that revision, every
   merge redirect. Each check polls for ``engine.wait_s``; while something is missing the
   consumer is paused (it keeps polling, so it stays in its group), nothing is committed, and
   the check is repeated with backoff up to ``engine.max_backoff_s``. After
   ``engine.give_up_after_s`` the engine logs what never arrived (a record the sink parked on
   ``signals.rejected``) and evaluates what the graph holds, so one refused record cannot stop
   alerting;
3. evaluate (``AlertEngine.evaluate``): follow ``MERGED_INTO`` to the live entities, read their
   visible signals, find the rings that contain them (``AnalystQueries.rings`` — the analysts'
   ring search, run as the system actor ``alerts-engine`` of the reviewing partner, so its
   visibility and its audit entry are those of every analyst query), apply the rules
   (``alerts.rules``) and the lifecycle (``alerts.lifecycle``), write the changed alerts in
   one transaction, publish their dossiers to ``alerts.om.proposed`` (key: alert id; acks=all)
   and mark them sent;
4. commit the offsets.

Neo4j away, Kafka refusing a proposal, the audit log failing, or an alert changed by a release
between read and write: the batch is retried the same way (paused, backoff, uncommitted). A
crash between writing an alert and sending its proposal is repaired on replay: the alert's
``sent_version`` lags its ``version``, and the stored dossier is sent then. Delivery to
``alerts.om.proposed`` is at least once; a consumer keys on (alert id, version).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from neo4j.exceptions import DriverError, Neo4jError

from alerts.config import INDEPENDENT_PARTNERS, AlertRules
from alerts.dossier import build_dossier, risk_of
from alerts.exceptions import AlertConflictError, GraphBehindError
from alerts.lifecycle import Change, decide, needs_sending
from alerts.rules import (
    AlertState,
    EntityFacts,
    Finding,
    Plan,
    independent_partners,
    plans,
    ring_anchor,
    ring_eligible,
    ring_regions,
)
from alerts.store import AlertRow, AlertStore
from consumers.paused_retry import retry_paused
from core.audit import AuditError
from core.exceptions import PublishError
from graph.analyst.model import EntitySummary, Link, Neighbourhood, Ring
from graph.analyst.params import MAX_LIMIT, Filters
from graph.exceptions import UnknownEntityError
from graph.queries import AnalystQueries
from policy.clearance import Caller, Clearance
from policy.resolved_view import read_resolved
from policy.suppression import EMPTY, SuppressionSet, SuppressionView
from schemas.alert_proposal import AlertProposal
from schemas.contract import InvalidRecord, validate
from schemas.municipalities import address_municipality
from schemas.resolved import ResolvedIds

log = structlog.get_logger(__name__)

ENGINE_ACTOR = "alerts-engine"
"""The audit log's actor for the engine's graph reads (it reads as the reviewing partner)."""
BACKOFF_START_S = 0.5
NEIGHBOURHOOD_LIMIT = 500
"""Entities read around an entity alert's anchor to explain its links."""


@dataclass(frozen=True)
class AlertTopics:
    """What the engine reads and where it proposes."""

    resolved: str
    merges: str
    proposed: str


@dataclass
class Touched:
    """What one batch carries: signals (id → newest revision), merged ids, entity ids."""

    signals: dict[str, int] = field(default_factory=dict)
    merged: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    skipped: int = 0


def touched_by(records: Iterable[ConsumerRecord], topics: AlertTopics,
               suppressed: SuppressionSet = EMPTY) -> Touched:
    """The ids a batch of records touches; records that are not resolved records or merges
    are counted in ``skipped`` (the sink parks them on ``signals.rejected``); suppressed
    signals, persons and merges are left out."""
    out = Touched()
    for record in records:
        try:
            if record.topic == topics.merges:
                doc = json.loads(record.value)
                if not suppressed.keeps_merge(doc):
                    continue
                merged, into = str(doc["merged"]), str(doc["into"])
                if merged != into:
                    out.merged.add(merged)
                out.entities.update((merged, into))
            else:
                ids = read_resolved(ResolvedIds, record.value, suppressed)
                if ids is None:
                    continue
                signal_id, revision = ids.signal_id, ids.revision
                out.signals[signal_id] = max(revision, out.signals.get(signal_id, revision))
                out.entities.update(e.entity_id for e in ids.entities)
        except (ValueError, KeyError, TypeError) as exc:
            out.skipped += 1
            log.warning("alerts.record_skipped", topic=record.topic, partition=record.partition,
                        offset=record.offset, error=repr(exc))
    return out


class ProposalPublisher(Protocol):
    """What the engine needs from a producer (``core.publisher.Publisher`` fits)."""

    def publish_many(self, topic: str, records: Iterable[tuple[bytes | None, bytes]]
                     ) -> object: ...


@dataclass
class Evaluation:
    """What one evaluation did."""

    anchors: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sent: int = 0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertEngine:
    """Evaluates the rules for the entities a batch touched and proposes changed alerts."""

    def __init__(self, store: AlertStore, queries: AnalystQueries, rules: AlertRules,
                 clearance: Clearance, publisher: ProposalPublisher, proposed_topic: str,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._store, self._queries, self._rules = store, queries, rules
        self._clearance = clearance
        self._caller = Caller(ENGINE_ACTOR, rules.reviewer, clearance)
        self._publisher, self._topic, self._clock = publisher, proposed_topic, clock

    def evaluate(self, entity_ids: Iterable[str]) -> Evaluation:
        """Evaluate every rule for the live entities behind ``entity_ids`` (and the rings that
        contain them); write, propose and mark sent what changed."""
        report = Evaluation()
        targets = sorted(set(self._store.canonical(entity_ids).values()))
        max_evidence = self._rules.engine.max_evidence
        facts = self._store.facts(targets, self._clearance, max_evidence)
        rings = self._rings(targets, facts)
        members = {m.entity_id for ring in rings for m in ring.members}
        facts.update(self._store.facts(members - facts.keys(), self._clearance, max_evidence))
        ring_findings = self._ring_findings(rings, facts)
        existing = self._store.alerts_about(
            set(targets) | {m for f, _ in ring_findings for m in f.members})

        pairs: list[tuple[str, Finding]] = []
        reasons: dict[str, str] = {}
        ring_of: dict[str, list[Ring]] = {}
        for finding, ring in ring_findings:
            known = [s for m in finding.members for s in existing.get(m, ())]
            anchor, reason = ring_anchor(finding.members, facts, self._clearance, known)
            pairs.append((anchor, finding))
            reasons[anchor] = reason
            ring_of.setdefault(anchor, []).append(ring)
        for entity_id in sorted(set(targets) | set(reasons)):
            if entity_id in facts:
                found = independent_partners(facts[entity_id], self._rules.independent_partners,
                                             self._clearance)
                if found is not None:
                    pairs.append((entity_id, found))

        now = self._clock()
        rows: list[AlertRow] = []
        resend: list[AlertState] = []
        for anchor, plan in plans(pairs, reasons).items():
            report.anchors += 1
            states = existing.get(anchor, [])
            if len(states) > 1:
                log.warning("alerts.several_alerts_for_anchor", anchor=anchor,
                            alerts=[s.alert_id for s in states], kept=states[0].alert_id)
            state = states[0] if states else None
            change = decide(state, plan)
            if change is None:
                report.unchanged += 1
                if state is not None and needs_sending(state):
                    resend.append(state)
                continue
            rows.append(self._row(change, plan, state, ring_of.get(anchor, []), now))
            report.created += change.expected_version == 0
            report.updated += change.expected_version > 0
        self._store.write(rows, now)
        report.sent = self._send(rows, resend, now)
        if rows or resend:
            log.info("alerts.evaluated", anchors=report.anchors, created=report.created,
                     updated=report.updated, sent=report.sent, targets=len(targets))
        return report

    # -- steps ------------------------------------------------------------------------------
    def _rings(self, targets: Sequence[str], facts: Mapping[str, EntityFacts]) -> list[Ring]:
        """The rings containing the targets that can start one, searched a bounded number of
        starts at a time (a start inside a ring already found is not searched again)."""
        rule, per_search = self._rules.ring_regions, self._rules.engine.ring_starts_per_search
        if not rule.enabled:
            return []
        starts = [t for t in targets if t in facts and ring_eligible(facts[t], self._clearance)]
        found: dict[tuple[str, ...], Ring] = {}
        covered: set[str] = set()
        for first in range(0, len(starts), per_search):
            chunk = [s for s in starts[first:first + per_search] if s not in covered]
            if not chunk:
                continue
            result = self._queries.rings(self._caller, min_size=rule.min_members,
                                         limit=MAX_LIMIT, max_nodes=rule.max_nodes, around=chunk)
            if result.truncated:
                log.warning("alerts.ring_search_truncated", starts=len(chunk),
                            max_nodes=rule.max_nodes)
            for ring in result.rings:
                key = tuple(m.entity_id for m in ring.members)
                found.setdefault(key, ring)
                covered.update(key)
        return [found[k] for k in sorted(found)]

    def _ring_findings(self, rings: Sequence[Ring], facts: Mapping[str, EntityFacts]
                       ) -> list[tuple[Finding, Ring]]:
        out = []
        for ring in rings:
            municipalities = {m.entity_id: address_municipality(m.properties)
                              for m in ring.members if m.label == "Location"}
            finding = ring_regions([m.entity_id for m in ring.members], municipalities, facts,
                                   self._rules.ring_regions, self._clearance)
            if finding is not None:
                out.append((finding, ring))
        return out

    def _row(self, change: Change, plan: Plan, state: AlertState | None, rings: Sequence[Ring],
             now: datetime) -> AlertRow:
        """The new version of an alert, with its dossier."""
        entities: dict[str, EntitySummary] = {}
        links: list[Link] = []
        for ring in rings:
            entities.update((m.entity_id, m) for m in ring.members)
            links.extend(ring.links)
        if INDEPENDENT_PARTNERS in plan.rules or plan.anchor not in entities:
            explained = self._around(plan)
            entities.update((n.entity_id, n) for n in explained.nodes)
            links.extend(explained.links)
        created = state.created_at if state is not None and state.created_at else now
        proposal = build_dossier(alert_id=change.alert_id, version=change.version, plan=plan,
                                reviewer=self._rules.reviewer, entities=entities, links=links,
                                created_at=created, updated_at=now,
                                follow_up_of=change.follow_up_of,
                                decisions=state.decisions if state is not None else ())
        return AlertRow(alert_id=change.alert_id, version=change.version,
                        expected_version=change.expected_version,
                        expected_status=change.expected_status, anchor=plan.anchor,
                        members=tuple(m.entity_id for m in proposal.entities),
                        rules=plan.rules, evidence=plan.evidence, fingerprint=plan.fingerprint,
                        score=risk_of(plan.evidence).score, reviewer=self._rules.reviewer,
                        dossier=proposal.model_dump(mode="json"),
                        follow_up_of=change.follow_up_of)

    def _around(self, plan: Plan) -> Neighbourhood:
        """The anchor's direct connections through signals observed in the evidence's span
        (the dossier keeps those backed by evidence)."""
        times = [s.observed_at for s in plan.evidence]
        filters = Filters(since=min(times), until=max(times) + timedelta(seconds=1))
        return self._queries.neighbourhood(self._caller, plan.anchor, depth=1, filters=filters,
                                           limit=NEIGHBOURHOOD_LIMIT)

    def _send(self, rows: Sequence[AlertRow], resend: Sequence[AlertState], now: datetime
              ) -> int:
        """Publish the new versions' dossiers (and any written but unsent) as ``AlertProposal``
        records, then mark them."""
        dossiers = [(row.alert_id, row.version, row.dossier) for row in rows]
        for state in resend:
            stored = self._store.get(state.alert_id)
            if stored is not None and stored.version == state.version and stored.dossier:
                dossiers.append((state.alert_id, state.version, stored.dossier))
        if not dossiers:
            return 0
        records = []
        for alert_id, version, dossier in dossiers:
            try:
                records.append((alert_id, version, validate(AlertProposal, dossier)))
            except InvalidRecord as exc:  # stored by another writer: not proposed, not sent
                log.error("alerts.dossier_invalid", alert_id=alert_id, version=version,
                          error=str(exc))
        if not records:
            return 0
        self._publisher.publish_many(self._topic, [
            (alert_id.encode(), proposal.to_json()) for alert_id, _, proposal in records])
        self._store.mark_sent([(alert_id, version) for alert_id, version, _ in records])
        for alert_id, version, proposal in records:
            log.info("alerts.proposed", alert_id=alert_id, version=version,
                     rules=proposal.rules, topic=self._topic, at=now.isoformat())
        return len(records)



@dataclass
class EngineStats:
    """What an engine run did."""

    batches: int = 0
    records: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    sent: int = 0
    retries: int = 0
    gave_up: int = 0


RETRYABLE: tuple[type[Exception], ...] = (
    GraphBehindError, AlertConflictError, AuditError, PublishError, UnknownEntityError,
    KafkaError)
"""Errors after which the batch is evaluated again later (besides retryable Neo4j errors)."""


def run_engine(consumer: KafkaConsumer, store: AlertStore, engine: AlertEngine,
               topics: AlertTopics, rules: AlertRules, stop: threading.Event,
               max_records: int = 2000, on_batch: Callable[[int], None] | None = None,
               suppressions: SuppressionView = EMPTY) -> EngineStats:
    """Evaluate batches from ``consumer`` (subscribed to ``topics.resolved`` and
    ``topics.merges``) until ``stop`` is set; offsets are committed after each evaluation."""
    stats = EngineStats()
    while not stop.is_set():
        polled = consumer.poll(timeout_ms=500, max_records=max_records)
        records: Sequence[ConsumerRecord] = [r for batch in polled.values() for r in batch]
        if not records:
            continue
        batch = touched_by(records, topics, suppressions.current())
        if not _evaluate_with_retry(consumer, store, engine, rules, batch, stop, stats):
            break  # stopped while waiting: nothing committed, the batch is read again
        try:
            consumer.commit()
        except CommitFailedError as exc:  # rebalanced meanwhile: the records come again
            log.warning("alerts.commit_failed", error=str(exc))
        stats.batches += 1
        stats.records += len(records)
        stats.skipped += batch.skipped
        if on_batch is not None:
            on_batch(len(records))
    return stats


def _evaluate_with_retry(consumer: KafkaConsumer, store: AlertStore, engine: AlertEngine,
                         rules: AlertRules, batch: Touched, stop: threading.Event,
                         stats: EngineStats) -> bool:
    """Wait for the sink, evaluate; retry with backoff (consumer paused). False if stopped."""
    started = time.monotonic()

    def attempt() -> bool:
        missing = store.wait_until_written(batch.signals, batch.merged, rules.engine.wait_s)
        if missing:
            if time.monotonic() - started < rules.engine.give_up_after_s:
                raise GraphBehindError(tuple(missing))
            stats.gave_up += 1
            log.error("alerts.never_written", missing=missing[:50], count=len(missing),
                      waited_s=round(time.monotonic() - started, 1))
        done = engine.evaluate(batch.entities)
        stats.created += done.created
        stats.updated += done.updated
        stats.sent += done.sent
        return True

    def waiting(error: Exception, delay: float) -> None:
        stats.retries += 1
        log.warning("alerts.retry", error=str(error) or type(error).__name__,
                    kind=type(error).__name__, retry_in_s=delay,
                    signals=len(batch.signals), entities=len(batch.entities))

    return retry_paused(consumer, attempt, _retryable, stop, first_delay_s=BACKOFF_START_S,
                        max_delay_s=rules.engine.max_backoff_s, on_retry=waiting) is not None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, Neo4jError | DriverError):
        return exc.is_retryable()
    return isinstance(exc, RETRYABLE)
