"""``ketenlink erase``: remove a pseudonymised person from the graph on request, audited.

The graph holds no pseudonyms (``schemas.graph_model.entity_properties`` leaves identifiers
out), so the person's entity ids are found where the pseudonym is: the records of
``signals.resolved`` whose subjects carry it (``entities_with_identifier``: a scan of the topic,
the raw bytes searched before any JSON is parsed). A BSN is turned into its keyed pseudonym by
the caller (``producers.pseudonym``) and never passed here. Then, in one transaction:

- the person is every node of the merge cluster of each id found (the survivor at the end of
  ``MERGED_INTO`` and every node redirected into it): all of them go with their edges — their
  mentions (which carry what each signal said about them), relation edges, redirects;
- a signal that mentioned nobody else goes too (with ``graph.purge.delete_signals``: its
  provenance, review candidates); one that mentioned others stays without the person's mention
  (its other subjects are not the person's data); a signal that is an alert's evidence stays;
- review candidates about the person go; entities only the deleted signals mentioned go;
- the audit entry (actor, reason, the pseudonym — never a BSN —, the entity ids, the counts)
  is written before the transaction commits: no erasure without its entry.

Refused (``ErasureRefusedError``, audited ``refused``) when an alert is about the person: the
dossier reviewed or released to the OM names them, and deciding about it is the reviewer's.
``dry_run`` does all of it and rolls back (audited ``dry-run``).

Kafka keeps its records, so before the transaction commits the erasure writes suppressions
(``policy.suppression``): ``entity:<id>`` for every node of the person, ``pseudonym:<ps>``,
``signal:<id>`` for every signal deleted — acknowledged, or the erasure fails and the graph is
unchanged. Suppression first: a crash after it and before the commit leaves a suppressed person
still in the graph (run the erasure again), never an erased person a replay brings back. A
person found on ``signals.resolved`` but no longer (or never) in the graph is suppressed all
the same. The graph sink, the router and the alert engine honour the suppressions on every read
and replay; the resolve stage forgets the person's profile and strong keys
(``streams.forget``).

Still not reached: the raw records on the inbound topic and ``signals.normalised`` until their
retention (days), the delivery topics partners read (30 days) and ``alerts.om*`` — and the
copies partners already received.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from neo4j import Driver

from core.exceptions import TopicMissingError
from core.settings import KafkaSettings
from core.topic_reader import read_to_end
from graph.cypher_parts import MERGE_CLUSTERS_OF_IDS
from graph.exceptions import ErasureInputError, ErasureRefusedError
from graph.purge import SYSTEM_PARTNER, Auditor, Tx, delete_signals
from policy.suppression import Suppression, Suppressor
from schemas.contract import InvalidRecord, parse
from schemas.graph_model import ENTITY_LABEL
from schemas.resolved import ResolvedRecord

log = structlog.get_logger(__name__)

ERASE_ACTION = "erasure.person"
PSEUDONYM = re.compile(r"ps1:[0-9a-f]{64}")

CLUSTER = MERGE_CLUSTERS_OF_IDS + """WITH DISTINCT x
RETURN x.entity_id AS entity_id, x:Person AS person,
       [(a:Alert)-[:ABOUT]->(x) | a.alert_id] AS alerts
"""
"""Every node of the merge clusters of the given ids, whether it is a person, the alerts about it."""

SIGNALS_OF = f"""
UNWIND $ids AS id
MATCH (x:{ENTITY_LABEL} {{entity_id: id}})<-[:MENTIONS]-(s:Signal)
WITH DISTINCT s
RETURN s.signal_id AS signal_id,
       EXISTS {{ (s)-[:MENTIONS]->(o:{ENTITY_LABEL}) WHERE NOT o.entity_id IN $ids }} AS others,
       EXISTS {{ (:Alert)-[:EVIDENCE]->(s) }} AS evidence
"""
"""The signals mentioning the person: whether they mention anyone else, whether evidence."""

REMOVE_PERSON = f"""
UNWIND $ids AS id
MATCH (x:{ENTITY_LABEL} {{entity_id: id}})
WITH x, COUNT {{ (x)<-[:MENTIONS]-() }} AS mentions,
     COUNT {{ (x)-[r]-() WHERE r.signal_ids IS NOT NULL }} AS relations,
     [(x)-[r]-(o:{ENTITY_LABEL}) WHERE r.signal_ids IS NOT NULL | o.entity_id] AS neighbours
DETACH DELETE x
RETURN count(x) AS nodes, sum(mentions) AS mentions, sum(relations) AS relations,
       collect(neighbours) AS neighbours
"""

REMOVE_REVIEWS = """
MATCH (rc:ReviewCandidate) WHERE rc.a IN $ids OR rc.b IN $ids
DELETE rc
RETURN count(rc) AS deleted
"""


@dataclass
class ErasureReport:
    """What an erasure removed (or, dry, would remove)."""

    subject: str
    """The pseudonym, or ``entity:<ids>`` when erased by entity id."""
    entity_ids: list[str] = field(default_factory=list)
    """Every node of the person removed (merge clusters followed)."""
    resolved_records: int = 0
    """Records on ``signals.resolved`` carrying the pseudonym (they stay there)."""
    mentions: int = 0
    relations: int = 0
    signals_deleted: int = 0
    signals_kept: int = 0
    """Signals that mention others too (or are evidence): kept without the person."""
    entities: int = 0
    """Other entities left without any mention, removed."""
    review_candidates: int = 0
    suppressions: int = 0
    """Suppressions written to Kafka (entities, pseudonym, deleted signals)."""
    dry_run: bool = False

    def counts(self) -> dict[str, Any]:
        return asdict(self)


def entities_with_identifier(kafka: KafkaSettings | str, topic: str, value: str
                             ) -> tuple[set[str], int]:
    """The entity ids of every subject on ``topic`` (``signals.resolved``) that carries the
    identifier ``value``, and how many records carry it. Reads the topic from its start to its
    end at call time."""
    needle = value.encode()
    found: set[str] = set()
    records = 0
    try:
        for record in read_to_end(kafka, topic):
            if needle not in (record.value or b""):
                continue
            ids = _carrying(record.value, value)
            records += bool(ids)
            found.update(ids)
    except TopicMissingError:
        raise ErasureInputError("topic", topic, "does not exist") from None
    return found, records


def _carrying(raw: bytes, value: str) -> set[str]:
    """Entity ids of the subjects of one resolved record with identifier ``value`` (none when
    the record is no ``ResolvedRecord``: logged, it carries nobody the graph holds)."""
    try:
        record = parse(ResolvedRecord, raw)
    except InvalidRecord as exc:
        log.warning("erasure.record_skipped", error=str(exc))
        return set()
    refs = {s.get("ref") for s in record.signal.get("subjects", ())
            if any(i.get("value") == value for i in s.get("identifiers") or ())}
    return {e.entity_id for e in record.entities if e.ref in refs}


class Erasure:
    """Removes a person from the graph; every request audited."""

    def __init__(self, driver: Driver, database: str, audit: Auditor,
                 suppressor: Suppressor) -> None:
        self._driver, self._database, self._audit = driver, database, audit
        self._suppressor = suppressor

    def erase(self, entity_ids: Iterable[str], subject: str, reason: str, actor: str,
              dry_run: bool = False, resolved_records: int = 0) -> ErasureReport:
        """Remove the persons ``entity_ids`` stand for (``subject``: the pseudonym they were
        found by, for the audit)."""
        ids = sorted(set(entity_ids))
        report = ErasureReport(subject, resolved_records=resolved_records, dry_run=dry_run)
        params: dict[str, Any] = {"reason": reason, "subject": subject, "dry_run": dry_run}
        if not reason.strip() or not actor.strip():
            self._audit.record(actor or "-", SYSTEM_PARTNER, ERASE_ACTION, params, 0, "invalid")
            raise ErasureInputError("reason" if not reason.strip() else "actor", "",
                                    "is required")
        with self._driver.session(database=self._database) as session, \
                session.begin_transaction() as tx:
            try:
                deleted = self._erase(tx, ids, report)
            except ErasureRefusedError as exc:
                self._audit.record(actor, SYSTEM_PARTNER, ERASE_ACTION,
                                   {**params, "alerts": list(exc.alerts)}, 0, "refused")
                raise
            except ErasureInputError:
                self._audit.record(actor, SYSTEM_PARTNER, ERASE_ACTION, params, 0, "invalid")
                raise
            outcome = "not-found" if not report.entity_ids else "dry-run" if dry_run else "ok"
            pseudonym = subject if PSEUDONYM.fullmatch(subject) else None
            items = [] if dry_run or not (report.entity_ids or pseudonym) else [
                *(Suppression("entity", e, "erasure") for e in {*ids, *report.entity_ids}),
                *(Suppression("signal", s, "erasure") for s in deleted),
                *([Suppression("pseudonym", pseudonym, "erasure")] if pseudonym else [])]
            report.suppressions = len(set(items))
            self._audit.record(actor, SYSTEM_PARTNER, ERASE_ACTION,
                               {**params, **report.counts()}, len(report.entity_ids), outcome)
            try:  # before the commit: a crash in between leaves nothing a replay brings back
                self._suppressor.suppress(items)
            except Exception:
                self._audit.record(actor, SYSTEM_PARTNER, ERASE_ACTION,
                                   {**params, "entity_ids": report.entity_ids}, 0, "failed")
                raise
            if dry_run or not report.entity_ids:
                tx.rollback()
            else:
                try:
                    tx.commit()
                except Exception:
                    self._audit.record(actor, SYSTEM_PARTNER, ERASE_ACTION,
                                       {**params, "entity_ids": report.entity_ids}, 0, "failed")
                    raise
        log.info("erasure.done", actor=actor, outcome=outcome, persons=len(report.entity_ids),
                 signals_deleted=report.signals_deleted, signals_kept=report.signals_kept,
                 suppressions=report.suppressions)
        return report

    def _erase(self, tx: Tx, ids: Sequence[str], report: ErasureReport) -> list[str]:
        """Remove the person in ``tx``; the ids of the signals deleted with them."""
        cluster = list(tx.run(CLUSTER, ids=list(ids)))
        if not cluster:
            return []  # nothing (left) in the graph: an erasure repeated, or never written
        not_persons = [r["entity_id"] for r in cluster if not r["person"]]
        if not_persons:
            raise ErasureInputError("entity_id", not_persons[0], "is not a person")
        alerts = sorted({a for r in cluster for a in r["alerts"]})
        if alerts:
            raise ErasureRefusedError(report.subject, tuple(alerts))
        report.entity_ids = sorted(r["entity_id"] for r in cluster)
        signals = list(tx.run(SIGNALS_OF, ids=report.entity_ids))
        alone = [s["signal_id"] for s in signals if not s["others"] and not s["evidence"]]
        report.signals_kept = len(signals) - len(alone)
        reviews = tx.run(REMOVE_REVIEWS, ids=report.entity_ids).single(strict=True)
        # the person's nodes with every edge (mentions, relations, redirects) first; then the
        # signals that were only about them (their review candidates too); then whatever the
        # person's relation edges alone connected, if nothing mentions it any more
        removed = tx.run(REMOVE_PERSON, ids=report.entity_ids).single(strict=True)
        neighbours = sorted({n for group in removed["neighbours"] for n in group})
        swept = delete_signals(tx, alone, also_sweep=neighbours)
        report.mentions = (removed["mentions"] or 0) + swept.mentions
        report.relations = (removed["relations"] or 0) + swept.relations
        report.signals_deleted = swept.signals
        report.entities = swept.entities
        report.review_candidates = reviews["deleted"] + swept.review_candidates
        return alone
