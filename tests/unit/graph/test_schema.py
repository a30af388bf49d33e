from __future__ import annotations

import pytest

from graph.exceptions import SchemaError
from graph.schema import schema_statements
from schemas.graph_model import EDGE_TYPES, ENTITY_LABELS, NODE_TYPES, NodeType


def test_one_unique_constraint_per_node_type() -> None:
    constraints = [s for s in schema_statements() if s.startswith("CREATE CONSTRAINT")]
    assert len(constraints) == len(NODE_TYPES)
    assert ("CREATE CONSTRAINT bank_account_entity_id_unique IF NOT EXISTS "
            "FOR (n:BankAccount) REQUIRE n.entity_id IS UNIQUE") in constraints
    assert all("IF NOT EXISTS" in s for s in schema_statements())


def test_indexes_follow_declared_properties() -> None:
    indexes = [s for s in schema_statements() if s.startswith("CREATE INDEX")]
    assert len(indexes) == sum(len(n.indexed) for n in NODE_TYPES)
    assert "CREATE INDEX business_kvk_number IF NOT EXISTS FOR (n:Business) ON (n.kvk_number)" \
        in indexes


def test_non_identifier_never_reaches_cypher() -> None:
    with pytest.raises(SchemaError, match="not a plain identifier"):
        schema_statements([NodeType("Evil) DETACH DELETE (n", "id")])


def test_edges_connect_declared_labels_only() -> None:
    labels = {n.label for n in NODE_TYPES}
    for edge in EDGE_TYPES:
        assert set(edge.sources) <= labels and set(edge.targets) <= labels
    assert "Signal" not in ENTITY_LABELS and "Person" in ENTITY_LABELS
