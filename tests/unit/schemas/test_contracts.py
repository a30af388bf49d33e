"""The typed records between stages: today's JSON round-trips unchanged through each model, and
a malformed record is refused with an error that names the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerts.config import INDEPENDENT_PARTNERS
from alerts.dossier import build_dossier
from alerts.rules import Finding, Plan
from graph.analyst.model import EntitySummary, Link
from policy.registry import Registry
from policy.resolved_view import read_resolved
from policy.suppression import EMPTY, SuppressionSet
from schemas.alert_proposal import AlertProposal
from schemas.contract import InvalidRecord, parse
from schemas.delivery import Delivery, DeliveryHeader
from schemas.resolved import ResolvedIds, ResolvedRecord
from schemas.signal import Signal
from streams.pipeline import process
from streams.recipients import route
from streams.resolve import Resolver
from tests.unit.alerts.test_dossier import T0, sighting
from tests.unit.schemas.signals import valid_doc
from tests.unit.streams.test_recipients import _entry, _sub

GOLDEN = (Path(__file__).parent / "resolved_records.jsonl").read_bytes().splitlines()
"""``signals.resolved`` values as the worker wrote them before the model (commit 34e4d2e:
a dict literal through ``orjson.dumps``), from ``_docs()``; record 3 with merges and a review
candidate added by hand."""
EDITED = 3

JAN = {"type": "person", "ref": "p1", "role": "suspect", "given_name": "Jan",
       "family_name": "Visser", "birth_date": "1970-02-02"}
PS = "ps1:" + "b" * 64


def _docs() -> list[dict[str, Any]]:
    pseudonym = [{"scheme": "bsn-pseudonym", "value": PS}]
    docs = [valid_doc(), valid_doc(partner="kvk", partner_ref="K-1"),
            valid_doc(partner_ref="a", subjects=[JAN], relations=[]),
            valid_doc(partner_ref="b", subjects=[{**JAN, "identifiers": pseudonym}], relations=[]),
            valid_doc(partner_ref="c", subjects=[{**JAN, "birth_date": "1985-07-07"}],
                      relations=[]),
            valid_doc(partner_ref="d", subjects=[{**JAN, "given_name": "Jann",
                                                  "identifiers": pseudonym}], relations=[]),
            valid_doc(partner_ref="a", subjects=[JAN], relations=[], severity="low"),
            valid_doc(partner="zorg", partner_ref="Z-ü", narrative="één € test",
                      subjects=[{**JAN, "given_name": "Jän"}], relations=[])]
    return docs + docs[:2]  # the first two again: replays


def test_todays_resolved_records_round_trip_byte_for_byte() -> None:
    for line in GOLDEN:
        record = ResolvedRecord.model_validate_json(line)
        assert record.to_json() == line
        assert orjson.loads(record.to_json()) == orjson.loads(line)


def test_the_pipeline_writes_what_it_wrote_before_the_model() -> None:
    store: dict[str, Any] = {}
    resolver = Resolver({})
    docs = _docs()
    written = []
    for offset, doc in enumerate(docs):
        source = {"topic": "in", "partition": 0, "offset": offset % 8}
        outcome = process(Signal.model_validate_json(json.dumps(doc)), source, store, resolver)
        assert outcome.record is not None
        written.append(outcome.record.to_json())
        assert outcome.resolved == orjson.loads(written[-1])
    assert len(written) == len(GOLDEN)
    for i, (now, before) in enumerate(zip(written, GOLDEN, strict=True)):
        if i != EDITED:
            assert now == before


def test_absent_values_are_written_as_null_and_scores_keep_their_json_type() -> None:
    doc = orjson.loads(GOLDEN[EDITED])
    assert doc["merges"][1]["record_id"] is None
    assert any(e["matched_on"] is None and e["score"] is None
               for line in GOLDEN for e in orjson.loads(line)["entities"])
    doc["review"][0]["score"] = 1
    doc["risk"] = {k: {**v, "score": 0} for k, v in doc["risk"].items()}
    assert ResolvedRecord.model_validate(doc).to_json() == orjson.dumps(doc)  # 1 stays 1


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda d: d.pop("revision"), "revision", "Field required"),
    (lambda d: d.update(revision="2"), "revision", "valid integer"),
    (lambda d: d["entities"][0].pop("entity_id"), "entities.0.entity_id", "Field required"),
    (lambda d: d["source"].update(offset="7"), "source.offset", "valid integer"),
    (lambda d: d.update(surprise=True), "surprise", "Extra inputs are not permitted"),
    (lambda d: d.update(links=None), "links", "valid array"),
])
def test_a_malformed_resolved_record_names_the_field(change: Any, field: str,
                                                     message: str) -> None:
    doc = orjson.loads(GOLDEN[0])
    change(doc)
    with pytest.raises(InvalidRecord, match=f"{field}: .*{message}") as refused:
        parse(ResolvedRecord, orjson.dumps(doc))
    assert str(refused.value).startswith("not a valid ResolvedRecord: ")
    with pytest.raises(InvalidRecord, match=field):
        read_resolved(ResolvedRecord, orjson.dumps(doc), SuppressionSet(signals=frozenset({"x"})))


@pytest.mark.parametrize("value", [None, b"", b"not json", b"[1]", b"null"])
def test_what_is_no_record_at_all_is_refused_too(value: bytes | None) -> None:
    with pytest.raises(InvalidRecord):
        parse(ResolvedRecord, value)
    with pytest.raises(InvalidRecord):
        read_resolved(ResolvedRecord, value, SuppressionSet(signals=frozenset({"x"})))


def test_reading_through_suppressions_parses_once_and_cuts_what_is_suppressed() -> None:
    line = GOLDEN[0]
    record = ResolvedRecord.model_validate_json(line)
    assert read_resolved(ResolvedRecord, line, EMPTY) == record
    other = SuppressionSet(signals=frozenset({"another"}))
    assert read_resolved(ResolvedRecord, line, other) == record
    assert read_resolved(ResolvedRecord, line,
                         SuppressionSet(signals=frozenset({record.signal_id}))) is None
    person = record.entities[0]
    kept = read_resolved(ResolvedRecord, line, SuppressionSet(entities=frozenset({
        person.entity_id})))
    assert kept is not None and person.ref not in {e.ref for e in kept.entities}
    ids = read_resolved(ResolvedIds, line, EMPTY)
    assert ids is not None and ids.revision == record.revision
    assert [e.entity_id for e in ids.entities] == [e.entity_id for e in record.entities]


def test_a_delivery_round_trips_and_keeps_its_key_order() -> None:
    registry = Registry({"pa": _entry("pa", _sub()), "pf": _entry("pf", _sub(name="x"))})
    record = ResolvedRecord.model_validate_json(GOLDEN[0])
    out = route(record, registry, {"pa", "pf"}, datetime(2026, 3, 5, tzinfo=UTC))
    assert [r.recipient for r in out] == ["pa", "pf"]
    for routed in out:
        wire = routed.delivery.to_json()
        assert list(orjson.loads(wire)) == [
            "delivery_id", "recipient", "signal_id", "revision", "routed_at", "registry_version",
            "subscriptions", "redacted", "signal", "entities"]
        assert Delivery.model_validate_json(wire).to_json() == wire == orjson.dumps(routed.value)
        assert parse(DeliveryHeader, wire).delivery_id == routed.delivery.delivery_id
    doc = orjson.loads(out[0].delivery.to_json())
    del doc["routed_at"]
    with pytest.raises(InvalidRecord, match="routed_at: Field required"):
        parse(Delivery, orjson.dumps(doc))


def test_an_alert_proposal_round_trips_with_sorted_keys() -> None:
    evidence = (sighting("s1", "riec", 0), sighting("s2", "kvk", 3, "high"))
    plan = Plan("P-x", (Finding(INDEPENDENT_PARTNERS, ("P-x",), evidence,
                                {"window_days": 90, "partners": ["kvk", "riec"]}),))
    proposal = build_dossier(
        alert_id="AL-1", version=2, plan=plan, reviewer="riec",
        entities={"P-x": EntitySummary("P-x", "Person", "Jän Berg", {"family_name": "Berg"})},
        links=[Link("P-x", "DIRECTOR_OF", "B-y", ("s1",), ("riec",), T0, T0)],
        created_at=T0, updated_at=T0 + timedelta(days=1))
    wire = proposal.to_json()
    assert wire == json.dumps(json.loads(wire), sort_keys=True, ensure_ascii=False).encode()
    assert "Jän".encode() in wire
    doc = json.loads(wire)
    assert doc["follow_up_of"] is None and doc["findings"][0]["window_days"] == 90
    assert doc["entities"][1] == {"entity_id": "B-y", "label": None, "name": None,
                                  "properties": {}}
    assert AlertProposal.model_validate_json(wire).to_json() == wire
    del doc["evidence"][0]["revision"]
    with pytest.raises(InvalidRecord, match=r"evidence\.0\.revision: Field required"):
        parse(AlertProposal, json.dumps(doc))
