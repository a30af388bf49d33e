"""Errors of the graph layer."""

from __future__ import annotations

from ketenlink.exceptions import KetenlinkError


class GraphError(KetenlinkError):
    """Something about the Neo4j graph went wrong."""


class SchemaError(GraphError):
    """A declared node type cannot be turned into a constraint or index."""

    def __init__(self, label: str, problem: str) -> None:
        self.label, self.problem = label, problem
        super().__init__(f"node type {label!r}: {problem}")
