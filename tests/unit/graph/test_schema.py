from __future__ import annotations

import pytest

from graph.exceptions import SchemaError
from graph.schema import FORGET_PARTNER_REFS, partners_keeping, schema_statements
from policy.registry import Registry, load_registry
from schemas.graph_model import (
    EDGE_TYPES,
    ENTITY_LABEL,
    ENTITY_LABELS,
    NODE_TYPES,
    NodeType,
    entity_properties,
    has_postal_address,
)


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


def test_every_entity_type_shares_the_entity_label_key() -> None:
    entity = next(n for n in NODE_TYPES if n.label == ENTITY_LABEL)
    assert entity.key == "entity_id" and ENTITY_LABEL not in ENTITY_LABELS
    assert ("CREATE CONSTRAINT entity_entity_id_unique IF NOT EXISTS "
            "FOR (n:Entity) REQUIRE n.entity_id IS UNIQUE") in schema_statements()


def test_entity_properties_come_from_the_subject_models() -> None:
    assert entity_properties("phone") == ("number",)
    assert entity_properties("email") == ("address",)  # an e-mail address, not a postal one
    person = entity_properties("person")
    assert person[:5] == ("given_name", "name_prefix", "family_name", "birth_date", "nationality")
    assert {"postcode", "city", "municipality"} <= set(person)
    assert "identifiers" not in person and "address" not in person
    assert has_postal_address("business") and not has_postal_address("email")


def test_partner_refs_are_kept_for_every_known_partner_but_anonymous_tips() -> None:
    registry = load_registry()
    keeping = partners_keeping(registry, "partner_ref")
    assert "stichting-m" not in keeping
    assert set(keeping) == {p for p, e in registry.entries.items()
                            if e.source != "anonymous-tips"}
    assert partners_keeping(Registry({}), "partner_ref") == []  # unknown: nothing kept
    assert partners_keeping(registry, "category") == sorted(registry.entries)  # core: all
    assert "$keeping" in FORGET_PARTNER_REFS  # the list is a parameter, never pasted
