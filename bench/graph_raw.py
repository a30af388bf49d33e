"""The raw baseline of the graph benchmark: the graph the sink ends with, written by plain
``UNWIND $rows AS row CREATE ...`` into an empty database.

The rows are computed up front in Python from the same resolved records (not timed): the final
revision of each signal, merges folded into their survivors, relation provenance aggregated. The
records are cut into batches of the sink's size; each node and relationship is created, once, in
the batch of the first record that has it (a relationship no earlier than its two ends), one
transaction per batch. Relationships find their ends with ``MATCH`` on the unique key (the same
constraint indexes the sink uses). What it writes:

- ``(:Partner {partner_id})``, ``(:Signal {signal_id, revision, partner_id, partner_ref,
  observed_at, reported_at, category, severity, distribution, purpose, legal_basis, indicators,
  barrier_stages, corroborated_by})`` and ``(:Partner)-[:REPORTED]->(:Signal)``, without what
  the sink leaves out for nobody but the publisher may see it (``policy.view.storable``: an
  anonymous tip's partner_ref);
- ``(:Entity:<Type> {entity_id, <the properties of schemas.graph_model.entity_properties>})``
  for every entity id any record names (merged ones too), the last mention's values;
- ``(:Signal)-[:MENTIONS {ref, role, revision, version, <the subject's properties>}]->
  (survivor)`` of each signal's final revision (``version``: observed time in UTC, signal id and
  ref, as the sink keys mentions);
- relation edges between survivors with ``signal_ids``, ``partners`` (sorted), ``first_seen``,
  ``last_seen``; ``(:Entity)-[:MERGED_INTO {reason, record_id}]->(:Entity)`` per merge;
- ``(:Municipality {code, name})`` and ``(:Location)-[:IN]->(:Municipality)`` (code
  ``<country>:<slug of municipality or city>``, as the sink keys it).

Not written: the sink's bookkeeping (``prop_versions``), and nothing is read back or matched
before a write, which is the whole point of a baseline.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver, ManagedTransaction

from consumers.graph_sink import node_properties, utc_version_time
from policy.registry import Registry, load_registry
from policy.view import source_of, storable
from schemas.graph_model import ENTITY_LABEL, relation_types
from schemas.subjects import GRAPH_LABEL

_SIGNAL_FIELDS = ("partner_ref", "category", "severity", "distribution", "purpose",
                  "legal_basis", "indicators", "barrier_stages")

CREATE_PARTNERS = "UNWIND $rows AS row CREATE (:Partner {partner_id: row.partner_id})"
CREATE_SIGNALS = """
UNWIND $rows AS row
CREATE (s:Signal)
SET s = row.props, s.observed_at = datetime(row.observed_at),
    s.reported_at = datetime(row.reported_at)
"""
CREATE_MUNICIPALITIES = "UNWIND $rows AS row CREATE (:Municipality {code: row.code, name: row.name})"
CREATE_REPORTED = """
UNWIND $rows AS row
MATCH (p:Partner {partner_id: row.partner_id})
MATCH (s:Signal {signal_id: row.signal_id})
CREATE (p)-[:REPORTED]->(s)
"""
CREATE_MENTIONS = f"""
UNWIND $rows AS row
MATCH (s:Signal {{signal_id: row.signal_id}})
MATCH (e:{ENTITY_LABEL} {{entity_id: row.entity_id}})
CREATE (s)-[m:MENTIONS]->(e)
SET m = row.props, m.ref = row.ref, m.role = row.role, m.revision = row.revision,
    m.version = row.version
"""
CREATE_IN = """
UNWIND $rows AS row
MATCH (l:Location {entity_id: row.entity_id})
MATCH (m:Municipality {code: row.code})
CREATE (l)-[:IN]->(m)
"""
CREATE_MERGED_INTO = f"""
UNWIND $rows AS row
MATCH (a:{ENTITY_LABEL} {{entity_id: row.merged}})
MATCH (b:{ENTITY_LABEL} {{entity_id: row.into}})
CREATE (a)-[:MERGED_INTO {{reason: row.reason, record_id: row.record_id}}]->(b)
"""
CREATE_ENTITIES = {kind: f"UNWIND $rows AS row CREATE (n:{ENTITY_LABEL}:{label}) SET n = row.props"
                   for kind, label in GRAPH_LABEL.items()}
CREATE_LINKS = {edge.type: f"""
UNWIND $rows AS row
MATCH (a:{ENTITY_LABEL} {{entity_id: row.source}})
MATCH (b:{ENTITY_LABEL} {{entity_id: row.target}})
CREATE (a)-[:{edge.type} {{signal_ids: row.signal_ids, partners: row.partners,
  first_seen: datetime(row.first_seen), last_seen: datetime(row.last_seen)}}]->(b)
""" for edge in relation_types()}


@dataclass
class RawBatch:
    """The creates of one batch; nodes before relationships."""

    nodes: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    relationships: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def rows(self) -> int:
        return sum(len(r) for _, r in self.nodes) + sum(len(r) for _, r in self.relationships)


@dataclass(frozen=True)
class RawPlan:
    """The baseline's batches and what they create in total."""

    batches: list[RawBatch]
    nodes: int
    relationships: int


def municipality(props: dict[str, Any]) -> tuple[str, str] | None:
    """(code, name) of a location's municipality, keyed as the sink keys it."""
    name = props.get("municipality") or props.get("city")
    if not isinstance(name, str):
        return None
    country = props.get("country") or "NL"
    return f"{country}:{name.strip().replace(' ', '-').lower()}", name


class _Plan:
    """Accumulates, per batch index, the first appearance of every node and relationship."""

    def __init__(self, batches: int) -> None:
        self.nodes: list[dict[str, list[dict[str, Any]]]] = [defaultdict(list) for _ in range(batches)]
        self.rels: list[dict[str, list[dict[str, Any]]]] = [defaultdict(list) for _ in range(batches)]

    def node(self, at: int, query: str, row: dict[str, Any]) -> None:
        self.nodes[at][query].append(row)

    def rel(self, at: int, query: str, row: dict[str, Any]) -> None:
        self.rels[at][query].append(row)


def plan_raw(values: Sequence[bytes], batch_size: int, registry: Registry | None = None
             ) -> RawPlan:
    """The baseline's creates for ``values`` (``signals.resolved`` JSON, in topic order);
    ``registry`` (default: the shipped ``policy/partners.yaml``) as the sink's ``batch_rows``."""
    registry = registry if registry is not None else load_registry()
    docs = [json.loads(v) for v in values]
    batches = (len(docs) + batch_size - 1) // batch_size

    into: dict[str, str] = {}
    merges: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    final: dict[str, dict[str, Any]] = {}
    signal_at: dict[str, int] = {}
    entity_at: dict[str, int] = {}
    kind_of: dict[str, str] = {}
    props_of: dict[str, dict[str, Any]] = {}
    partner_at: dict[str, int] = {}
    for i, doc in enumerate(docs):
        at = i // batch_size
        partner_at.setdefault(doc["partner"], at)
        signal_at.setdefault(doc["signal_id"], at)
        if doc["signal_id"] not in final or doc["revision"] > final[doc["signal_id"]]["revision"]:
            final[doc["signal_id"]] = doc
        subjects = {s["ref"]: s for s in doc["signal"]["subjects"]}
        for entity in doc["entities"]:
            eid = entity["entity_id"]
            entity_at.setdefault(eid, at)
            kind_of.setdefault(eid, entity["type"])
            props_of[eid] = node_properties(subjects[entity["ref"]])
        for merge in doc["merges"]:
            for eid in (merge["merged"], merge["into"]):
                entity_at.setdefault(eid, at)
            merges.setdefault((merge["merged"], merge["into"]), (at, merge))
            if merge["merged"] != merge["into"]:
                into[merge["merged"]] = merge["into"]

    def survivor(eid: str) -> str:
        seen = {eid}
        while eid in into and into[eid] not in seen:
            eid = into[eid]
            seen.add(eid)
        return eid

    plan = _Plan(batches)
    for partner, at in partner_at.items():
        plan.node(at, CREATE_PARTNERS, {"partner_id": partner})
    for eid, at in entity_at.items():
        kind = kind_of.get(eid) or kind_of.get(survivor(eid), "person")
        kind_of[eid] = kind
        plan.node(at, CREATE_ENTITIES[kind], {"props": {"entity_id": eid, **props_of.get(eid, {})}})
    municipalities: dict[str, int] = {}
    for eid, at in entity_at.items():
        place = municipality(props_of.get(eid, {})) if kind_of[eid] == "location" else None
        if place is None or survivor(eid) != eid:
            continue
        code, name = place
        if code not in municipalities:
            municipalities[code] = at
            plan.node(at, CREATE_MUNICIPALITIES, {"code": code, "name": name})
        plan.rel(max(at, municipalities[code]), CREATE_IN, {"entity_id": eid, "code": code})
    for (merged, target), (at, merge) in merges.items():
        if merged != target:
            plan.rel(max(at, entity_at[merged], entity_at[target]), CREATE_MERGED_INTO,
                     {"merged": merged, "into": target, "reason": merge["reason"],
                      "record_id": merge["record_id"]})

    links: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sid, doc in final.items():
        at, signal = signal_at[sid], doc["signal"]
        props = storable({"signal_id": sid, "revision": doc["revision"],
                          "partner_id": doc["partner"], "corroborated_by": doc["corroborated_by"],
                          **{k: signal[k] for k in _SIGNAL_FIELDS if signal.get(k) is not None}},
                         source_of(registry, doc["partner"]))
        plan.node(at, CREATE_SIGNALS, {"props": props, "observed_at": signal["observed_at"],
                                       "reported_at": signal["reported_at"]})
        plan.rel(at, CREATE_REPORTED, {"partner_id": doc["partner"], "signal_id": sid})
        subjects = {s["ref"]: s for s in signal["subjects"]}
        observed = utc_version_time(signal["observed_at"])
        for entity in doc["entities"]:
            target = survivor(entity["entity_id"])
            plan.rel(max(at, entity_at[target]), CREATE_MENTIONS,
                     {"signal_id": sid, "entity_id": target, "ref": entity["ref"],
                      "role": entity["role"], "revision": doc["revision"],
                      "props": node_properties(subjects[entity["ref"]]),
                      "version": f"{observed}|{sid}|{entity['ref']}"})
        for link in doc["links"]:
            source, target = survivor(link["source"]), survivor(link["target"])
            if source == target:
                continue
            row = links.setdefault((link["type"], source, target), {
                "at": max(at, entity_at[source], entity_at[target]), "source": source,
                "target": target, "signal_ids": set(), "partners": set(),
                "first_seen": signal["observed_at"], "last_seen": signal["observed_at"]})
            row["signal_ids"].add(sid)
            row["partners"].add(doc["partner"])
            row["first_seen"] = min(row["first_seen"], signal["observed_at"])
            row["last_seen"] = max(row["last_seen"], signal["observed_at"])
    for (edge_type, _, _), row in links.items():
        plan.rel(row.pop("at"), CREATE_LINKS[edge_type],
                 {**row, "signal_ids": sorted(row["signal_ids"]),
                  "partners": sorted(row["partners"])})

    out = [RawBatch(list(n.items()), list(r.items())) for n, r in zip(plan.nodes, plan.rels,
                                                                     strict=True)]
    return RawPlan(out, sum(len(rows) for b in plan.nodes for rows in b.values()),
                   sum(len(rows) for b in plan.rels for rows in b.values()))


def write_raw(driver: Driver, database: str, plan: RawPlan,
              progress: Callable[[int], None] | None = None) -> float:
    """Write the plan, one transaction per batch; return the seconds it took."""
    start = time.perf_counter()
    for i, batch in enumerate(plan.batches):
        with driver.session(database=database) as session:  # a session per batch, as the sink
            session.execute_write(_write, batch)
        if progress is not None:
            progress(i + 1)
    return time.perf_counter() - start


def _write(tx: ManagedTransaction, batch: RawBatch) -> None:
    for query, rows in (*batch.nodes, *batch.relationships):
        tx.run(query, rows=rows).consume()
