"""The RIEC analysts' questions to the graph, each filtered by the caller's clearance and audited.

``AnalystQueries`` is the one entry point. Every method takes the ``policy.Caller`` first and:

1. checks its parameters (``graph.analyst.params``; bad input raises a ``QueryInputError``
   subclass before anything runs);
2. requires the ``analyst`` role of the caller's partner (else ``RoleRequiredError``, audited as
   ``denied``);
3. runs constant Cypher (``graph.analyst.cypher``) in one read transaction, with the policy
   turned into parameters (``policy.visible_pairs``): a signal is visible iff ``policy.may_see``
   allows its distribution and purpose or the caller's partner published it; an entity iff a
   visible signal mentions it; a relation edge iff one of its ``signal_ids`` is visible, its
   provenance then cut down to the visible signals and their partners;
4. shows a signal's own fields (timeline, why-linked) only as ``policy.view.visible_fields``
   allows the caller for that signal (``record_fields``: its distribution, purpose and the
   publisher's source kind from the registry), exactly as the router cuts a delivery: an
   anonymous tip's partner_ref never;
5. writes the audit entry (who, what, when, how many results) and waits for the broker's
   acknowledgement — only then returns. A failed audit write raises ``AuditError`` and the
   results are dropped. A lookup of an id that is unknown (or invisible: the same answer) is
   audited as ``not-found`` before ``UnknownEntityError`` is raised.

Given an entity id, a query follows ``MERGED_INTO`` to the live survivor and reports it in the
result's ``Anchor``; merged nodes are never returned as entities (they have no mentions left).

**What counts as a connection** between two entities: a relation edge (DIRECTOR_OF, USES,
LIVES_AT, ...) with at least one visible (and, under filters, counting) signal behind it, or
being mentioned together in one such signal (``CO_MENTIONED``) — anonymous tips name subjects
without relations. Traversals walk these connections breadth-first from the anchor, one query
per step for the whole frontier, with a node limit (``truncated`` tells when it cut).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any, TypeVar

from neo4j import READ_ACCESS, Driver, ManagedTransaction

from core.audit import AuditLog
from graph.analyst import cypher
from graph.analyst.build import Explored, role_counts, signal_summary, summary, to_datetime
from graph.analyst.model import (
    CO_MENTIONED,
    AddressCluster,
    Anchor,
    ClusterMember,
    EntitySummary,
    LinkReason,
    Move,
    Neighbourhood,
    Path,
    Paths,
    Profile,
    ReviewCandidate,
    Ring,
    Rings,
    SearchHit,
    SearchResult,
    Support,
    Timeline,
    TimelineEntry,
    Waterbed,
    WaterbedShift,
    WhyLinked,
)
from graph.analyst.params import (
    DEFAULT_LIMIT,
    MAX_DEPTH,
    MAX_WINDOW_DAYS,
    Filters,
    check_count,
    check_depth,
    check_entity_id,
    check_municipality,
    parse_when,
    window,
)
from graph.analyst.rings import (
    RING_LABELS,
    RING_PERSON_ROLES,
    MemberInfo,
    project,
    rank_rings,
    shortest_paths,
)
from graph.analyst.search import lucene_query, matched_fields
from graph.exceptions import QueryInputError, UnknownEntityError, UnknownMunicipalityError
from policy.clearance import Caller, require_role, visible_pairs
from policy.exceptions import RoleRequiredError
from policy.registry import Registry
from policy.view import record_fields

ANALYST_ROLE = "analyst"
ROWS_PER_NODE = 20
"""Rows one traversal step may read per entity of the node limit (bounds a step's work)."""
SEARCH_LIMIT = 50
REVIEW_LIMIT = 100
SEARCH_HITS_PER_RESULT = 20
"""Index hits read per result asked for (hits of hidden signals and of one entity drop out)."""
MAX_RING_STEPS = 12
"""Steps the ring search takes from its seeds before it stops (and says it was truncated)."""

T = TypeVar("T")
Work = Callable[[ManagedTransaction, dict[str, Any]], T]


Fields = Callable[[Mapping[str, Any]], frozenset[str]]
"""A signal node's properties → the fields of it the caller may see."""


class AnalystQueries:
    """The analyst queries on one database; ``audit`` receives an entry per query; ``registry``
    gives each publisher's source kind to the field policy (``policy.view``)."""

    def __init__(self, driver: Driver, database: str, audit: AuditLog, registry: Registry
                 ) -> None:
        self._driver, self._database, self._audit = driver, database, audit
        self._registry = registry

    def _fields(self, caller: Caller) -> Fields:
        return lambda node: record_fields(caller.clearance, node, self._registry)

    # -- queries -----------------------------------------------------------------------------
    def profile(self, caller: Caller, entity_id: str) -> Profile:
        """The entity (after merges) with its visible signals' partners, roles, first and last
        observation, and its visible links by type."""
        entity_id = check_entity_id(entity_id)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Profile:
            anchor, entity = _anchor(tx, base, entity_id)
            row = tx.run(cypher.PROFILE, base, id=anchor.entity_id).single(strict=True)
            links = role_counts(row["relations"])
            if row["co_mentioned"]:
                links[CO_MENTIONED] = int(row["co_mentioned"])
            return Profile(anchor=anchor, entity=entity, signal_count=int(row["signals"]),
                           partners=tuple(sorted(row["partners"])),
                           roles=role_counts(row["roles"]),
                           first_seen=to_datetime(row["first_seen"]),
                           last_seen=to_datetime(row["last_seen"]), links=links)

        return self._run(caller, "profile", {"entity_id": entity_id}, work, lambda _: 1)

    def neighbourhood(self, caller: Caller, entity_id: str, depth: int = 2,
                      filters: Filters | None = None, limit: int = DEFAULT_LIMIT
                      ) -> Neighbourhood:
        """Entities within ``depth`` (1..4) connections of the entity, and the links between
        them, counting only signals that pass ``filters``; at most ``limit`` entities."""
        entity_id, depth = check_entity_id(entity_id), check_depth(depth)
        limit, filters = check_count(limit, "limit"), filters or Filters()

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Neighbourhood:
            anchor, entity = _anchor(tx, base, entity_id)
            explored = _explore(tx, {**base, **filters.params()}, [entity], depth, limit)
            return Neighbourhood(anchor=anchor, depth=depth,
                                 nodes=tuple(explored.nodes.values()),
                                 distance=dict(explored.distance), links=explored.links(),
                                 truncated=explored.truncated)

        params = {"entity_id": entity_id, "depth": depth, "limit": limit, **filters.describe()}
        return self._run(caller, "neighbourhood", params, work, lambda r: len(r.nodes))

    def shortest_paths(self, caller: Caller, a: str, b: str, max_depth: int = MAX_DEPTH,
                       filters: Filters | None = None, limit: int = DEFAULT_LIMIT,
                       max_paths: int = 25) -> Paths:
        """All shortest paths between two entities of at most ``max_depth`` (1..4) connections
        (up to ``max_paths``). Explores ``ceil(d/2)`` steps around ``a`` and ``floor(d/2)``
        around ``b`` (at most ``limit`` entities each), which holds every path of length
        ``<= d``; networkx finds the shortest ones on that projection."""
        a, b = check_entity_id(a, "a"), check_entity_id(b, "b")
        max_depth, filters = check_depth(max_depth, "max_depth"), filters or Filters()
        limit, max_paths = check_count(limit, "limit"), check_count(max_paths, "max_paths")

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Paths:
            anchor_a, entity_a = _anchor(tx, base, a)
            anchor_b, entity_b = _anchor(tx, base, b)
            params = {**base, **filters.params()}
            around_a = _explore(tx, params, [entity_a], math.ceil(max_depth / 2), limit)
            around_b = _explore(tx, params, [entity_b], max_depth // 2, limit)
            nodes = {**around_b.nodes, **around_a.nodes}
            links = {item.key: item for item in (*around_b.links(), *around_a.links())}
            graph = project(nodes, links.values())
            found = shortest_paths(graph, anchor_a.entity_id, anchor_b.entity_id, max_depth,
                                   max_paths)
            paths = tuple(Path(ids, tuple(
                tuple(sorted(graph.edges[x, y]["links"], key=lambda i: i.key))
                for x, y in pairwise(ids))) for ids in found)
            on_paths = sorted({i for p in found for i in p})
            return Paths(anchor_a, anchor_b, max_depth, tuple(nodes[i] for i in on_paths), paths,
                         complete=not (around_a.truncated or around_b.truncated))

        params = {"a": a, "b": b, "max_depth": max_depth, "limit": limit,
                  "max_paths": max_paths, **filters.describe()}
        return self._run(caller, "shortest_paths", params, work, lambda r: len(r.paths))

    def shared_address_clusters(self, caller: Caller, min_size: int = 5, limit: int = 100,
                                municipality: str | None = None) -> tuple[AddressCluster, ...]:
        """Locations (in ``municipality``, a code like ``NL:rotterdam``, when given) with at
        least ``min_size`` persons and businesses tied to them by visible LOCATED_AT / LIVES_AT
        edges, largest first. Only relation edges count here: a co-mention of a person and an
        address in a tip does not say the person is there."""
        min_size = check_count(min_size, "min_size", 2)
        limit = check_count(limit, "limit")
        code = check_municipality(municipality) if municipality is not None else None

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> tuple[AddressCluster, ...]:
            clusters = []
            for row in tx.run(cypher.CLUSTERS, base, min_size=min_size, limit=limit,
                              municipality=code):
                members = tuple(sorted((ClusterMember(
                    summary(m["entity_id"], m["labels"], m["props"]),
                    tuple(sorted(set(m["kinds"]))),
                    tuple(sorted({e["signal_id"] for e in m["evidence"]})))
                    for m in row["members"]), key=lambda m: m.entity.entity_id))
                partners = {e["partner_id"] for m in row["members"] for e in m["evidence"]}
                clusters.append(AddressCluster(
                    summary(row["entity_id"], row["labels"], row["props"]), row["municipality"],
                    members, tuple(sorted(partners))))
            return tuple(clusters)

        params = {"min_size": min_size, "limit": limit, "municipality": code}
        return self._run(caller, "shared_address_clusters", params, work, len)

    def rings(self, caller: Caller, min_size: int = 3, limit: int = 50,
              max_nodes: int = 5000, around: Sequence[str] | None = None) -> Rings:
        """Connected groups of suspects (persons a visible signal names suspect or facilitator),
        businesses and locations with at least ``min_size`` members and at least one suspect,
        ranked by risk (see ``graph.analyst.rings``). Searched outward through visible
        connections from every suspect, or only from the entities ``around`` names (the rings
        they are in), at most ``max_nodes`` entities; components by networkx."""
        min_size = check_count(min_size, "min_size", 2)
        limit, max_nodes = check_count(limit, "limit"), check_count(max_nodes, "max_nodes",
                                                                   high=100_000)
        around_ids = None if around is None else \
            [check_entity_id(i, "around") for i in around] or None

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Rings:
            params = {**base, **Filters().params(), "labels": list(RING_LABELS),
                      "person_roles": list(RING_PERSON_ROLES)}
            if around_ids is not None:
                starts = list({e.entity_id: e for e in
                               (_anchor(tx, base, i)[1] for i in around_ids)}.values())
                seeds = [s.entity_id for s in starts]
            else:
                seeds = [r["id"] for r in tx.run(cypher.RING_SEEDS, params, max_nodes=max_nodes)]
                starts = [summary(r["entity_id"], r["labels"], r["props"])
                          for r in tx.run(cypher.ENTITIES, base, ids=seeds)]
            explored = _explore(tx, params, starts, MAX_RING_STEPS, max_nodes, exhaustive=True)
            info = _member_info(tx, base, list(explored.nodes))
            links = explored.links()
            graph = project(explored.nodes, links)
            ranked = rank_rings(graph, info, min_size)
            rings = []
            for rank, (risk, members) in enumerate(ranked[:limit], 1):
                inside = set(members)
                rings.append(Ring(rank, risk, tuple(explored.nodes[m] for m in members),
                                  tuple(i for i in links if i.source in inside),
                                  tuple(sorted({p for m in members
                                                for p, _ in info[m].signals.values()}))))
            return Rings(tuple(rings), truncated=explored.truncated or len(seeds) >= max_nodes
                         or len(ranked) > limit)

        params = {"min_size": min_size, "limit": limit, "max_nodes": max_nodes,
                  "around": around_ids}
        return self._run(caller, "rings", params, work, lambda r: len(r.rings))

    def timeline(self, caller: Caller, entity_id: str, filters: Filters | None = None,
                 limit: int = DEFAULT_LIMIT) -> Timeline:
        """The visible signals about the entity, oldest first, with its role(s) in each."""
        entity_id, filters = check_entity_id(entity_id), filters or Filters()
        limit = check_count(limit, "limit")

        fields = self._fields(caller)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Timeline:
            anchor, _ = _anchor(tx, base, entity_id)
            rows = list(tx.run(cypher.TIMELINE, {**base, **filters.params()},
                               id=anchor.entity_id, max_rows=limit + 1))
            entries = tuple(TimelineEntry(signal_summary(r["signal"], shown),
                                          tuple(sorted(r["roles"])))
                            for r in rows[:limit] if (shown := fields(r["signal"])))
            return Timeline(anchor, entries, truncated=len(rows) > limit)

        params = {"entity_id": entity_id, "limit": limit, **filters.describe()}
        return self._run(caller, "timeline", params, work, lambda r: len(r.entries))

    def waterbed(self, caller: Caller, municipality: str, intervention: str | date | datetime,
                 window_days: int = 90, limit: int = DEFAULT_LIMIT) -> Waterbed:
        """Entities that visible signals place in ``municipality`` (through a mentioned location)
        in the ``window_days`` before the intervention, and in another municipality in the
        ``window_days`` after it: the waterbed effect. Those no longer seen in the origin after
        the date come first (``stayed`` = 0)."""
        code = check_municipality(municipality)
        at = parse_when(intervention, "intervention")
        window_days = check_count(window_days, "window_days", high=MAX_WINDOW_DAYS)
        limit = check_count(limit, "limit")
        before, _, after = window(at, window_days)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> Waterbed:
            if tx.run(cypher.MUNICIPALITY, code=code).single() is None:
                raise UnknownMunicipalityError(code)
            shifts = tuple(WaterbedShift(
                summary(r["entity_id"], r["labels"], r["props"]),
                tuple(sorted(r["before_ids"])),
                tuple(Move(m["code"], m["name"], tuple(sorted(m["signal_ids"])))
                      for m in r["moved_to"]),
                int(r["stayed"]))
                for r in tx.run(cypher.WATERBED, base, code=code, before=before, at=at,
                                after=after, limit=limit))
            return Waterbed(code, at, window_days, shifts)

        params = {"municipality": code, "intervention": at, "window_days": window_days,
                  "limit": limit}
        return self._run(caller, "waterbed", params, work, lambda r: len(r.shifts))

    def why_linked(self, caller: Caller, a: str, b: str) -> WhyLinked:
        """Every visible reason two entities are directly linked: each relation edge and each
        shared signal, with the signals (and so partners) behind it and both entities' roles.
        A shared signal is listed as ``CO_MENTIONED`` only when it asserts no relation edge
        between the two (else it is already the support of that edge)."""
        a, b = check_entity_id(a, "a"), check_entity_id(b, "b")
        fields = self._fields(caller)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> WhyLinked:
            return _why(tx, base, _anchor(tx, base, a)[0], _anchor(tx, base, b)[0], fields)

        return self._run(caller, "why_linked", {"a": a, "b": b}, work,
                         lambda r: len(r.reasons))

    def why_path(self, caller: Caller, entity_ids: Sequence[str]) -> tuple[WhyLinked, ...]:
        """``why_linked`` for every step of a path (e.g. one from ``shortest_paths``)."""
        if isinstance(entity_ids, str) or not 2 <= len(entity_ids) <= MAX_DEPTH + 1:
            raise QueryInputError("entity_ids", entity_ids,
                                  f"a path of 2 to {MAX_DEPTH + 1} entity ids")
        ids = [check_entity_id(i, "entity_ids") for i in entity_ids]
        fields = self._fields(caller)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> tuple[WhyLinked, ...]:
            anchors = [_anchor(tx, base, i)[0] for i in ids]
            return tuple(_why(tx, base, x, y, fields) for x, y in pairwise(anchors))

        return self._run(caller, "why_path", {"entity_ids": ids}, work,
                         lambda r: sum(len(w.reasons) for w in r))

    def search(self, caller: Caller, text: str, limit: int = SEARCH_LIMIT) -> SearchResult:
        """Entities whose visible mentions match ``text``: a name, KvK number, postcode, phone,
        IBAN, plate, e-mail or website (``graph.analyst.search``), best match first."""
        query, limit = lucene_query(text), check_count(limit, "limit", high=SEARCH_LIMIT)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> SearchResult:
            rows = list(tx.run(cypher.SEARCH, base, text=query, hits=limit * SEARCH_HITS_PER_RESULT,
                               limit=limit + 1))
            hits = tuple(
                SearchHit(entity, tuple(matched_fields(text, entity.properties)), float(r["best"]))
                for r in rows[:limit]
                for entity in [summary(r["entity_id"], r["labels"], r["props"])])
            return SearchResult(text, hits, truncated=len(rows) > limit)

        return self._run(caller, "search", {"q": text, "limit": limit}, work,
                         lambda r: len(r.hits))

    def reviews(self, caller: Caller, review_id: str | None = None, entity_id: str | None = None,
                limit: int = REVIEW_LIMIT) -> tuple[ReviewCandidate, ...]:
        """Open merge-review candidates the caller may judge (or the one ``review_id``, whatever
        its status; only those about ``entity_id`` when given), highest score first."""
        limit = check_count(limit, "limit")
        if entity_id is not None:
            entity_id = check_entity_id(entity_id)

        def work(tx: ManagedTransaction, base: dict[str, Any]) -> tuple[ReviewCandidate, ...]:
            rows = tx.run(cypher.REVIEWS, base, review_id=review_id, entity=entity_id, limit=limit)
            return tuple(
                ReviewCandidate(
                    review_id=r["review"]["review_id"],
                    a=summary(r["a_id"], r["a_labels"], r["a_props"]),
                    b=summary(r["b_id"], r["b_labels"], r["b_props"]),
                    score=float(r["review"]["score"]), signal_ids=tuple(r["signal_ids"]),
                    proposed_at=to_datetime(r["review"]["proposed_at"]),
                    status=str(r["review"]["status"]))
                for r in rows)

        params = {"review_id": review_id, "entity_id": entity_id, "limit": limit}
        return self._run(caller, "reviews", params, work, len)

    # -- plumbing ----------------------------------------------------------------------------
    def _run(self, caller: Caller, action: str, params: Mapping[str, Any], work: Work[T],
             count: Callable[[T], int]) -> T:
        """Role check, one read transaction, audit entry (acknowledged), then the result."""
        try:
            require_role(caller.clearance, ANALYST_ROLE)
        except RoleRequiredError:
            self._record(caller, action, params, 0, "denied")
            raise
        base = {"partner": caller.partner_id, "cleared": visible_pairs(caller.clearance)}
        try:
            with self._driver.session(database=self._database,
                                      default_access_mode=READ_ACCESS) as session:
                result = session.execute_read(work, base)
        except (UnknownEntityError, UnknownMunicipalityError):
            self._record(caller, action, params, 0, "not-found")
            raise
        self._record(caller, action, params, count(result), "ok")
        return result

    def _record(self, caller: Caller, action: str, params: Mapping[str, Any], count: int,
                outcome: str) -> None:
        self._audit.record(caller.analyst, caller.partner_id, action, params, count, outcome)


def _anchor(tx: ManagedTransaction, base: dict[str, Any], entity_id: str
            ) -> tuple[Anchor, EntitySummary]:
    """The live entity an id stands for (MERGED_INTO followed), if the caller may see it."""
    row = tx.run(cypher.RESOLVE, base, id=entity_id).single()
    if row is None or not row["visible"]:
        raise UnknownEntityError(entity_id)
    anchor = Anchor(entity_id, row["entity_id"], tuple(row["redirected_from"]))
    return anchor, summary(row["entity_id"], row["labels"], row["props"])


def _explore(tx: ManagedTransaction, params: dict[str, Any], starts: Sequence[EntitySummary],
             depth: int, limit: int, exhaustive: bool = False) -> Explored:
    """Breadth-first over visible connections from ``starts``, ``depth`` steps, at most
    ``limit`` entities (``params``: visibility, filters; ``labels`` and ``person_roles`` when
    given restrict the entities walked through). ``exhaustive``: the walk should have reached
    everything connected, so entities left unexplored after ``depth`` steps mean truncated."""
    params = {"labels": None, "person_roles": None, **params}
    explored = Explored()
    for start in starts:
        explored.nodes[start.entity_id] = start
        explored.distance[start.entity_id] = 0
    frontier = [s.entity_id for s in starts]
    max_rows = limit * ROWS_PER_NODE
    for level in range(1, depth + 1):
        if not frontier:
            break
        rows = list(tx.run(cypher.HOP, params, frontier=frontier, max_rows=max_rows))
        if len(rows) >= max_rows:
            explored.truncated = True
        frontier = [fresh for row in rows
                    if (fresh := explored.add_row(row, level, limit)) is not None]
    if exhaustive and frontier:
        explored.truncated = True
    return explored


def _member_info(tx: ManagedTransaction, base: dict[str, Any], ids: list[str]
                 ) -> dict[str, MemberInfo]:
    info = {i: MemberInfo() for i in ids}
    for row in tx.run(cypher.MEMBER_SIGNALS, base, ids=ids):
        member = info[row["id"]]
        for ev in row["evidence"]:
            member.signals[ev["signal_id"]] = (ev["partner_id"], ev["severity"])
            member.suspect = member.suspect or ev["role"] in RING_PERSON_ROLES
    return info


def _why(tx: ManagedTransaction, base: dict[str, Any], a: Anchor, b: Anchor, fields: Fields
         ) -> WhyLinked:
    if a.entity_id == b.entity_id:
        raise QueryInputError("b", b.requested, f"is the same entity as a ({a.entity_id})")
    grouped: dict[tuple[str, str, str], list[Support]] = {}
    for row in tx.run(cypher.WHY, base, a=a.entity_id, b=b.entity_id):
        shown = fields(row["signal"])
        if not shown:  # the Cypher already filtered by may_see: never, but fail closed
            continue
        kind = str(row["kind"])
        if kind == CO_MENTIONED:
            source, target = sorted((a.entity_id, b.entity_id))
        else:
            source, target = (a.entity_id, b.entity_id) if row["outgoing"] \
                else (b.entity_id, a.entity_id)
        grouped.setdefault((source, kind, target), []).append(Support(
            signal_summary(row["signal"], shown), tuple(sorted(row["roles_a"])),
            tuple(sorted(row["roles_b"]))))
    related = {s.signal.signal_id for (_, kind, _), supports in grouped.items()
               if kind != CO_MENTIONED for s in supports}
    reasons = []
    for (source, kind, target), supports in grouped.items():
        if kind == CO_MENTIONED:  # only the signals that assert no relation between the two
            supports = [s for s in supports if s.signal.signal_id not in related]
        if supports:
            reasons.append(LinkReason(kind, source, target, tuple(supports)))
    return WhyLinked(a, b, tuple(reasons))


__all__ = ["AnalystQueries", "Filters"]
