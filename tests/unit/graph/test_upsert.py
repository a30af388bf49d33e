"""The generated write queries: one per subject type, edge type and merge step, all constant
(values only as parameters), each property of the model handled."""

from __future__ import annotations

import re

from graph.upsert import (
    ABSORB_QUERIES,
    LINK_QUERIES,
    MENTIONS_QUERIES,
    MOVE_QUERIES,
    PLACE_LOCATIONS,
    REDIRECT_QUERIES,
    RETRACT_SIGNALS,
    UPSERT_SIGNALS,
    GraphBatch,
)
from schemas.graph_model import entity_properties, relation_types
from schemas.subjects import GRAPH_LABEL

ALL = [RETRACT_SIGNALS, UPSERT_SIGNALS, PLACE_LOCATIONS, *MENTIONS_QUERIES.values(),
       *LINK_QUERIES.values(), *REDIRECT_QUERIES.values(), *ABSORB_QUERIES.values(),
       *MOVE_QUERIES]


def test_a_query_for_every_subject_type_and_relation() -> None:
    assert set(MENTIONS_QUERIES) == set(GRAPH_LABEL) == set(ABSORB_QUERIES)
    assert set(LINK_QUERIES) == {edge.type for edge in relation_types()}
    assert len(MOVE_QUERIES) == 2 * len(relation_types())  # outgoing and incoming


def test_queries_take_their_values_as_parameters_only() -> None:
    for query in ALL:
        assert set(re.findall(r"\$(\w+)", query)) <= {"rows", "ids"}
        assert query.lstrip().startswith("UNWIND $")


def test_every_model_property_is_written_newest_first() -> None:
    for kind, query in MENTIONS_QUERIES.items():
        label = GRAPH_LABEL[kind]
        assert f"SET n:{label}" in query
        for prop in entity_properties(kind):
            assert f"row.props.{prop} IS NOT NULL AND row.version >=" in query
        assert query.count("prop_versions = [") == 2  # the mentioned node and its survivor


def test_batch_length_counts_signals_and_merges() -> None:
    batch = GraphBatch()
    batch.signals.append({})
    batch.merges["person"].append({})
    batch.mentions["person"].append({})
    assert len(batch) == 2
