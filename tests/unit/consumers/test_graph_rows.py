"""Resolved records and merge events into graph rows, without a database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumers.graph_sink import batch_rows, kind_of, node_properties
from policy.registry import Registry
from schemas.contract import InvalidRecord
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc


def _resolved(**overrides: Any) -> dict[str, Any]:
    outcome = process(Signal.model_validate_json(json.dumps(valid_doc(**overrides))),
                      {"topic": "in", "partition": 0, "offset": 0}, {}, Resolver({}))
    assert outcome.resolved is not None
    return outcome.resolved


def test_a_resolved_record_becomes_signal_mention_and_link_rows() -> None:
    doc = _resolved()
    batch = batch_rows([doc])
    (signal,) = batch.signals
    assert signal["signal_id"] == doc["signal_id"] and signal["revision"] == doc["revision"]
    assert signal["props"]["distribution"] == "tlp:amber"
    assert {k: len(v) for k, v in batch.mentions.items()} == {"person": 1, "business": 1,
                                                             "phone": 1}
    business = batch.mentions["business"][0]
    assert business["props"]["postcode"] == "4811 AB" and business["props"]["city"] == "Breda"
    assert business["version"].startswith("2026-03-01T23:00:00.000000Z|")  # UTC, fixed width
    assert set(batch.links) == {"DIRECTOR_OF", "USES"}
    assert batch.links["USES"][0]["target"] == batch.mentions["phone"][0]["entity_id"]


def test_node_properties_keep_plain_values_and_drop_identifiers() -> None:
    person = {"type": "person", "ref": "p1", "role": "suspect", "family_name": "Berg",
              "given_name": None, "identifiers": [{"scheme": "bsn-pseudonym", "value": "ps1:x"}],
              "address": {"city": "Breda", "country": "NL"}}
    assert node_properties(person) == {"family_name": "Berg", "city": "Breda", "country": "NL"}
    email = {"type": "email", "ref": "e1", "role": "instrument", "address": "a@b.nl"}
    assert node_properties(email) == {"address": "a@b.nl"}


def test_merges_are_grouped_by_the_kind_of_their_ids() -> None:
    batch = batch_rows([], [{"merged": "L-1", "into": "L-2", "reason": "r", "record_id": None},
                            {"merged": "P-1", "into": "P-2"}])
    assert set(batch.merges) == {"location", "person"}
    assert batch.locations == {"L-1", "L-2"}
    assert kind_of("A-00ff") == "bank_account"
    with pytest.raises(ValueError, match="not an entity id"):
        kind_of("nonsense")


def test_a_document_that_is_not_a_resolved_record_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="revision: Field required"):
        batch_rows([{"signal_id": "s"}])
    doc = _resolved()
    doc["revision"] = "2"
    with pytest.raises(InvalidRecord, match="revision: Input should be a valid integer"):
        batch_rows([doc])
    with pytest.raises(TypeError, match="entity ids"):
        batch_rows([], [{"merged": "P-1", "into": 7}])


def test_review_candidates_become_one_row_per_pair_in_either_order() -> None:
    doc = _resolved()
    doc["review"] = [{"ref": "p1", "entity_id": "P-bbbbbbbbbbbbbbbb",
                      "candidate": "P-aaaaaaaaaaaaaaaa", "score": 7.25},
                     {"ref": "p1", "entity_id": "P-cccccccccccccccc",
                      "candidate": "P-cccccccccccccccc", "score": 9.0}]  # itself: no question
    (row,) = batch_rows([doc]).reviews
    assert (row["a"], row["b"], row["score"]) == ("P-aaaaaaaaaaaaaaaa", "P-bbbbbbbbbbbbbbbb", 7.25)
    assert row["signal_id"] == doc["signal_id"] and row["review_id"].startswith("RV-")
    doc["review"][0].update(entity_id="P-aaaaaaaaaaaaaaaa", candidate="P-bbbbbbbbbbbbbbbb")
    assert batch_rows([doc]).reviews[0]["review_id"] == row["review_id"]


@pytest.mark.parametrize(("partner", "kept"), [("riec", True), ("kvk", True), ("zorg", True),
                                               ("stichting-m", False), ("politie", False)])
def test_a_signal_row_keeps_partner_ref_only_when_someone_but_the_publisher_may_see_it(
        partner: str, kept: bool) -> None:
    doc = _resolved(partner=partner, partner_ref="M-2024-000016")
    (signal,) = batch_rows([doc]).signals
    assert ("partner_ref" in signal["props"]) is kept
    if kept:
        assert signal["props"]["partner_ref"] == "M-2024-000016"
    assert signal["props"]["partner_id"] == partner and "corroborated_by" in signal["props"]


def test_the_registry_given_decides_the_source_kind() -> None:
    doc = _resolved(partner="riec", partner_ref="R-1")
    (signal,) = batch_rows([doc], registry=Registry({})).signals  # riec unknown: fail closed
    assert "partner_ref" not in signal["props"]
