"""2-hop neighbourhood latency for the graph benchmark, three ways on the same random anchors:

- ``analyst API``: ``graph.queries.AnalystQueries.neighbourhood(caller, id, depth=2, limit=500)``
  as an analyst of ``riec`` — role check, policy as parameters, breadth-first one query per
  step, and the audit entry written to Kafka (``acks=all``) before it returns;
- ``analyst API, audit discarded``: the same with an audit log whose publisher drops the entry
  (the difference is the price of the audit write);
- ``bare Cypher``: one query (``NEIGHBOURHOOD``) with no policy, no audit: entities one or two
  steps from the anchor, a step being a relation edge or a co-mention in one signal, at most
  500 rows.

Each way gets the same warm-up anchors first (reported apart), then the timed ones; the time is
the client's wall clock around the call.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from neo4j import Driver, RoutingControl

from core.audit import AuditLog
from core.publisher import Publisher
from core.settings import Settings
from graph.exceptions import GraphError, UnknownEntityError
from policy.clearance import Caller
from policy.registry import clearance_for, load_registry
from schemas.graph_model import ENTITY_LABEL, relation_types

log = structlog.get_logger(__name__)

LIMIT = 500
CALLER_PARTNER = "riec"
"""The analysts' partner (sees up to amber+strict, not care signals: policy/partners.yaml)."""

_REL = "|".join(edge.type for edge in relation_types())
_HOP = f"""
  MATCH ({{src}})-[:{_REL}]-(n:{ENTITY_LABEL}) RETURN n
  UNION
  MATCH ({{src}})<-[:MENTIONS]-(:Signal)-[:MENTIONS]->(n:{ENTITY_LABEL}) RETURN n
"""
NEIGHBOURHOOD = f"""
MATCH (e:{ENTITY_LABEL} {{entity_id: $id}})
CALL (e) {{{_HOP.format(src="e")}}}
WITH e, collect(n)[..$limit] AS hop1
CALL (e, hop1) {{
  UNWIND hop1 AS n
  RETURN n, 1 AS hop
  UNION ALL
  UNWIND hop1 AS h
  CALL (h) {{{_HOP.format(src="h")}}}
  WITH n WHERE n <> e AND NOT n IN hop1
  RETURN n, 2 AS hop
}}
WITH DISTINCT n, hop LIMIT $limit
RETURN n.entity_id AS entity_id, labels(n) AS labels, hop
"""
"""The bare 2-hop neighbourhood, first hop first, at most ``$limit`` rows."""

ANCHORS = f"MATCH (e:{ENTITY_LABEL}) WHERE NOT (e)-[:MERGED_INTO]->() RETURN e.entity_id AS id"


class EmptyGraphError(GraphError):
    """There is no entity to start a neighbourhood from."""

    def __init__(self, uri: str, database: str) -> None:
        self.uri, self.database = uri, database
        super().__init__(f"no entity in database {database!r} at {uri}: nothing to measure")


@dataclass(frozen=True)
class Latency:
    """Client wall-clock milliseconds per call, the rows (entities) they returned, and how many
    anchors the caller could not see."""

    samples_ms: list[float]
    rows: int
    not_found: int = 0

    def to_json(self) -> dict[str, Any]:
        q = statistics.quantiles(self.samples_ms, n=100, method="inclusive")
        return {"queries": len(self.samples_ms), "p50": round(q[49], 2), "p95": round(q[94], 2),
                "p99": round(q[98], 2), "mean": round(statistics.fmean(self.samples_ms), 2),
                "max": round(max(self.samples_ms), 2),
                "mean_rows": round(self.rows / len(self.samples_ms), 1),
                "not_visible": self.not_found}


def measure(call: Callable[[str], int | None], anchors: Sequence[str]) -> Latency:
    """Time ``call`` once per anchor; it returns the rows it got, or None for "not visible"."""
    samples, rows, missing = [], 0, 0
    for anchor in anchors:
        start = time.perf_counter()
        got = call(anchor)
        samples.append((time.perf_counter() - start) * 1000)
        if got is None:
            missing += 1
        else:
            rows += got
    return Latency(samples, rows, missing)


class _Discard:
    """A publisher that drops what it is given (isolates the audit write's cost)."""

    def publish(self, topic: str, key: bytes | None, value: bytes) -> object:
        return None

    def close(self) -> None:
        return None


def neighbourhood_latency(settings: Settings, driver: Driver, audit_topic: str, queries: int,
                          warmup: int, seed: int) -> dict[str, Any]:
    """The three ways over ``warmup`` + ``queries`` random live entities."""
    from graph.queries import AnalystQueries

    database = settings.neo4j.database
    ids, _, _ = driver.execute_query(ANCHORS, database_=database, routing_=RoutingControl.READ)
    population = [r["id"] for r in ids]
    if not population:
        raise EmptyGraphError(settings.neo4j.uri, database)
    rng = random.Random(seed)
    wanted = warmup + queries
    anchors = (rng.sample(population, wanted) if len(population) >= wanted
               else rng.choices(population, k=wanted))
    caller = Caller(analyst="graph-bench", partner_id=CALLER_PARTNER,
                    clearance=clearance_for(CALLER_PARTNER))

    def bare(entity_id: str) -> int:
        rows, _, _ = driver.execute_query(NEIGHBOURHOOD, id=entity_id, limit=LIMIT,
                                          database_=database, routing_=RoutingControl.READ)
        return len(rows)

    def through(api: AnalystQueries) -> Callable[[str], int | None]:
        def call(entity_id: str) -> int | None:
            try:
                return len(api.neighbourhood(caller, entity_id, depth=2, limit=LIMIT).nodes)
            except UnknownEntityError:
                return None
        return call

    results: dict[str, Any] = {}
    key = settings.audit_key.get_secret_value().encode()
    with Publisher(settings.kafka, client_id="ketenlink-graph-bench-audit") as publisher:
        ways: list[tuple[str, Callable[[str], int | None]]] = [
            ("analyst_api", through(AnalystQueries(driver, database,
                                                   AuditLog(publisher, audit_topic, key=key),
                                                   load_registry()))),
            ("analyst_api_no_audit", through(AnalystQueries(driver, database,
                                                            AuditLog(_Discard(), audit_topic,
                                                                     key=key),
                                                            load_registry()))),
            ("bare_cypher", bare),
        ]
        for name, call in ways:
            warm = measure(call, anchors[:warmup]) if warmup >= 2 else None
            timed = measure(call, anchors[warmup:])
            results[name] = {"latency_ms": timed.to_json(),
                             "warmup_ms": warm.to_json() if warm else None}
            log.info("graph_bench.latency", way=name, **timed.to_json())
    return {"anchors_in_graph": len(ids), "caller": f"analyst of {CALLER_PARTNER}",
            "latency_ms": results["analyst_api"]["latency_ms"],
            "warmup_ms": results["analyst_api"]["warmup_ms"], "latency": results}
