"""Writing resolved signals and merges into the graph: constant ``UNWIND $rows`` queries generated
once from ``schemas/graph_model.py`` (labels, types and property names come from the model, never
from data; values are always parameters).

The writes are built to *converge*: whatever order the records of several Kafka partitions
arrive in, and however often a batch is replayed, the graph ends the same.

- **Signals** carry a revision; only a newer revision changes a signal. A newer revision first
  *retracts* the old one: its mentions go, and its id leaves the provenance of every relation
  edge between entities it mentioned (an edge left without supporting signals is deleted, the
  others get partners and first/last seen recomputed from the signals that remain).
- **Mentions** carry what their signal said about the entity (the entity properties, beside
  ``ref``, ``role``, ``revision`` and ``version``), so that a reader can show an entity as the
  signals *it may see* describe it.
- **Entity properties**: each property keeps the value of the newest mention that has it
  (newest by observed time, then signal id and ref — a total order), tracked in the node's
  ``prop_versions`` list (aligned with ``entity_properties``). Newest-wins per property is
  commutative, so arrival order does not matter. A read-then-write of one node runs in a
  ``CALL`` subquery, so that each ``$rows`` row sees the writes of the rows before it (Cypher
  runs clause by clause: a ``WITH`` that reads ``prop_versions`` for every row before the
  ``SET`` runs would let an older mention in the same batch overwrite a newer one).
- **Merges** leave ``(merged)-[:MERGED_INTO]->(survivor)``; the merged node keeps its own
  properties, its mentions and relation edges move to the end of the redirect chain (provenance
  unioned; an edge that would join the survivor to itself is dropped). Every write follows the
  redirects first, so a record that arrives after the merge lands on the survivor directly.
- **Municipalities**: a location is ``IN`` the municipality of its address (its ``municipality``,
  else its ``city``), keyed ``<country>:<lower-case name, spaces as hyphens>`` — there is no
  offline CBS code table here, so the code is the name's slug.
- Lists in provenance (``signal_ids``, ``partners``) are kept sorted, so equal sets are equal
  values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph.cypher_parts import MAX_REDIRECTS, RECOMPUTE_PROVENANCE
from schemas.graph_model import ENTITY_LABEL, entity_properties, relation_types
from schemas.subjects import GRAPH_LABEL

FIRST_REVISION = 1
"""The revision ``streams.dedupe`` gives a signal's first version."""
_CANONICAL = (f"[:MERGED_INTO*1..{MAX_REDIRECTS}]->({{var}}:{ENTITY_LABEL}) "
              "WHERE NOT ({var})-[:MERGED_INTO]->()")


def _canonical(start: str, var: str) -> str:
    """``OPTIONAL MATCH`` of the end of ``start``'s redirect chain as ``var`` (null when none)."""
    return f"OPTIONAL MATCH ({start})-" + _CANONICAL.format(var=var)


def _insert_sorted(lst: str, value: str) -> str:
    """Cypher: ``lst`` with ``value`` added in order (unchanged when already present)."""
    return (f"CASE WHEN {value} IN {lst} THEN {lst} "
            f"ELSE [i IN {lst} WHERE i < {value}] + {value} + [i IN {lst} WHERE i > {value}] END")


def _union_sorted(lst: str, other: str) -> str:
    return f"reduce(acc = {lst}, v IN {other} | {_insert_sorted('acc', 'v')})"


RETRACT_SIGNALS = f"""
UNWIND $rows AS row
MATCH (s:Signal {{signal_id: row.signal_id}}) WHERE row.revision > s.revision
OPTIONAL MATCH (s)-[:MENTIONS]->(:{ENTITY_LABEL})-[r]->(:{ENTITY_LABEL})<-[:MENTIONS]-(s)
  WHERE r.signal_ids IS NOT NULL AND s.signal_id IN r.signal_ids
WITH s, collect(DISTINCT r) AS rels
CALL (s, rels) {{
  UNWIND rels AS r
  SET r.signal_ids = [x IN r.signal_ids WHERE x <> s.signal_id]
  WITH r
{RECOMPUTE_PROVENANCE}
  WITH r WHERE size(r.signal_ids) = 0
  DELETE r
}}
WITH DISTINCT s
OPTIONAL MATCH (s)-[old:MENTIONS]->()
DELETE old
"""
"""A newer revision withdraws what the older one asserted (run before ``UPSERT_SIGNALS``)."""

UPSERT_SIGNALS = """
UNWIND $rows AS row
MERGE (p:Partner {partner_id: row.partner_id})
MERGE (s:Signal {signal_id: row.signal_id})
  ON CREATE SET s.revision = -1
MERGE (p)-[:REPORTED]->(s)
WITH s, row
CALL (s, row) {
  WITH s, row WHERE row.revision > s.revision
  SET s += row.props, s.revision = row.revision,
      s.observed_at = datetime(row.observed_at), s.reported_at = datetime(row.reported_at)
}
"""


def _newest_wins(target: str, source: str, props: tuple[str, ...], source_version: str,
                 target_versions: str) -> str:
    """Clauses (inside a ``CALL`` that has ``target`` and ``target_versions`` in scope, ending
    in a ``SET``): each property of ``target`` takes ``source``'s value when the source has one
    and its version is at least the target's; ``prop_versions`` follows. ``source_version`` is
    one expression for all properties, or a list expression indexed per property when it ends
    in ``[]``.

    Each comparison is written once (the ``take`` list) and used twice, for the value and for
    its version: half the expressions of a ``CASE`` with the comparison per property and per
    list element, which Neo4j plans and evaluates faster (it plans each query again whenever
    the graph's statistics drift). The property names stay literal: a dynamic ``SET n[k]``
    would make the planner put ``Eager`` operators around every clause."""
    def version(i: int) -> str:
        return f"{source_version[:-2]}[{i}]" if source_version.endswith("[]") else source_version

    take = ", ".join(f"{source}.{p} IS NOT NULL AND {version(i)} >= {target_versions}[{i}]"
                     for i, p in enumerate(props))
    scope = ", ".join(dict.fromkeys(v.split(".")[0].split("[")[0]
                                    for v in (target, source, source_version, target_versions)))
    values = [f"{target}.{p} = CASE WHEN take[{i}] THEN {source}.{p} ELSE {target}.{p} END"
              for i, p in enumerate(props)]
    each = f"{source_version[:-2]}[i]" if source_version.endswith("[]") else source_version
    versions = (f"{target}.prop_versions = [i IN range(0, {len(props) - 1}) | "
                f"CASE WHEN take[i] THEN {each} ELSE {target_versions}[i] END]")
    return f"WITH {scope}, [{take}] AS take\n  SET " + ",\n    ".join([*values, versions])


def _blank(props: tuple[str, ...]) -> str:
    return "[" + ", ".join("''" for _ in props) + "]"


def _mentions_query(subject_type: str) -> str:
    """The redirect chain of the mentioned node is followed once (``t``, null when it has no
    ``MERGED_INTO``); the node and, when there is one, its survivor each take the mention's
    newer properties, and the mention goes to the survivor."""
    label, props = GRAPH_LABEL[subject_type], entity_properties(subject_type)
    return f"""
UNWIND $rows AS row
MATCH (s:Signal {{signal_id: row.signal_id}}) WHERE s.revision = row.revision
MERGE (n:{ENTITY_LABEL} {{entity_id: row.entity_id}})
SET n:{label}
WITH s, n, row
{_canonical('n', 't')}
CALL (n, row) {{
  WITH n, row, coalesce(n.prop_versions, {_blank(props)}) AS nv
  {_newest_wins('n', 'row.props', props, 'row.version', 'nv')}
}}
CALL (t, row) {{
  WITH t, row, coalesce(t.prop_versions, {_blank(props)}) AS tv WHERE t IS NOT NULL
  {_newest_wins('t', 'row.props', props, 'row.version', 'tv')}
}}
WITH s, coalesce(t, n) AS e, row
MERGE (s)-[m:MENTIONS {{ref: row.ref}}]->(e)
SET m += row.props, m.role = row.role, m.revision = row.revision, m.version = row.version
"""


def _link_query(edge_type: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (s:Signal {{signal_id: row.signal_id}}) WHERE s.revision = row.revision
MATCH (a0:{ENTITY_LABEL} {{entity_id: row.source}})
MATCH (b0:{ENTITY_LABEL} {{entity_id: row.target}})
{_canonical('a0', 'at')}
WITH s, b0, coalesce(at, a0) AS a
{_canonical('b0', 'bt')}
WITH s, a, coalesce(bt, b0) AS b WHERE a <> b
MERGE (a)-[r:{edge_type}]->(b)
  ON CREATE SET r.signal_ids = [], r.partners = [], r.first_seen = s.observed_at,
                r.last_seen = s.observed_at
SET r.signal_ids = {_insert_sorted('r.signal_ids', 's.signal_id')},
    r.partners = {_insert_sorted('r.partners', 's.partner_id')},
    r.first_seen = CASE WHEN s.observed_at < r.first_seen THEN s.observed_at
                        ELSE r.first_seen END,
    r.last_seen = CASE WHEN s.observed_at > r.last_seen THEN s.observed_at ELSE r.last_seen END
"""


def _redirect_query(label: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (m:{ENTITY_LABEL} {{entity_id: row.merged}})
SET m:{label}
MERGE (i:{ENTITY_LABEL} {{entity_id: row.into}})
SET i:{label}
WITH m, i, row
WHERE m <> i AND NOT EXISTS {{ (i)-[:MERGED_INTO*1..{MAX_REDIRECTS}]->(m) }}
MERGE (m)-[r:MERGED_INTO]->(i)
  ON CREATE SET r.reason = row.reason, r.record_id = row.record_id
"""


def _absorb_query(subject_type: str) -> str:
    label, props = GRAPH_LABEL[subject_type], entity_properties(subject_type)
    return f"""
UNWIND $rows AS row
MATCH (m:{label} {{entity_id: row.merged}})-{_CANONICAL.format(var='t')}
CALL (m, t) {{
  WITH m, t, coalesce(m.prop_versions, {_blank(props)}) AS mv,
       coalesce(t.prop_versions, {_blank(props)}) AS tv
  {_newest_wins('t', 'm', props, 'mv[]', 'tv')}
}}
"""


MOVE_MENTIONS = f"""
UNWIND $rows AS row
MATCH (m:{ENTITY_LABEL} {{entity_id: row.merged}})-{_CANONICAL.format(var='t')}
MATCH (s:Signal)-[old:MENTIONS]->(m)
MERGE (s)-[new:MENTIONS {{ref: old.ref}}]->(t)
SET new += properties(old)
DELETE old
"""


def _move_query(edge_type: str, outgoing: bool) -> str:
    old = f"(m)-[old:{edge_type}]->(x)" if outgoing else f"(x)-[old:{edge_type}]->(m)"
    new = f"(t)-[new:{edge_type}]->(x)" if outgoing else f"(x)-[new:{edge_type}]->(t)"
    return f"""
UNWIND $rows AS row
MATCH (m:{ENTITY_LABEL} {{entity_id: row.merged}})-{_CANONICAL.format(var='t')}
MATCH {old}
FOREACH (_ IN CASE WHEN x = t THEN [] ELSE [1] END |
  MERGE {new}
    ON CREATE SET new.signal_ids = [], new.partners = [], new.first_seen = old.first_seen,
                  new.last_seen = old.last_seen
  SET new.signal_ids = {_union_sorted('new.signal_ids', 'old.signal_ids')},
      new.partners = {_union_sorted('new.partners', 'old.partners')},
      new.first_seen = CASE WHEN old.first_seen < new.first_seen THEN old.first_seen
                            ELSE new.first_seen END,
      new.last_seen = CASE WHEN old.last_seen > new.last_seen THEN old.last_seen
                           ELSE new.last_seen END)
DELETE old
"""


PLACE_LOCATIONS = f"""
UNWIND $ids AS id
MATCH (n:Location {{entity_id: id}})
{_canonical('n', 't')}
WITH n, coalesce(t, n) AS e
OPTIONAL MATCH (n)-[stale:IN]->() WHERE n <> e
DELETE stale
WITH DISTINCT e
WITH e, coalesce(e.municipality, e.city) AS name, coalesce(e.country, 'NL') AS country
WHERE name IS NOT NULL
WITH e, name, country + ':' + toLower(replace(trim(name), ' ', '-')) AS code
OPTIONAL MATCH (e)-[old:IN]->(other:Municipality) WHERE other.code <> code
DELETE old
WITH DISTINCT e, name, code
MERGE (mu:Municipality {{code: code}})
  ON CREATE SET mu.name = name
SET mu.name = CASE WHEN name < mu.name THEN name ELSE mu.name END
MERGE (e)-[:IN]->(mu)
"""
"""Each touched location (or its survivor) ``IN`` the municipality of its current address."""

MENTIONS_QUERIES = {kind: _mentions_query(kind) for kind in GRAPH_LABEL}
LINK_QUERIES = {edge.type: _link_query(edge.type) for edge in relation_types()}
UPSERT_REVIEWS = f"""
UNWIND $rows AS row
MERGE (r:ReviewCandidate {{review_id: row.review_id}})
  ON CREATE SET r.a = row.a, r.b = row.b, r.status = 'open', r.signal_ids = [],
                r.score = row.score, r.proposed_at = datetime(row.observed_at)
WITH r, row
CALL (r, row) {{
  SET r.score = CASE WHEN row.score > r.score THEN row.score ELSE r.score END,
      r.proposed_at = CASE WHEN datetime(row.observed_at) < r.proposed_at
                           THEN datetime(row.observed_at) ELSE r.proposed_at END,
      r.signal_ids = {_insert_sorted('r.signal_ids', 'row.signal_id')}
}}
"""
"""Possible duplicates for an analyst (the resolver's review band): one node per entity pair,
its highest score, earliest observation and sorted proposing signals. Max, min and a sorted union,
so any order of replay converges; an analyst's decision (``status``) is never overwritten."""

REDIRECT_QUERIES = {kind: _redirect_query(label) for kind, label in GRAPH_LABEL.items()}
ABSORB_QUERIES = {kind: _absorb_query(kind) for kind in GRAPH_LABEL}
_MOVE_BY_EDGE = {(edge.type, outgoing): _move_query(edge.type, outgoing)
                 for edge in relation_types() for outgoing in (True, False)}
MOVE_QUERIES = tuple(_MOVE_BY_EDGE.values())
MERGED_EDGES = f"""
UNWIND $rows AS row
MATCH (m:{ENTITY_LABEL} {{entity_id: row.merged}})
UNWIND [(m)-[r]->() | [type(r), true]] + [(m)<-[r]-() | [type(r), false]] AS edge
RETURN DISTINCT edge[0] AS type, edge[1] AS outgoing
"""
"""The relation types and directions the merged entities have edges of: only those
``MOVE_QUERIES`` have anything to move (moving an edge to a survivor gives its other end no
type or direction it did not have), so the others are not run."""


@dataclass
class GraphBatch:
    """The rows of one batch, grouped by the query that writes them."""

    signals: list[dict[str, Any]] = field(default_factory=list)
    mentions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    """Subject type → mention rows."""
    links: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    """Edge type → link rows."""
    merges: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    """Subject type → merge rows (``merged``, ``into``, ``reason``, ``record_id``)."""
    locations: set[str] = field(default_factory=set)
    """Location entity ids whose municipality must be (re)placed."""
    reviews: list[dict[str, Any]] = field(default_factory=list)
    """Possible duplicates: ``review_id``, ``a``, ``b``, ``score``, ``signal_id``,
    ``observed_at``."""

    def __len__(self) -> int:
        return len(self.signals) + sum(len(rows) for rows in self.merges.values())


def write_batch(driver: Driver, database: str, batch: GraphBatch) -> None:
    """Write one batch in one transaction (retried by the driver on transient errors)."""
    with driver.session(database=database) as session:
        session.execute_write(_write, batch)


def _write(tx: ManagedTransaction, batch: GraphBatch) -> None:
    revisions = [{"signal_id": row["signal_id"], "revision": row["revision"]}
                 for row in batch.signals if row["revision"] > FIRST_REVISION]
    if revisions:  # a first revision has nothing to retract
        tx.run(RETRACT_SIGNALS, rows=revisions).consume()
    if batch.signals:
        tx.run(UPSERT_SIGNALS, rows=batch.signals).consume()
    for kind, rows in batch.mentions.items():
        tx.run(MENTIONS_QUERIES[kind], rows=rows).consume()
    for edge_type, rows in batch.links.items():
        tx.run(LINK_QUERIES[edge_type], rows=rows).consume()
    merges = [row for rows in batch.merges.values() for row in rows]
    if merges:
        for kind, rows in batch.merges.items():
            tx.run(REDIRECT_QUERIES[kind], rows=rows).consume()
        for kind, rows in batch.merges.items():
            tx.run(ABSORB_QUERIES[kind], rows=rows).consume()
        tx.run(MOVE_MENTIONS, rows=merges).consume()
        present = {(record["type"], record["outgoing"])
                   for record in tx.run(MERGED_EDGES, rows=merges)}
        for edge, query in _MOVE_BY_EDGE.items():
            if edge in present:
                tx.run(query, rows=merges).consume()
    if batch.locations:
        tx.run(PLACE_LOCATIONS, ids=sorted(batch.locations)).consume()
    if batch.reviews:
        tx.run(UPSERT_REVIEWS, rows=batch.reviews).consume()
