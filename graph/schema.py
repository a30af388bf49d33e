"""Constraints and indexes derived from the node types in schemas/graph_model.py, and the
migrations that bring an older graph up to what the sink writes today."""

from __future__ import annotations

import re
from collections.abc import Sequence

import structlog
from neo4j import Driver, ManagedTransaction

from graph.exceptions import SchemaError
from policy.registry import Registry, load_registry
from policy.view import GRAPH_KEYS, shared_fields, source_of
from schemas.graph_model import (
    ENTITY_LABEL,
    ENTITY_LABELS,
    NODE_TYPES,
    SEARCH_INDEX,
    SEARCH_PROPERTIES,
    NodeType,
)

log = structlog.get_logger(__name__)

# Labels and properties become part of DDL (Cypher cannot parameterise them), so they must be
# plain identifiers from the declared model, never input.
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _snake(label: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower()


def schema_statements(node_types: Sequence[NodeType] = NODE_TYPES) -> list[str]:
    """``CREATE CONSTRAINT/INDEX ... IF NOT EXISTS`` for every node type: one uniqueness
    constraint on its key and one range index per searchable property."""
    statements: list[str] = []
    for node in node_types:
        for ident in (node.label, node.key, *node.indexed):
            if not IDENTIFIER.match(ident):
                raise SchemaError(node.label, f"{ident!r} is not a plain identifier")
        name = _snake(node.label)
        statements.append(
            f"CREATE CONSTRAINT {name}_{node.key}_unique IF NOT EXISTS "
            f"FOR (n:{node.label}) REQUIRE n.{node.key} IS UNIQUE"
        )
        statements.extend(
            f"CREATE INDEX {name}_{prop} IF NOT EXISTS FOR (n:{node.label}) ON (n.{prop})"
            for prop in node.indexed
        )
    statements.append(SEARCH_INDEX_STATEMENT)
    return statements


SEARCH_INDEX_STATEMENT = (
    f"CREATE FULLTEXT INDEX {SEARCH_INDEX} IF NOT EXISTS FOR ()-[m:MENTIONS]-() "
    f"ON EACH [{', '.join(f'm.{p}' for p in SEARCH_PROPERTIES)}]")
"""Full-text (Lucene) index over the names and identifiers mentions carry: the analyst search
matches what a *visible* mention says, never a node property a hidden signal may have set."""


def apply_schema(driver: Driver, database: str,
                 node_types: Sequence[NodeType] = NODE_TYPES, registry: Registry | None = None
                 ) -> int:
    """Ensure every constraint and index exists and run the migrations (all idempotent);
    return how many constraints and indexes were ensured. ``registry`` (default: the shipped
    ``policy/partners.yaml``) gives the publishers' source kinds to ``FORGET_PARTNER_REFS``."""
    statements = schema_statements(node_types)
    keeping = partners_keeping(registry if registry is not None else load_registry(),
                               "partner_ref")
    with driver.session(database=database) as session:
        for statement in statements:
            session.execute_write(_run, statement)
        session.run("CALL db.awaitIndexes(60)").consume()
        labelled = session.run(LABEL_ENTITIES).single(strict=True)["labelled"]
        forgotten = session.run(FORGET_PARTNER_REFS, keeping=keeping).single(
            strict=True)["forgotten"]
    log.info("graph.schema_applied", database=database, statements=len(statements),
             entities_labelled=labelled, partner_refs_removed=forgotten)
    return len(statements)


LABEL_ENTITIES = f"""
MATCH (n) WHERE ({' OR '.join(f'n:{label}' for label in ENTITY_LABELS)}) AND NOT n:{ENTITY_LABEL}
CALL (n) {{ SET n:{ENTITY_LABEL} }} IN TRANSACTIONS OF 10000 ROWS
RETURN count(n) AS labelled
"""
"""Migration: entity nodes written before every entity carried ``ENTITY_LABEL`` get it (a
no-op on a graph that has it; run in an auto-commit session)."""


FORGET_PARTNER_REFS = """
MATCH (s:Signal) WHERE s.partner_ref IS NOT NULL AND NOT s.partner_id IN $keeping
CALL (s) { REMOVE s.partner_ref } IN TRANSACTIONS OF 10000 ROWS
RETURN count(s) AS forgotten
"""
"""Migration: a signal keeps its partner_ref only when its publisher is one of ``$keeping``
(``partners_keeping``); the sink no longer writes an anonymous tip's, and this removes the ones
written before (a no-op on a graph without them; run in an auto-commit session)."""


def partners_keeping(registry: Registry, key: str) -> list[str]:
    """The partners whose signals a shared store may keep the property ``key`` of
    (``policy.view.shared_fields`` of their source kind); an unknown partner is not one."""
    field = GRAPH_KEYS[key]
    return sorted(p for p in registry.entries
                  if field in shared_fields(source_of(registry, p)))


def _run(tx: ManagedTransaction, statement: str) -> None:
    tx.run(statement).consume()
