"""Graph algorithms on a projected subgraph, with networkx (pure functions, no database).

The database finds the visible connections (``cypher.HOP``); the projection into a
``networkx.Graph`` is then small (bounded by a node limit), and networkx's well-tested
``connected_components`` and ``all_shortest_paths`` do the rest — Neo4j Community here has no
GDS or APOC, and its ``shortestPath`` cannot express "connected through a visible relation edge
or a visible signal naming both" (a co-mention is two hops through a Signal node whose
visibility depends on the caller).

Risk of a ring (``Risk``), compared in this order, higher first:

1. **partners**: distinct partners whose visible signals name a member — independent sources
   (a tip line, the KvK and a RIEC) seeing the same group weigh more than one source's volume;
2. **max severity** of those signals (low < medium < high < critical);
3. **suspects**: members a visible signal names as suspect (or facilitator);
4. **signals**: how many visible signals name a member.

Ties are broken by size (larger first), then by the smallest member id (stable output).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice

import networkx as nx

from graph.analyst.model import SEVERITY_RANK, Link, Risk

RING_PERSON_ROLES = ("facilitator", "suspect")
"""A person belongs to a ring when a visible signal names them in one of these roles."""
RING_LABELS = ("Business", "Location", "Person")
"""The entity types a ring is made of (the brief: suspects, businesses and locations)."""


@dataclass
class MemberInfo:
    """What the visible signals say about one member: signal id → (partner, severity), and
    whether one of them names it a suspect."""

    signals: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    suspect: bool = False


def project(nodes: Iterable[str], links: Iterable[Link]) -> nx.Graph:
    """An undirected graph of ``nodes``; one edge per linked pair (its ``links`` attribute lists
    every link between the two)."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for item in links:
        if item.source == item.target:
            continue
        if graph.has_edge(item.source, item.target):
            graph.edges[item.source, item.target]["links"].append(item)
        else:
            graph.add_edge(item.source, item.target, links=[item])
    return graph


def risk_of(members: Iterable[str], info: Mapping[str, MemberInfo]) -> Risk:
    """The risk of a group of members (see the module docstring)."""
    signals: dict[str, tuple[str, str | None]] = {}
    suspects = 0
    for member in members:
        known = info.get(member)
        if known is None:
            continue
        signals.update(known.signals)
        suspects += known.suspect
    severities = [sev for _, sev in signals.values() if sev in SEVERITY_RANK]
    worst = max(severities, key=SEVERITY_RANK.__getitem__) if severities else None
    return Risk(partners=len({partner for partner, _ in signals.values()}), max_severity=worst,
                suspects=suspects, signals=len(signals))


def rank_rings(graph: nx.Graph, info: Mapping[str, MemberInfo], min_size: int
               ) -> list[tuple[Risk, tuple[str, ...]]]:
    """Connected components of ``graph`` with at least ``min_size`` members and at least one
    suspect, riskiest first; members sorted by id."""
    rings = []
    for component in nx.connected_components(graph):
        if len(component) < min_size:
            continue
        members = tuple(sorted(component))
        risk = risk_of(members, info)
        if risk.suspects:
            rings.append((risk, members))
    rings.sort(key=lambda ring: (tuple(-k for k in ring[0].sort_key()), -len(ring[1]),
                                 ring[1][0]))
    return rings


def shortest_paths(graph: nx.Graph, a: str, b: str, max_depth: int, max_paths: int
                   ) -> list[tuple[str, ...]]:
    """All shortest paths from ``a`` to ``b`` of at most ``max_depth`` steps (at most
    ``max_paths`` of them, in sorted order); empty when there is none."""
    if a not in graph or b not in graph:
        return []
    if a == b:
        return [(a,)]
    try:
        found = [tuple(p) for p in islice(nx.all_shortest_paths(graph, a, b), max_paths * 20)]
    except nx.NetworkXNoPath:
        return []
    return sorted(p for p in found if len(p) - 1 <= max_depth)[:max_paths]
