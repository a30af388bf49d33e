"""Turning query rows into result objects (pure functions, no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph.analyst.model import CO_MENTIONED, EntitySummary, Link, SignalSummary
from policy.view import shown_record
from schemas.graph_model import ENTITY_LABEL, ENTITY_LABELS

HIDDEN_PROPERTIES = frozenset({"entity_id", "prop_versions", "ref", "role", "revision",
                               "version"})
"""Properties that are bookkeeping, not information for an analyst."""


def to_datetime(value: Any) -> datetime | None:
    """A Neo4j DateTime (or a Python one) as a Python datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    native = getattr(value, "to_native", None)
    return native() if callable(native) else None


def entity_label(labels: Iterable[str]) -> str:
    """The type label of an entity node (the one beside ``Entity``)."""
    for label in labels:
        if label in ENTITY_LABELS:
            return label
    return ENTITY_LABEL


def display_name(label: str, props: Mapping[str, Any]) -> str:
    """A readable one-line name for an entity."""
    def join(*keys: str) -> str:
        return " ".join(str(props[k]) for k in keys if props.get(k) not in (None, ""))

    address = " ".join(part for part in (
        join("street", "house_number", "house_number_addition"), join("postcode", "city")) if part)
    name = {
        "Person": join("given_name", "name_prefix", "family_name"),
        "Business": join("trade_name") + (f" (KvK {props['kvk_number']})"
                                          if props.get("kvk_number") else ""),
        "Location": address,
        "Phone": join("number"), "Email": join("address"), "BankAccount": join("iban"),
        "Vehicle": join("plate"), "Website": join("url"),
    }.get(label, "")
    return name.strip() or "(no name)"


def visible_properties(mentions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An entity's properties from its visible mentions, newest first: each property from the
    newest mention that has it."""
    props: dict[str, Any] = {}
    for mention in mentions:
        for key, value in mention.items():
            if key not in HIDDEN_PROPERTIES and value is not None:
                props.setdefault(key, value)
    return props


def summary(entity_id: str, labels: Iterable[str], mentions: Sequence[Mapping[str, Any]]
            ) -> EntitySummary:
    """An entity as the caller sees it; ``mentions``: its visible mentions' properties, newest
    first (``cypher._props``)."""
    label = entity_label(labels)
    shown = {k: _plain(v) for k, v in sorted(visible_properties(mentions).items())}
    return EntitySummary(entity_id, label, display_name(label, shown), shown)


def signal_summary(node: Mapping[str, Any], fields: frozenset[str]) -> SignalSummary:
    """A signal node's properties as the analyst sees them: only what ``fields`` (the caller's
    ``policy.view.visible_fields`` of this signal) allows, so an anonymous tip's partner_ref is
    None; ``corroborated_by`` never (it may name partners whose signals the caller cannot
    see)."""
    doc = shown_record(node, fields)
    return SignalSummary(
        signal_id=str(node["signal_id"]), partner_id=str(doc.get("partner_id")),
        partner_ref=doc.get("partner_ref"), observed_at=to_datetime(doc.get("observed_at")),
        reported_at=to_datetime(doc.get("reported_at")), category=doc.get("category"),
        severity=doc.get("severity"), distribution=doc.get("distribution"),
        purpose=doc.get("purpose"), indicators=tuple(doc.get("indicators") or ()),
        barrier_stages=tuple(doc.get("barrier_stages") or ()), revision=doc.get("revision"))


def link(source: str, kind: str, target: str, evidence: Iterable[Mapping[str, Any]]) -> Link:
    """A link whose provenance is exactly ``evidence`` (visible signals: id, partner, observed);
    a co-mention is stored with its ids in sorted order."""
    if kind == CO_MENTIONED and target < source:
        source, target = target, source
    by_id = {str(e["signal_id"]): e for e in evidence}
    seen = [t for t in (to_datetime(e.get("observed_at")) for e in by_id.values())
            if t is not None]
    return Link(source, kind, target, tuple(sorted(by_id)),
                tuple(sorted({str(e["partner_id"]) for e in by_id.values()})),
                min(seen) if seen else None, max(seen) if seen else None)


@dataclass
class Explored:
    """What a traversal found: entities with their distance from where it started, and links."""

    nodes: dict[str, EntitySummary] = field(default_factory=dict)
    distance: dict[str, int] = field(default_factory=dict)
    evidence: dict[tuple[str, str, str], dict[str, Mapping[str, Any]]] = field(
        default_factory=dict)
    truncated: bool = False

    def add_row(self, row: Mapping[str, Any], level: int, limit: int) -> str | None:
        """Take one HOP row found ``level`` steps out; the new entity id when the row reached
        an entity not seen before (and the node limit allows it), else None."""
        origin, other = str(row["origin"]), str(row["other"])
        fresh = None
        if other not in self.distance:
            if len(self.distance) >= limit:
                self.truncated = True
                return None
            self.distance[other] = level
            self.nodes[other] = summary(other, row["labels"], row["props"])
            fresh = other
        kind = str(row["kind"])
        if kind == CO_MENTIONED:
            key = (min(origin, other), kind, max(origin, other))
        else:
            key = (origin, kind, other) if row["outgoing"] else (other, kind, origin)
        bucket = self.evidence.setdefault(key, {})
        for ev in row["evidence"]:
            bucket[str(ev["signal_id"])] = ev
        return fresh

    def links(self) -> tuple[Link, ...]:
        """Links between explored entities; a co-mention is left out when every signal behind
        it already backs a relation edge between the same two entities."""
        related: dict[frozenset[str], set[str]] = {}
        for (a, kind, b), evidence in self.evidence.items():
            if kind != CO_MENTIONED:
                related.setdefault(frozenset((a, b)), set()).update(evidence)
        out = []
        for (a, kind, b), evidence in sorted(self.evidence.items()):
            if a not in self.distance or b not in self.distance:
                continue
            if kind == CO_MENTIONED and set(evidence) <= related.get(frozenset((a, b)), set()):
                continue
            out.append(link(a, kind, b, evidence.values()))
        return tuple(out)


def role_counts(roles: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for role in roles:
        counts[role] = counts.get(role, 0) + 1
    return dict(sorted(counts.items()))


def _plain(value: Any) -> Any:
    """Neo4j temporal values as Python ones; everything else as is."""
    native = getattr(value, "to_native", None)
    return native() if callable(native) else value
