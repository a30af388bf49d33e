"""Errors of the graph layer."""

from __future__ import annotations

import json
from datetime import date

from core.exceptions import KetenlinkError

MAX_SHOWN_CHARS = 80
"""A refused value is quoted in the message up to this many characters."""


def shown(value: object) -> str:
    """A value as an analyst typed it, for a message: dates in ISO 8601, text and lists as
    JSON, cut at ``MAX_SHOWN_CHARS``; never a Python repr."""
    if isinstance(value, date):  # a datetime is a date too
        value = value.isoformat()
    elif isinstance(value, (set, frozenset, tuple)):
        value = sorted(str(v) for v in value)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS - 1] + "…"


class GraphError(KetenlinkError):
    """Something about the Neo4j graph went wrong."""


class SchemaError(GraphError):
    """A declared node type cannot be turned into a constraint or index."""

    def __init__(self, label: str, problem: str) -> None:
        self.label, self.problem = label, problem
        super().__init__(f"node type {label!r}: {problem}")


class QueryInputError(GraphError):
    """An analyst query was given a parameter it cannot use; ``parameter`` names it."""

    def __init__(self, parameter: str, value: object, problem: str) -> None:
        self.parameter, self.value, self.problem = parameter, value, problem
        super().__init__(f"{parameter}={shown(value)}: {problem}")


class DepthError(QueryInputError):
    """A traversal depth outside the allowed range."""

    def __init__(self, parameter: str, value: object, low: int, high: int) -> None:
        self.low, self.high = low, high
        super().__init__(parameter, value, f"must be a whole number from {low} to {high}")


class DateError(QueryInputError):
    """A date or time window that cannot be used (unparseable, or ending before it starts)."""


class UnknownEntityError(GraphError):
    """No live entity with this id is visible to the caller (absent, or only in signals the
    caller may not see: the two are deliberately the same answer)."""

    def __init__(self, entity_id: str) -> None:
        self.entity_id = entity_id
        super().__init__(f"unknown entity {entity_id!r}")


class UnknownMunicipalityError(GraphError):
    """No municipality with this code is in the graph."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown municipality {code!r} (codes look like 'NL:rotterdam')")


class ErasureInputError(GraphError):
    """An erasure request that cannot be carried out as asked; ``parameter`` names what."""

    def __init__(self, parameter: str, value: object, problem: str) -> None:
        self.parameter, self.value, self.problem = parameter, value, problem
        super().__init__(f"{parameter} {value!r}: {problem}" if value != "" else
                         f"{parameter} {problem}")


class ErasureRefusedError(GraphError):
    """The person to erase is the subject of alerts: the reviewer decides about those first."""

    def __init__(self, subject: str, alerts: tuple[str, ...]) -> None:
        self.subject, self.alerts = subject, alerts
        super().__init__(f"refused: {len(alerts)} alert(s) are about {subject} "
                         f"({', '.join(alerts)}); the reviewer decides about them first")
