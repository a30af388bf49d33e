"""Typed results of the analyst queries (frozen dataclasses; ``to_json`` for the CLI's --json).

Everything in a result is already reduced to what the caller may see: hidden signals, the
partners that only hidden signals name, and entities only hidden signals mention are absent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
"""Signal severities in increasing order (Signal v1 ``Severity``)."""

CO_MENTIONED = "CO_MENTIONED"
"""The kind of a connection that is no relation edge: both entities are mentioned in one signal
(anonymous tips name subjects without relations between them)."""


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class _Json:
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data (datetimes as ISO text)."""
        data: dict[str, Any] = _json(asdict(self))  # type: ignore[call-overload]
        return data


@dataclass(frozen=True)
class Anchor(_Json):
    """The entity a query is about: the id asked for, and the live entity it resolved to by
    following ``MERGED_INTO`` (``redirected_from`` lists the merged ids passed, in order)."""

    requested: str
    entity_id: str
    redirected_from: tuple[str, ...] = ()

    @property
    def redirected(self) -> bool:
        return bool(self.redirected_from)


@dataclass(frozen=True)
class EntitySummary(_Json):
    """An entity as a row: id, type label, a readable name and its node properties."""

    entity_id: str
    label: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence(_Json):
    """One visible signal behind a connection."""

    signal_id: str
    partner_id: str
    observed_at: datetime | None


@dataclass(frozen=True)
class Link(_Json):
    """A connection between two entities: a relation edge (``kind`` is its type, ``source`` →
    ``target`` its direction) or ``CO_MENTIONED`` (no direction; ids in sorted order). Its
    provenance is reduced to the visible signals (``signal_ids``) and their partners;
    first/last seen are their observed times."""

    source: str
    kind: str
    target: str
    signal_ids: tuple[str, ...]
    partners: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.kind, self.target)

    def touches(self, a: str, b: str) -> bool:
        return {self.source, self.target} == {a, b}


@dataclass(frozen=True)
class Profile(_Json):
    """One entity with what the caller's visible signals say about it."""

    anchor: Anchor
    entity: EntitySummary
    signal_count: int
    partners: tuple[str, ...]
    roles: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None
    links: dict[str, int]
    """Visible relation edges by type, plus ``CO_MENTIONED`` entities."""


@dataclass(frozen=True)
class Neighbourhood(_Json):
    """The entities within ``depth`` connections of the anchor and the links between them.
    ``distance`` gives each entity's number of connections from the anchor; ``truncated`` says
    that the node limit cut the result."""

    anchor: Anchor
    depth: int
    nodes: tuple[EntitySummary, ...]
    distance: dict[str, int]
    links: tuple[Link, ...]
    truncated: bool


@dataclass(frozen=True)
class Path(_Json):
    """One shortest path: its entity ids in order and, per step, the links that join them."""

    entity_ids: tuple[str, ...]
    steps: tuple[tuple[Link, ...], ...]

    @property
    def length(self) -> int:
        return len(self.entity_ids) - 1


@dataclass(frozen=True)
class Paths(_Json):
    """All shortest paths (up to a limit) from ``a`` to ``b`` of at most ``max_depth`` steps;
    ``complete`` is false when the exploration hit its node limit (a path may be missed)."""

    a: Anchor
    b: Anchor
    max_depth: int
    nodes: tuple[EntitySummary, ...]
    paths: tuple[Path, ...]
    complete: bool


@dataclass(frozen=True)
class ClusterMember(_Json):
    """A person or business at a shared address, by which relation edges (LOCATED_AT, ...)."""

    entity: EntitySummary
    kinds: tuple[str, ...]
    signal_ids: tuple[str, ...]


@dataclass(frozen=True)
class AddressCluster(_Json):
    """A location with many persons and businesses tied to it by visible relation edges."""

    location: EntitySummary
    municipality: str | None
    members: tuple[ClusterMember, ...]
    partners: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Risk(_Json):
    """The ranking key of a ring, compared in this order (higher is riskier):
    distinct partners reporting on it, its worst severity, its suspects, its signals."""

    partners: int
    max_severity: str | None
    suspects: int
    signals: int

    def sort_key(self) -> tuple[int, int, int, int]:
        return (self.partners, SEVERITY_RANK.get(self.max_severity or "", 0), self.suspects,
                self.signals)


@dataclass(frozen=True)
class Ring(_Json):
    """A connected group of suspects, businesses and locations, with its risk."""

    rank: int
    risk: Risk
    members: tuple[EntitySummary, ...]
    links: tuple[Link, ...]
    partners: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Rings(_Json):
    """Rings ranked by risk; ``truncated`` when the exploration hit its node limit or more rings
    than the limit asked for were found."""

    rings: tuple[Ring, ...]
    truncated: bool


@dataclass(frozen=True)
class SignalSummary(_Json):
    """A visible signal as an analyst reads it: its fields as ``policy.view.visible_fields``
    allows the caller (``partner_ref`` None when hidden: an anonymous tip's), no narrative (the
    graph keeps none), no other partners' names."""

    signal_id: str
    partner_id: str
    partner_ref: str | None
    observed_at: datetime | None
    reported_at: datetime | None
    category: str | None
    severity: str | None
    distribution: str | None
    purpose: str | None
    indicators: tuple[str, ...]
    barrier_stages: tuple[str, ...]
    revision: int | None


@dataclass(frozen=True)
class TimelineEntry(_Json):
    """A signal about the entity and the role(s) the entity has in it."""

    signal: SignalSummary
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Timeline(_Json):
    anchor: Anchor
    entries: tuple[TimelineEntry, ...]
    truncated: bool


@dataclass(frozen=True)
class Move(_Json):
    """Visible signals that tie an entity to another municipality after the intervention."""

    code: str
    name: str | None
    signal_ids: tuple[str, ...]


@dataclass(frozen=True)
class WaterbedShift(_Json):
    """An entity seen in the intervention's municipality before the date and elsewhere after.
    ``stayed`` counts its visible signals still in the origin after the date."""

    entity: EntitySummary
    before_signal_ids: tuple[str, ...]
    moved_to: tuple[Move, ...]
    stayed: int


@dataclass(frozen=True)
class Waterbed(_Json):
    municipality: str
    intervention: datetime
    window_days: int
    shifts: tuple[WaterbedShift, ...]


@dataclass(frozen=True)
class Support(_Json):
    """One visible signal supporting a link, with the roles of both entities in it."""

    signal: SignalSummary
    roles_a: tuple[str, ...]
    roles_b: tuple[str, ...]


@dataclass(frozen=True)
class LinkReason(_Json):
    """Why two entities are linked in one way: the relation type (or ``CO_MENTIONED``), its
    direction, and every visible signal that asserts it."""

    kind: str
    source: str
    target: str
    support: tuple[Support, ...]

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(sorted({s.signal.partner_id for s in self.support}))


@dataclass(frozen=True)
class WhyLinked(_Json):
    """Every visible reason ``a`` and ``b`` are directly linked (empty: they are not)."""

    a: Anchor
    b: Anchor
    reasons: tuple[LinkReason, ...]


@dataclass(frozen=True)
class SearchHit(_Json):
    """An entity found by a search, and which of its visible properties the text matched."""

    entity: EntitySummary
    matched: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class SearchResult(_Json):
    query: str
    hits: tuple[SearchHit, ...]
    truncated: bool


@dataclass(frozen=True)
class ReviewCandidate(_Json):
    """Two live entities the resolver found alike but not alike enough to link, for an analyst
    to confirm (merge) or reject (keep apart). ``signal_ids``: the visible proposing signals."""

    review_id: str
    a: EntitySummary
    b: EntitySummary
    score: float
    signal_ids: tuple[str, ...]
    proposed_at: datetime | None
    status: str
