"""Alerts in Neo4j: reading the evidence the rules need, and reading and writing ``Alert`` nodes.

Constant Cypher, values only as parameters, ``database_`` always given. The reviewer's clearance
reaches Cypher as ``policy.visible_pairs`` (``$partner``, ``$cleared``), exactly as the analyst
queries apply it: a signal is read iff its publisher is the reviewer or ``may_see`` allows its
``[distribution, purpose]``. Each evidence signal's properties then pass
``policy.view.record_view`` for the reviewer (the field policy the router and the explorer
apply), so a dossier can only hold what the reviewer may see of a signal.

An alert is ``(:Alert {alert_id, status, version, rules, anchor, anchor_name, members, evidence_keys,
fingerprint, score, reviewer, created_at, updated_at, dossier, sent_version, follow_up_of,
decisions, approved_versions})``; ``dossier`` is the JSON of the version's dossier (what the
reviewer reads and releases), ``decisions`` JSON lines of earlier approvals and rejections.
``(:Alert)-[:ABOUT {anchor}]->(entity)`` points at the anchor (``anchor: true``) and the other
members; ``(:Alert)-[:EVIDENCE {first_version, last_version, revision}]->(:Signal)`` keeps every
signal any version counted (``last_version`` = the alert's version: evidence of the current one).
An alert is found for an entity through ``ABOUT`` and then ``MERGED_INTO``, so an alert about an
entity that was later merged belongs to the survivor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from neo4j import READ_ACCESS, Driver, ManagedTransaction, RoutingControl

from alerts.exceptions import AlertConflictError
from alerts.rules import AlertState, EntityFacts, Sighting
from graph.analyst.build import entity_label, to_datetime
from graph.cypher_parts import MAX_REDIRECTS
from policy.clearance import Clearance, visible_pairs
from policy.registry import Registry
from policy.view import record_view
from schemas.graph_model import ENTITY_LABEL

log = structlog.get_logger(__name__)

_VISIBLE = "(s.partner_id = $partner OR [s.distribution, s.purpose] IN $cleared)"

CANONICAL = f"""
UNWIND $ids AS id
MATCH (n:{ENTITY_LABEL} {{entity_id: id}})
OPTIONAL MATCH (n)-[:MERGED_INTO*1..{MAX_REDIRECTS}]->(t:{ENTITY_LABEL})
  WHERE NOT (t)-[:MERGED_INTO]->()
WITH id, n, collect(t.entity_id) AS ends
RETURN id, coalesce(ends[0], n.entity_id) AS canonical
"""
"""Each id → the live entity at the end of its ``MERGED_INTO`` chain (absent ids are left out)."""

EVIDENCE = f"""
UNWIND $ids AS id
MATCH (e:{ENTITY_LABEL} {{entity_id: id}})
RETURN e.entity_id AS entity_id, labels(e) AS labels,
       COLLECT {{
         MATCH (e)<-[m:MENTIONS]-(s:Signal) WHERE {_VISIBLE}
         WITH s, collect(DISTINCT m.role) AS roles
         ORDER BY s.observed_at DESC, s.signal_id
         LIMIT $max_evidence
         RETURN s {{.signal_id, .revision, .partner_id, .observed_at, .severity, .category,
                   .distribution, .purpose, .barrier_stages, .indicators, roles: roles}}
       }} AS evidence
"""
"""The newest ``$max_evidence`` visible signals mentioning each entity, with its roles in them."""

ALERTS_ABOUT = f"""
UNWIND $ids AS id
MATCH (c:{ENTITY_LABEL} {{entity_id: id}})
MATCH (a:Alert)-[:ABOUT {{anchor: true}}]->(:{ENTITY_LABEL})-[:MERGED_INTO*0..{MAX_REDIRECTS}]->(c)
RETURN DISTINCT id AS anchor, a {{.alert_id, .status, .version, .rules, .evidence_keys,
                                 .fingerprint, .sent_version, .created_at, .decisions}} AS alert
"""
"""Alerts anchored at each (live) entity, directly or at an entity merged into it."""

WRITE_ALERTS = """
UNWIND $rows AS row
MERGE (a:Alert {alert_id: row.alert_id})
  ON CREATE SET a.version = 0, a.sent_version = 0, a.created_at = row.now, a.decisions = [],
                a.approved_versions = []
WITH a, row
WHERE a.version = row.expected_version
  AND (row.expected_status IS NULL OR a.status = row.expected_status)
SET a.version = row.version, a.status = 'proposed', a.rules = row.rules, a.anchor = row.anchor,
    a.anchor_name = row.anchor_name,
    a.members = row.members, a.evidence_keys = row.evidence_keys,
    a.fingerprint = row.fingerprint, a.score = row.score, a.reviewer = row.reviewer,
    a.updated_at = row.now, a.dossier = row.dossier, a.follow_up_of = row.follow_up_of
WITH a, row
CALL (a) {
  MATCH (a)-[old:ABOUT]->()
  DELETE old
}
CALL (a, row) {
  UNWIND row.about AS about
  MATCH (e:Entity {entity_id: about.entity_id})
  MERGE (a)-[r:ABOUT]->(e)
  SET r.anchor = about.anchor
}
CALL (a, row) {
  UNWIND row.evidence AS ev
  MATCH (s:Signal {signal_id: ev.signal_id})
  MERGE (a)-[r:EVIDENCE]->(s)
    ON CREATE SET r.first_version = row.version
  SET r.last_version = row.version, r.revision = ev.revision
}
RETURN a.alert_id AS alert_id, a.created_at AS created_at
"""
"""Write new versions; a row applies only while the alert has its expected version and status
(a release or another engine in between: the row is skipped and the caller retries)."""

MARK_SENT = """
UNWIND $rows AS row
MATCH (a:Alert {alert_id: row.alert_id})
WHERE a.version = row.version AND a.sent_version < row.version
SET a.sent_version = row.version
"""

GET_ALERT = """
MATCH (a:Alert {alert_id: $alert_id})
RETURN a {.*} AS alert
"""

LIST_ALERTS = """
MATCH (a:Alert)
WHERE $status IS NULL OR a.status = $status
RETURN a {.alert_id, .status, .version, .rules, .anchor, .anchor_name, .score, .reviewer, .created_at,
          .updated_at} AS alert
ORDER BY a.updated_at DESC, a.alert_id
LIMIT $limit
"""

DECIDE = """
MATCH (a:Alert {alert_id: $alert_id})
WITH a, a.version = $version AND a.status = 'proposed' AS current
SET a.decisions = coalesce(a.decisions, []) + [$decision],
    a.status = CASE WHEN current THEN $status ELSE a.status END,
    a.approved_versions = coalesce(a.approved_versions, []) +
                          CASE WHEN $status = 'approved' THEN [$version] ELSE [] END
RETURN current
"""
"""Record a decision on version ``$version``; the status changes only while that version is the
current, proposed one (else the engine proposed a newer version meanwhile, which stays)."""

MISSING = f"""
CALL () {{
  UNWIND $signals AS row
  OPTIONAL MATCH (s:Signal {{signal_id: row.signal_id}})
  WITH row, s WHERE s IS NULL OR s.revision < row.revision
  RETURN row.signal_id AS missing
  UNION ALL
  UNWIND $merged AS id
  OPTIONAL MATCH (m:{ENTITY_LABEL} {{entity_id: id}})
  WITH id, m WHERE m IS NULL OR NOT EXISTS {{ (m)-[:MERGED_INTO]->() }}
  RETURN id AS missing
}}
RETURN missing
"""
"""Signals not yet at their revision and merges whose redirect is not yet written."""


@dataclass(frozen=True)
class AlertRow:
    """An alert for writing: the new version, its dossier and where its edges go."""

    alert_id: str
    version: int
    expected_version: int
    expected_status: str | None
    anchor: str
    members: tuple[str, ...]
    rules: tuple[str, ...]
    evidence: tuple[Sighting, ...]
    fingerprint: str
    score: float
    reviewer: str
    dossier: Mapping[str, Any]
    follow_up_of: Mapping[str, Any] | None = None

    def params(self, now: datetime) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id, "version": self.version,
            "expected_version": self.expected_version, "expected_status": self.expected_status,
            "anchor": self.anchor, "anchor_name": _anchor_name(self.dossier),
            "members": list(self.members), "rules": list(self.rules),
            "evidence_keys": sorted(s.key for s in self.evidence),
            "evidence": [{"signal_id": s.signal_id, "revision": s.revision}
                         for s in self.evidence],
            "about": [{"entity_id": m, "anchor": m == self.anchor} for m in self.members],
            "fingerprint": self.fingerprint, "score": self.score, "reviewer": self.reviewer,
            "dossier": json.dumps(self.dossier, sort_keys=True, ensure_ascii=False),
            "follow_up_of": json.dumps(self.follow_up_of) if self.follow_up_of else None,
            "now": now,
        }


@dataclass(frozen=True)
class AlertRecord:
    """An alert as stored: state, scores and the current version's dossier."""

    alert_id: str
    status: str
    version: int
    rules: tuple[str, ...]
    anchor: str
    score: float | None
    reviewer: str | None
    created_at: datetime | None
    updated_at: datetime | None
    anchor_name: str | None = None
    """The anchor's name as the reviewer sees it (from the dossier), for lists."""
    dossier: dict[str, Any] = field(default_factory=dict)
    decisions: tuple[dict[str, Any], ...] = ()
    approved_versions: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "status": self.status, "version": self.version,
                "rules": list(self.rules), "anchor": self.anchor,
                "anchor_name": self.anchor_name, "score": self.score,
                "reviewer": self.reviewer,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "decisions": list(self.decisions),
                "approved_versions": list(self.approved_versions), "dossier": self.dossier}


class AlertStore:
    """The alert engine's and the release desk's access to one Neo4j database; ``registry``
    gives each publisher's source kind to the field policy."""

    def __init__(self, driver: Driver, database: str, registry: Registry) -> None:
        self._driver, self._database, self._registry = driver, database, registry

    # -- the engine's reads ----------------------------------------------------------------
    def missing(self, signals: Mapping[str, int], merged: Iterable[str]) -> list[str]:
        """Which of the signals (id → revision) and merge redirects the sink has not written."""
        rows = [{"signal_id": k, "revision": v} for k, v in sorted(signals.items())]
        merged = sorted(set(merged))
        if not rows and not merged:
            return []
        records, _, _ = self._driver.execute_query(
            MISSING, signals=rows, merged=merged, database_=self._database,
            routing_=RoutingControl.READ)
        return sorted({str(r["missing"]) for r in records})

    def wait_until_written(self, signals: Mapping[str, int], merged: Iterable[str],
                           wait_s: float, interval_s: float = 0.2) -> list[str]:
        """Poll until the sink has written everything (``[]``) or ``wait_s`` passed (what is
        still missing)."""
        merged = tuple(merged)
        deadline = time.monotonic() + wait_s
        while True:
            missing = self.missing(signals, merged)
            if not missing or time.monotonic() >= deadline:
                return missing
            time.sleep(interval_s)

    def canonical(self, ids: Iterable[str]) -> dict[str, str]:
        """Each known id → its live entity (after ``MERGED_INTO``)."""
        records, _, _ = self._driver.execute_query(
            CANONICAL, ids=sorted(set(ids)), database_=self._database, routing_=RoutingControl.READ)
        return {str(r["id"]): str(r["canonical"]) for r in records}

    def facts(self, ids: Iterable[str], clearance: Clearance, max_evidence: int
              ) -> dict[str, EntityFacts]:
        """Each entity's label and its newest signals ``clearance`` may see."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        records, _, _ = self._driver.execute_query(
            EVIDENCE, ids=wanted, partner=clearance.partner_id,
            cleared=visible_pairs(clearance), max_evidence=max_evidence,
            database_=self._database, routing_=RoutingControl.READ)
        return {str(r["entity_id"]): EntityFacts(
            str(r["entity_id"]), entity_label(r["labels"]),
            tuple(s for e in r["evidence"]
                  if (shown := record_view(clearance, e, self._registry)) is not None
                  and (s := _sighting({**shown, "roles": e.get("roles")})) is not None))
            for r in records}

    def alerts_about(self, ids: Iterable[str]) -> dict[str, list[AlertState]]:
        """Alerts anchored at each live entity (oldest first)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        records, _, _ = self._driver.execute_query(
            ALERTS_ABOUT, ids=wanted, database_=self._database, routing_=RoutingControl.READ)
        found: dict[str, list[AlertState]] = {}
        for r in records:
            a = r["alert"]
            found.setdefault(str(r["anchor"]), []).append(AlertState(
                alert_id=str(a["alert_id"]), anchor=str(r["anchor"]), status=str(a["status"]),
                version=int(a["version"]), rules=tuple(a.get("rules") or ()),
                evidence_keys=tuple(a.get("evidence_keys") or ()),
                fingerprint=str(a.get("fingerprint") or ""),
                sent_version=int(a.get("sent_version") or 0),
                created_at=to_datetime(a.get("created_at")),
                decisions=tuple(json.loads(d) for d in a.get("decisions") or ())))
        for states in found.values():
            states.sort(key=lambda s: (s.created_at is None, s.created_at or datetime.min,
                                       s.alert_id))
        return found

    # -- writes ------------------------------------------------------------------------------
    def write(self, rows: Sequence[AlertRow], now: datetime) -> None:
        """Write new alert versions in one transaction; ``AlertConflictError`` (nothing
        written) when an alert is no longer at the version and status the rows expect."""
        if not rows:
            return
        params = [row.params(now) for row in rows]

        def work(tx: ManagedTransaction) -> None:
            written = {str(r["alert_id"]) for r in tx.run(WRITE_ALERTS, rows=params)}
            stale = tuple(sorted({row.alert_id for row in rows} - written))
            if stale:
                raise AlertConflictError(stale)  # raised in the transaction: rolled back

        with self._driver.session(database=self._database) as session:
            session.execute_write(work)

    def mark_sent(self, sent: Sequence[tuple[str, int]]) -> None:
        """Record that the proposals of these (alert id, version) were acknowledged."""
        if sent:
            self._driver.execute_query(
                MARK_SENT, rows=[{"alert_id": a, "version": v} for a, v in sent],
                database_=self._database)

    # -- the release desk --------------------------------------------------------------------
    def get(self, alert_id: str) -> AlertRecord | None:
        records, _, _ = self._driver.execute_query(
            GET_ALERT, alert_id=alert_id, database_=self._database, routing_=RoutingControl.READ)
        return _record(records[0]["alert"]) if records else None

    def list(self, status: str | None, limit: int) -> list[AlertRecord]:
        with self._driver.session(database=self._database,
                                  default_access_mode=READ_ACCESS) as session:
            rows = session.execute_read(
                lambda tx: [r["alert"] for r in tx.run(LIST_ALERTS, status=status, limit=limit)])
        return [_record(a) for a in rows]

    def decide(self, alert_id: str, version: int, status: str, decision: Mapping[str, Any]
               ) -> bool:
        """Record a decision on a version; whether it was still the current proposed one."""
        records, _, _ = self._driver.execute_query(
            DECIDE, alert_id=alert_id, version=version, status=status,
            decision=json.dumps(dict(decision), sort_keys=True, ensure_ascii=False),
            database_=self._database)
        return bool(records and records[0]["current"])


def _sighting(doc: Mapping[str, Any]) -> Sighting | None:
    """A visible signal as evidence; None (logged) for a Signal node without an observed time
    — not written by the sink (a graph older than it, or a foreign writer): not evidence."""
    observed = to_datetime(doc.get("observed_at"))
    if observed is None or not doc.get("partner_id"):
        log.warning("alerts.signal_without_time", signal_id=doc.get("signal_id"))
        return None
    return Sighting(
        signal_id=str(doc["signal_id"]), revision=int(doc.get("revision") or 0),
        partner=str(doc["partner_id"]), observed_at=observed,
        severity=str(doc.get("severity") or ""), category=str(doc.get("category") or ""),
        distribution=str(doc.get("distribution") or ""), purpose=str(doc.get("purpose") or ""),
        roles=tuple(sorted(doc.get("roles") or ())),
        barrier_stages=tuple(doc.get("barrier_stages") or ()),
        indicators=tuple(doc.get("indicators") or ()))


def _anchor_name(dossier: Mapping[str, Any]) -> str | None:
    entity = (dossier.get("anchor") or {}).get("entity") or {}
    name = entity.get("name")
    return str(name) if name else None


def _record(a: Mapping[str, Any]) -> AlertRecord:
    score = a.get("score")
    return AlertRecord(
        alert_id=str(a["alert_id"]), status=str(a.get("status")), version=int(a["version"]),
        rules=tuple(a.get("rules") or ()), anchor=str(a.get("anchor")),
        score=float(score) if score is not None else None, reviewer=a.get("reviewer"),
        anchor_name=a.get("anchor_name"),
        created_at=to_datetime(a.get("created_at")), updated_at=to_datetime(a.get("updated_at")),
        dossier=json.loads(a["dossier"]) if a.get("dossier") else {},
        decisions=tuple(json.loads(d) for d in a.get("decisions") or ()),
        approved_versions=tuple(int(v) for v in a.get("approved_versions") or ()))
