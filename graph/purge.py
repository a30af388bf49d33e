"""``ketenlink retention purge``: delete what the retention policy says has expired.

The graph is the only place that knows whether a signal is evidence of an alert: the alert
engine writes ``(:Alert)-[:EVIDENCE]->(:Signal)`` for every signal any version of an alert
counted, so the purge reads that edge (no need to read the alerts topics). Per run:

1. Signals are read in pages of ``batch_size`` in ``signal_id`` order, only those whose clock
   (``reported_at`` or ``observed_at``) lies at least the policy's shortest retention before
   ``now``; ``policy.retention.is_expired`` decides each (pure, unit-tested).
2. Each page's expired signals are deleted in one transaction, together with what only they
   held up: their id leaves the provenance of every relation edge between entities they
   mentioned (an edge left without supporting signals goes, the others get partners and
   first/last seen recomputed, as a revision's retraction does); review candidates lose them
   from ``signal_ids`` (a candidate left with none goes); then the entities they mentioned
   that no signal mentions any more go, each as a merge cluster (the survivor and every node
   redirected into it) and only when no node of the cluster is mentioned or has an alert
   ``ABOUT`` it. Signal, provenance and entities in one transaction: a crash never leaves an
   orphan that a later run would not find. The deletion re-checks each signal's revision and
   that it is still no alert's evidence.
3. Before each page's transaction commits, a suppression ``signal:<id>`` per deleted signal
   goes to the compacted ``suppressions`` topic (``policy.suppression``; acknowledged, or the
   transaction fails): ``signals.resolved`` keeps the signal forever, and the graph sink, the
   router and the alert engine drop a suppressed signal on every replay. Suppression first: a
   crash before the commit leaves a suppressed signal in the graph until the next run deletes
   it, never a deleted signal a replay brings back. A dry run writes none.
4. One audit entry per run (actor ``retention-purge``, action ``retention.purge``): the policy
   version, ``now``, the counts; outcome ``ok``, ``dry-run`` or ``failed``.

``dry_run`` does all of it in one transaction and rolls it back: exact counts, nothing changed.
A second run at the same ``now`` finds nothing (idempotent). Municipalities and partners are
reference data and stay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

import structlog
from neo4j import Driver, ManagedTransaction, Record, Transaction

from graph.cypher_parts import MERGE_CLUSTERS_OF_IDS, RECOMPUTE_PROVENANCE
from policy.retention import RetentionPolicy, SignalFacts, is_expired
from policy.suppression import Suppression, Suppressor
from schemas.graph_model import ENTITY_LABEL

log = structlog.get_logger(__name__)

PURGE_ACTOR = "retention-purge"
PURGE_ACTION = "retention.purge"
SYSTEM_PARTNER = "-"
"""The ``partner`` of audit entries the platform writes on nobody's behalf."""


class Auditor(Protocol):
    """What the purge and the erasure need of ``core.audit.AuditLog``."""

    def record(self, actor: str, partner: str, action: str, params: Mapping[str, Any],
               result_count: int, outcome: str = "ok") -> object: ...


Tx = ManagedTransaction | Transaction

CANDIDATES = """
MATCH (s:Signal)
WHERE s.signal_id > $after AND s[$clock] <= datetime($horizon)
WITH s ORDER BY s.signal_id LIMIT $limit
RETURN s.signal_id AS signal_id, s.revision AS revision, s.partner_id AS partner,
       s.purpose AS purpose, s.observed_at AS observed_at, s.reported_at AS reported_at,
       EXISTS { (:Alert)-[:EVIDENCE]->(s) } AS linked
"""
"""One page of signals old enough to be expired under some rule (``$horizon`` = now minus the
shortest retention), with what ``is_expired`` needs."""

DELETABLE = """
UNWIND $rows AS row
MATCH (s:Signal {signal_id: row.signal_id})
WHERE s.revision = row.revision AND NOT EXISTS { (:Alert)-[:EVIDENCE]->(s) }
RETURN collect(s.signal_id) AS ids
"""
"""The signals of a page that may still go (unchanged revision, still no alert's evidence)."""

RETRACT_PROVENANCE = f"""
UNWIND $ids AS id
MATCH (s:Signal {{signal_id: id}})-[:MENTIONS]->(:{ENTITY_LABEL})-[r]->(:{ENTITY_LABEL})
      <-[:MENTIONS]-(s)
WHERE r.signal_ids IS NOT NULL AND s.signal_id IN r.signal_ids
WITH DISTINCT r
SET r.signal_ids = [x IN r.signal_ids WHERE NOT x IN $ids]
WITH r
{RECOMPUTE_PROVENANCE}
WITH r, size(r.signal_ids) = 0 AS empty
CALL (r, empty) {{
  WITH r WHERE empty
  DELETE r
}}
RETURN count(CASE WHEN empty THEN 1 END) AS deleted, count(*) AS touched
"""
"""The signals leave the provenance of the relation edges they supported (all ids of the batch
at once, so the recomputed partners and times never count a signal of the batch)."""

RETRACT_REVIEWS = """
MATCH (rc:ReviewCandidate)
WHERE any(x IN rc.signal_ids WHERE x IN $ids)
SET rc.signal_ids = [x IN rc.signal_ids WHERE NOT x IN $ids]
WITH rc, size(rc.signal_ids) = 0 AS empty
CALL (rc, empty) {
  WITH rc WHERE empty
  DELETE rc
}
RETURN count(CASE WHEN empty THEN 1 END) AS deleted
"""
"""Review candidates lose the deleted signals; one proposed only by them goes."""

DELETE_SIGNALS = f"""
UNWIND $ids AS id
MATCH (s:Signal {{signal_id: id}})
OPTIONAL MATCH (s)-[m:MENTIONS]->(e:{ENTITY_LABEL})
WITH s, collect(DISTINCT e.entity_id) AS mentioned, count(m) AS mentions
DETACH DELETE s
RETURN count(s) AS signals, sum(mentions) AS mentions, collect(mentioned) AS mentioned
"""
"""Delete the signals with their edges; the entities they mentioned, to sweep."""

SWEEP_ENTITIES = MERGE_CLUSTERS_OF_IDS + """WITH root, collect(DISTINCT x) AS cluster
WHERE none(x IN cluster WHERE EXISTS { (x)<-[:MENTIONS]-(:Signal) }
                           OR EXISTS { (x)<-[:ABOUT]-(:Alert) })
UNWIND cluster AS x
WITH DISTINCT x
DETACH DELETE x
RETURN count(x) AS deleted
"""
"""Entities left without any mention: the whole merge cluster of each (its survivor and every
node redirected into it), unless a node of it is mentioned or an alert is about it."""


@dataclass
class PurgeReport:
    """What a purge run did (or, dry, would do)."""

    policy_version: str
    now: str
    dry_run: bool
    examined: int = 0
    """Signals old enough to be expired under some rule."""
    kept_for_alerts: int = 0
    """Of those, expired by time but evidence of an alert."""
    signals: int = 0
    mentions: int = 0
    relations: int = 0
    """Relation edges deleted (no supporting signal left)."""
    relations_updated: int = 0
    """Relation edges that lost a supporting signal but keep others."""
    review_candidates: int = 0
    entities: int = 0
    batches: int = 0
    suppressions: int = 0
    """``signal:<id>`` suppressions written (0 in a dry run)."""

    def counts(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SweepCounts:
    """What one deletion of signals removed."""

    signals: int = 0
    mentions: int = 0
    relations: int = 0
    relations_updated: int = 0
    review_candidates: int = 0
    entities: int = 0


def delete_signals(tx: Tx, ids: Sequence[str], also_sweep: Sequence[str] = ()) -> SweepCounts:
    """Delete the signals ``ids`` with what only they held up (see the module docstring), then
    sweep the entities they mentioned plus ``also_sweep``. Shared with the erasure."""
    if not ids and not also_sweep:
        return SweepCounts()
    relations = tx.run(RETRACT_PROVENANCE, ids=list(ids)).single(strict=True)
    reviews = tx.run(RETRACT_REVIEWS, ids=list(ids)).single(strict=True)
    deleted = tx.run(DELETE_SIGNALS, ids=list(ids)).single(strict=True)
    mentioned = {e for group in deleted["mentioned"] for e in group} | set(also_sweep)
    entities = tx.run(SWEEP_ENTITIES, ids=sorted(mentioned)).single(strict=True)["deleted"]
    return SweepCounts(signals=deleted["signals"], mentions=deleted["mentions"] or 0,
                       relations=relations["deleted"],
                       relations_updated=relations["touched"] - relations["deleted"],
                       review_candidates=reviews["deleted"], entities=entities)


class RetentionPurge:
    """Applies a retention policy to the graph."""

    def __init__(self, driver: Driver, database: str, policy: RetentionPolicy, audit: Auditor,
                 suppressor: Suppressor, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._driver, self._database, self._policy = driver, database, policy
        self._audit, self._batch, self._suppressor = audit, batch_size, suppressor

    def run(self, now: datetime, dry_run: bool = False) -> PurgeReport:
        """Delete every expired signal and the entities left without one; audited."""
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        report = PurgeReport(self._policy.version, now.isoformat(), dry_run)
        try:
            with self._driver.session(database=self._database) as session:
                if dry_run:  # one transaction for all pages, rolled back: exact counts
                    with session.begin_transaction() as tx:
                        self._pages(lambda work: work(tx), now, report, suppressor=None)
                        tx.rollback()
                else:
                    self._pages(session.execute_write, now, report, self._suppressor)
        except Exception:
            self._record(report, "failed")
            raise
        self._record(report, "dry-run" if dry_run else "ok")
        log.info("retention.purged", **report.counts())
        return report

    def _pages(self, run: Callable[[Callable[[Tx], Any]], Any], now: datetime,
               report: PurgeReport, suppressor: Suppressor | None) -> None:
        horizon = now - timedelta(days=self._policy.shortest_days())
        after = ""
        while True:
            page: list[Record] = run(partial(
                _page, after=after, clock=self._policy.counted_from,
                horizon=horizon.isoformat(), limit=self._batch))
            if not page:
                return
            after = page[-1]["signal_id"]
            report.examined += len(page)
            expired = []
            for row in page:
                facts = SignalFacts(row["partner"], row["purpose"],
                                    row["observed_at"].to_native(),
                                    row["reported_at"].to_native(), row["linked"])
                if is_expired(self._policy, facts, now):
                    expired.append({"signal_id": row["signal_id"], "revision": row["revision"]})
                elif is_expired(self._policy, replace(facts, linked_to_alert=False), now):
                    report.kept_for_alerts += 1
            if expired:
                counts: SweepCounts = run(partial(_delete_expired, rows=expired,
                                                  suppressor=suppressor))
                report.batches += 1
                report.suppressions += counts.signals if suppressor is not None else 0
                for name, value in asdict(counts).items():
                    setattr(report, name, getattr(report, name) + value)
                log.info("retention.batch", batch=report.batches, **asdict(counts))

    def _record(self, report: PurgeReport, outcome: str) -> None:
        self._audit.record(PURGE_ACTOR, SYSTEM_PARTNER, PURGE_ACTION, report.counts(),
                           report.signals, outcome)


def _page(tx: Tx, after: str, clock: str, horizon: str, limit: int) -> list[Record]:
    return list(tx.run(CANDIDATES, after=after, clock=clock, horizon=horizon, limit=limit))


def _delete_expired(tx: Tx, rows: list[dict[str, Any]], suppressor: Suppressor | None
                    ) -> SweepCounts:
    """Delete the page's signals that may still go; suppress them first (inside the
    transaction, so before it commits; a retried transaction writes the same keys again)."""
    ids = tx.run(DELETABLE, rows=rows).single(strict=True)["ids"]
    if suppressor is not None:
        suppressor.suppress(Suppression("signal", i, "retention") for i in ids)
    return delete_signals(tx, ids)
