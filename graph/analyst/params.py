"""Checking analyst query parameters before anything reaches Neo4j (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from graph.exceptions import DateError, DepthError, QueryInputError
from schemas.municipalities import municipalities
from schemas.signal import Category
from schemas.subjects import Role

MIN_DEPTH, MAX_DEPTH = 1, 4
"""Traversals go at most four connections deep: beyond that nearly everything is connected
through a few busy addresses, and the work grows by the branching factor per step."""
DEFAULT_LIMIT = 500
MAX_LIMIT = 10_000
MAX_WINDOW_DAYS = 3660
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2099, 12, 31)
"""Dates an analyst query accepts (as given, in its own zone): anything outside is a typo, and
the far ends of Python's calendar overflow when turned into UTC."""
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
"""Dates and times given without a zone are Dutch local time (analysts think in local dates)."""

_ENTITY_ID = re.compile(r"^[A-Z]-[A-Za-z0-9]{1,64}$")
_MUNICIPALITY_CODE = re.compile(r"^[A-Z]{2}:[^\s:]{1,100}$")
_CATEGORIES = frozenset(c.value for c in Category)
_ROLES = frozenset(r.value for r in Role)


def check_entity_id(value: str, parameter: str = "entity_id") -> str:
    """An entity id as the resolver mints them: a type letter, a dash, letters and digits."""
    if not isinstance(value, str) or not _ENTITY_ID.match(value.strip()):
        raise QueryInputError(parameter, value, "not an entity id (like 'P-1a2b3c...')")
    return value.strip()


def check_depth(value: int, parameter: str = "depth", low: int = MIN_DEPTH,
                high: int = MAX_DEPTH) -> int:
    """A whole number of connections in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DepthError(parameter, value, low, high)
    return value


def check_count(value: int, parameter: str, low: int = 1, high: int = MAX_LIMIT) -> int:
    """A whole number in ``low..high`` (limits, sizes)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueryInputError(parameter, value, f"must be a whole number from {low} to {high}")
    return value


def check_municipality(value: str) -> str:
    """A municipality as the graph names it (``NL:rotterdam``), from that code or from the
    municipality's CBS code (``GM0599``, schemas/municipalities.csv)."""
    if isinstance(value, str) and (known := municipalities().get(value.strip().upper())):
        return known.platform_code
    if not isinstance(value, str) or not _MUNICIPALITY_CODE.match(value.strip()):
        raise QueryInputError("municipality", value, "not a municipality code like 'NL:rotterdam' "
                                                     "or a CBS code like 'GM0599'")
    return value.strip()


def parse_when(value: str | date | datetime, parameter: str) -> datetime:
    """An aware UTC datetime from ISO text, a date (local midnight) or a datetime (local time
    when it has no zone), from ``EARLIEST_DATE`` to ``LATEST_DATE``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip()) if "T" in value or " " in value.strip() \
                else date.fromisoformat(value.strip())
        except ValueError as exc:
            raise DateError(parameter, value, "not an ISO date or date-time "
                                              "(2026-03-01 or 2026-03-01T12:00+01:00)") from exc
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DateError(parameter, value, f"must lie from {EARLIEST_DATE.isoformat()} to "
                                          f"{LATEST_DATE.isoformat()}")
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_ZONE)
    elif isinstance(value, date):
        aware = datetime.combine(value, time(0), tzinfo=LOCAL_ZONE)
    else:
        raise DateError(parameter, value, "not a date")
    return aware.astimezone(UTC)


@dataclass(frozen=True)
class Filters:
    """Which signals count as evidence in a traversal or timeline, besides visibility:

    - ``since`` / ``until``: observed in ``[since, until)``;
    - ``partners``: published by one of these partners;
    - ``categories``: of one of these categories (sexual, labour, criminal, other);
    - ``roles``: only entities mentioned in one of these roles (by a counting signal) are
      included and walked through; the anchor always is.
    """

    since: datetime | None = None
    until: datetime | None = None
    partners: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    roles: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, parse_when(value, name))
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise DateError("until", self.until,
                            f"must lie after since ({self.since.isoformat()})")
        for name, known in (("categories", _CATEGORIES), ("roles", _ROLES)):
            value = getattr(self, name)
            if value is not None:
                unknown = sorted(set(value) - known)
                if unknown or not value:
                    raise QueryInputError(name, sorted(value),
                                          f"known: {', '.join(sorted(known))}")
                object.__setattr__(self, name, frozenset(value))
        if self.partners is not None:
            if not self.partners:
                raise QueryInputError("partners", [], "give at least one partner or none")
            object.__setattr__(self, "partners", frozenset(self.partners))

    def params(self) -> dict[str, Any]:
        """The Cypher parameters (``None`` means: no filter)."""
        return {"since": self.since, "until": self.until,
                "partners": _sorted(self.partners), "categories": _sorted(self.categories),
                "roles": _sorted(self.roles)}

    def describe(self) -> dict[str, Any]:
        """For the audit log."""
        return {k: v for k, v in self.params().items() if v is not None}


def window(intervention: datetime, days: int) -> tuple[datetime, datetime, datetime]:
    """(start of before, intervention, end of after) for a window of ``days`` either side."""
    span = timedelta(days=days)
    return intervention - span, intervention, intervention + span


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return sorted(values) if values is not None else None
