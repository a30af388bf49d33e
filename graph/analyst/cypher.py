"""The Cypher of the analyst queries: module-level constants, values only ever as parameters.

Labels and relationship types come from ``schemas/graph_model.py`` (checked to be plain
identifiers); the visibility and filter conditions are constant fragments over the parameters
every query gets:

- ``$partner`` (the caller's partner) and ``$cleared`` (``policy.visible_pairs``: the
  ``[distribution, purpose]`` pairs ``policy.may_see`` allows) decide whether a signal is
  visible: ``s.partner_id = $partner OR [s.distribution, s.purpose] IN $cleared``;
- ``$since``, ``$until``, ``$partners``, ``$categories`` (each null for "no filter") decide whether
  a visible signal counts as evidence in a traversal or timeline.

Every query starts from the unique index on ``:Entity(entity_id)`` (or on a municipality's code);
only the global ones (clusters, ring seeds) scan.
"""

from __future__ import annotations

from graph.cypher_parts import MAX_REDIRECTS
from graph.exceptions import SchemaError
from graph.schema import IDENTIFIER
from schemas.graph_model import ENTITY_LABEL, SEARCH_INDEX, relation_types


def _identifiers(*names: str) -> tuple[str, ...]:
    for name in names:
        if not IDENTIFIER.match(name):
            raise SchemaError(name, "is not a plain identifier")
    return names


RELATION_TYPES: tuple[str, ...] = _identifiers(*(e.type for e in relation_types()))
"""Edges between entities that carry provenance (DIRECTOR_OF, USES, CONTROLS, ...)."""
ADDRESS_TYPES: tuple[str, ...] = _identifiers(
    *(e.type for e in relation_types() if e.targets == ("Location",)))
"""Edges that put a person or business at a location (LOCATED_AT, LIVES_AT)."""
_ENTITY = _identifiers(ENTITY_LABEL)[0]
_REL = "|".join(RELATION_TYPES)
_ADDR = "|".join(ADDRESS_TYPES)


def _visible(s: str) -> str:
    """The caller may see signal ``s`` (the policy, as parameters)."""
    return f"({s}.partner_id = $partner OR [{s}.distribution, {s}.purpose] IN $cleared)"


def _counts(s: str) -> str:
    """Signal ``s`` passes the caller's filters."""
    return (f"($since IS NULL OR {s}.observed_at >= $since) "
            f"AND ($until IS NULL OR {s}.observed_at < $until) "
            f"AND ($partners IS NULL OR {s}.partner_id IN $partners) "
            f"AND ($categories IS NULL OR {s}.category IN $categories)")


def _props(x: str) -> str:
    """What the visible signals say about entity ``x``: the property maps of its visible
    mentions, newest first (``build.summary`` takes each property from the newest that has it).
    Never the node's own properties: those may come from a signal the caller cannot see."""
    return (f"COLLECT {{ MATCH ({x})<-[pm:MENTIONS]-(ps:Signal) WHERE {_visible('ps')} "
            f"RETURN properties(pm) ORDER BY pm.version DESC LIMIT {_MENTIONS_SHOWN} }}")


_MENTIONS_SHOWN = 25
_EVIDENCE = "{.signal_id, .partner_id, .observed_at}"

RESOLVE = f"""
MATCH (n:{_ENTITY} {{entity_id: $id}})
OPTIONAL MATCH chain = (n)-[:MERGED_INTO*1..{MAX_REDIRECTS}]->(t:{_ENTITY})
  WHERE NOT (t)-[:MERGED_INTO]->()
WITH n, chain, coalesce(t, n) AS e
RETURN e.entity_id AS entity_id,
       CASE WHEN chain IS NULL THEN [] ELSE [x IN nodes(chain)[0..-1] | x.entity_id] END
         AS redirected_from,
       EXISTS {{ MATCH (e)<-[:MENTIONS]-(s:Signal) WHERE {_visible('s')} }} AS visible,
       labels(e) AS labels, {_props('e')} AS props
LIMIT 1
"""
"""An id → the live entity at the end of its MERGED_INTO chain, and whether the caller sees it."""

PROFILE = f"""
MATCH (e:{_ENTITY} {{entity_id: $id}})
CALL (e) {{
  OPTIONAL MATCH (e)<-[m:MENTIONS]-(s:Signal) WHERE {_visible('s')}
  RETURN count(DISTINCT s) AS signals, collect(DISTINCT s.partner_id) AS partners,
         collect(m.role) AS roles, min(s.observed_at) AS first_seen,
         max(s.observed_at) AS last_seen
}}
CALL (e) {{
  OPTIONAL MATCH (e)-[r:{_REL}]-(:{_ENTITY})
    WHERE EXISTS {{ MATCH (s:Signal) WHERE s.signal_id IN r.signal_ids AND {_visible('s')} }}
  RETURN collect(type(r)) AS relations
}}
CALL (e) {{
  OPTIONAL MATCH (e)<-[:MENTIONS]-(s:Signal)-[:MENTIONS]->(o:{_ENTITY})
    WHERE o <> e AND {_visible('s')}
  RETURN count(DISTINCT o) AS co_mentioned
}}
RETURN labels(e) AS labels, {_props('e')} AS props, signals, partners, roles, first_seen,
       last_seen, relations, co_mentioned
"""

HOP = f"""
UNWIND $frontier AS id
MATCH (n:{_ENTITY} {{entity_id: id}})
CALL (n) {{
  MATCH (n)-[r:{_REL}]-(o:{_ENTITY})
  WITH o, type(r) AS kind, startNode(r) = n AS outgoing,
       COLLECT {{ MATCH (s:Signal)
                  WHERE s.signal_id IN r.signal_ids AND {_visible('s')} AND {_counts('s')}
                  RETURN s {_EVIDENCE} }} AS evidence
  WHERE size(evidence) > 0
    AND EXISTS {{ MATCH (o)<-[:MENTIONS]-(s2:Signal) WHERE {_visible('s2')} }}
  RETURN o, kind, outgoing, evidence
  UNION ALL
  MATCH (n)<-[:MENTIONS]-(s:Signal)-[:MENTIONS]->(o:{_ENTITY})
  WHERE o <> n AND {_visible('s')} AND {_counts('s')}
  WITH o, collect(DISTINCT s {_EVIDENCE}) AS evidence
  RETURN o, 'CO_MENTIONED' AS kind, true AS outgoing, evidence
}}
WITH n, o, kind, outgoing, evidence
WHERE ($labels IS NULL OR any(l IN labels(o) WHERE l IN $labels))
  AND ($roles IS NULL
       OR EXISTS {{ MATCH (o)<-[m:MENTIONS]-(s4:Signal)
                   WHERE m.role IN $roles AND {_visible('s4')} AND {_counts('s4')} }})
  AND ($person_roles IS NULL OR NOT o:Person
       OR EXISTS {{ MATCH (o)<-[m3:MENTIONS]-(s3:Signal)
                   WHERE m3.role IN $person_roles AND {_visible('s3')} }})
RETURN n.entity_id AS origin, o.entity_id AS other, labels(o) AS labels, {_props('o')} AS props,
       kind, outgoing, evidence
LIMIT $max_rows
"""
"""One step out from every entity of ``$frontier``: the visible, counting connections (relation
edges with provenance reduced to counting signals; co-mentions in a counting signal) to entities
the caller sees (a co-mentioned one is seen through that signal; the end of a relation edge is
checked), that carry one of ``$labels`` and pass the role filters. A ``$x IS NULL OR EXISTS``
condition costs nothing when the filter is off (the planner short-circuits it)."""

ENTITIES = f"""
UNWIND $ids AS id
MATCH (e:{_ENTITY} {{entity_id: id}})
RETURN e.entity_id AS entity_id, labels(e) AS labels, {_props('e')} AS props
"""

RING_SEEDS = f"""
MATCH (s:Signal)-[m:MENTIONS]->(p:Person:{_ENTITY})
WHERE m.role IN $person_roles AND {_visible('s')}
RETURN DISTINCT p.entity_id AS id
LIMIT $max_nodes
"""
"""Persons a visible signal names as suspect (or facilitator): where rings are searched from."""

MEMBER_SIGNALS = f"""
UNWIND $ids AS id
MATCH (e:{_ENTITY} {{entity_id: id}})<-[m:MENTIONS]-(s:Signal)
WHERE {_visible('s')}
RETURN id, collect({{signal_id: s.signal_id, partner_id: s.partner_id, severity: s.severity,
                    role: m.role}}) AS evidence
"""

TIMELINE = f"""
MATCH (e:{_ENTITY} {{entity_id: $id}})<-[m:MENTIONS]-(s:Signal)
WHERE {_visible('s')} AND {_counts('s')}
WITH s, collect(DISTINCT m.role) AS roles
RETURN s {{.*}} AS signal, roles
ORDER BY s.observed_at, s.signal_id
LIMIT $max_rows
"""

WHY = f"""
MATCH (a:{_ENTITY} {{entity_id: $a}})
MATCH (b:{_ENTITY} {{entity_id: $b}})
CALL (a, b) {{
  MATCH (a)-[r:{_REL}]-(b)
  MATCH (s:Signal) WHERE s.signal_id IN r.signal_ids AND {_visible('s')}
  RETURN type(r) AS kind, startNode(r) = a AS outgoing, s
  UNION
  MATCH (a)<-[:MENTIONS]-(s:Signal)-[:MENTIONS]->(b) WHERE {_visible('s')}
  RETURN 'CO_MENTIONED' AS kind, true AS outgoing, s
}}
RETURN kind, outgoing, s {{.*}} AS signal,
       [(s)-[m:MENTIONS]->(a) | m.role] AS roles_a,
       [(s)-[m:MENTIONS]->(b) | m.role] AS roles_b
ORDER BY kind, outgoing DESC, s.observed_at, s.signal_id
"""
"""Every visible signal behind each direct link between two live entities."""

CLUSTERS = f"""
MATCH (l:Location:{_ENTITY})<-[:{_ADDR}]-(:{_ENTITY})
WHERE $municipality IS NULL OR EXISTS {{ (l)-[:IN]->(:Municipality {{code: $municipality}}) }}
WITH l, count(*) AS edges WHERE edges >= $min_size
MATCH (l)<-[r:{_ADDR}]-(x:{_ENTITY})
WITH l, x, type(r) AS kind,
     COLLECT {{ MATCH (s:Signal) WHERE s.signal_id IN r.signal_ids AND {_visible('s')}
                RETURN s {{.signal_id, .partner_id}} }} AS evidence
WHERE size(evidence) > 0
WITH l, x, collect(kind) AS kinds, reduce(acc = [], ev IN collect(evidence) | acc + ev) AS evidence
WHERE EXISTS {{ MATCH (x)<-[:MENTIONS]-(s2:Signal) WHERE {_visible('s2')} }}
WITH l, collect({{entity_id: x.entity_id, labels: labels(x), props: {_props('x')}, kinds: kinds,
                 evidence: evidence}}) AS members
WHERE size(members) >= $min_size
  AND EXISTS {{ MATCH (l)<-[:MENTIONS]-(s3:Signal) WHERE {_visible('s3')} }}
OPTIONAL MATCH (l)-[:IN]->(mu:Municipality)
RETURN l.entity_id AS entity_id, labels(l) AS labels, {_props('l')} AS props,
       mu.code AS municipality, members
ORDER BY size(members) DESC, entity_id
LIMIT $limit
"""
"""Locations (in ``$municipality``, when given) with at least ``$min_size`` persons and
businesses tied to them by visible LOCATED_AT / LIVES_AT edges (counted cheaply first, then
checked edge by edge)."""

MUNICIPALITY = """
MATCH (m:Municipality {code: $code}) RETURN m.name AS name
"""

WATERBED = f"""
MATCH (m0:Municipality {{code: $code}})<-[:IN]-(:Location)<-[:MENTIONS]-(s0:Signal)
WHERE s0.observed_at >= $before AND s0.observed_at < $at AND {_visible('s0')}
MATCH (s0)-[:MENTIONS]->(e:{_ENTITY}) WHERE NOT e:Location
WITH m0, e, collect(DISTINCT s0.signal_id) AS before_ids
CALL (m0, e) {{
  MATCH (e)<-[:MENTIONS]-(s1:Signal)-[:MENTIONS]->(:Location)-[:IN]->(m1:Municipality)
  WHERE m1 <> m0 AND s1.observed_at >= $at AND s1.observed_at < $after AND {_visible('s1')}
  WITH m1, collect(DISTINCT s1.signal_id) AS ids ORDER BY m1.code
  RETURN collect({{code: m1.code, name: m1.name, signal_ids: ids}}) AS moved_to
}}
WITH m0, e, before_ids, moved_to WHERE size(moved_to) > 0
WITH e, before_ids, moved_to,
     size(COLLECT {{ MATCH (e)<-[:MENTIONS]-(s2:Signal)-[:MENTIONS]->(:Location)-[:IN]->(m0)
                    WHERE s2.observed_at >= $at AND s2.observed_at < $after
                      AND {_visible('s2')}
                    RETURN DISTINCT s2.signal_id }}) AS stayed
RETURN e.entity_id AS entity_id, labels(e) AS labels, {_props('e')} AS props, before_ids,
       moved_to, stayed
ORDER BY stayed, size(moved_to) DESC, entity_id
LIMIT $limit
"""
"""Entities named in visible signals at a location in ``$code`` in ``[$before, $at)`` and in
visible signals at a location in another municipality in ``[$at, $after)``."""

SEARCH = f"""
CALL db.index.fulltext.queryRelationships('{_identifiers(SEARCH_INDEX)[0]}', $text,
                                          {{limit: $hits}})
  YIELD relationship AS m, score
WITH startNode(m) AS s, endNode(m) AS e, score
WHERE s:Signal AND {_visible('s')}
WITH e, max(score) AS best
ORDER BY best DESC, e.entity_id
LIMIT $limit
RETURN e.entity_id AS entity_id, labels(e) AS labels, {_props('e')} AS props, best
"""
"""Entities whose *visible* mentions match a Lucene query over names and identifiers (the
index hits of hidden signals are dropped before anything is returned), best match first."""

_LIVE = (f"[(x)-[:MERGED_INTO*0..{MAX_REDIRECTS}]->(t:{_ENTITY}) "
         "WHERE NOT (t)-[:MERGED_INTO]->() | t][0]")

REVIEWS = f"""
MATCH (r:ReviewCandidate)
WHERE ($review_id IS NULL AND r.status = 'open') OR r.review_id = $review_id
WITH r ORDER BY r.score DESC, r.review_id
CALL (r) {{
  MATCH (x:{_ENTITY} {{entity_id: r.a}}) RETURN {_LIVE} AS a
}}
CALL (r) {{
  MATCH (x:{_ENTITY} {{entity_id: r.b}}) RETURN {_LIVE} AS b
}}
WITH r, a, b,
     [sid IN r.signal_ids WHERE EXISTS {{
        MATCH (s:Signal {{signal_id: sid}}) WHERE {_visible('s')} }}] AS shown
WHERE a <> b AND size(shown) > 0 AND ($entity IS NULL OR $entity IN [a.entity_id, b.entity_id])
  AND EXISTS {{ MATCH (a)<-[:MENTIONS]-(s1:Signal) WHERE {_visible('s1')} }}
  AND EXISTS {{ MATCH (b)<-[:MENTIONS]-(s2:Signal) WHERE {_visible('s2')} }}
RETURN r {{.review_id, .score, .status, .proposed_at, .decided_by, .decided_at}} AS review,
       shown AS signal_ids,
       a.entity_id AS a_id, labels(a) AS a_labels, {_props('a')} AS a_props,
       b.entity_id AS b_id, labels(b) AS b_labels, {_props('b')} AS b_props
LIMIT $limit
"""
"""Open review candidates (or the one ``$review_id``; only those about ``$entity`` when given)
the caller may judge: both entities (after merges, and no longer one) seen through visible
signals, and a visible proposing signal; only the visible proposing signals are listed."""

DECIDE_REVIEW = """
MATCH (r:ReviewCandidate {review_id: $review_id}) WHERE r.status = 'open'
SET r.status = $status, r.decided_by = $analyst, r.decided_partner = $partner,
    r.decided_at = $at
RETURN r.review_id AS review_id
"""
"""Record an analyst's decision, only on a candidate still open (else no row)."""
