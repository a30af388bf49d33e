"""The raw baseline of the graph benchmark plans the graph the sink ends with: each node and
relationship once, the final revision's mentions, merges folded into survivors, relation
provenance aggregated, nothing before its ends exist."""

from __future__ import annotations

import json
from typing import Any

from bench.graph_data import copy_merge, copy_record
from bench.graph_raw import (
    CREATE_ENTITIES,
    CREATE_IN,
    CREATE_LINKS,
    CREATE_MENTIONS,
    CREATE_MUNICIPALITIES,
    CREATE_SIGNALS,
    RawPlan,
    municipality,
    plan_raw,
)
from consumers.graph_sink import node_properties
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

LOCATION = {"type": "location", "ref": "l1", "role": "location",
            "address": {"street": "Hoogstraat", "house_number": 12, "postcode": "4811ab",
                        "city": "Breda"}}


def _resolved() -> list[dict[str, Any]]:
    base = valid_doc()
    docs = [valid_doc(partner_ref="x"),
            valid_doc(partner_ref="x", severity="critical", subjects=base["subjects"][:2],
                      relations=base["relations"][:1]),
            valid_doc(partner="kvk", partner_ref="y", subjects=[*base["subjects"], LOCATION],
                      relations=[*base["relations"],
                                 {"source": "b1", "type": "LOCATED_AT", "target": "l1"}])]
    return resolve_docs(docs)


def _rows(plan: RawPlan, query: str) -> list[dict[str, Any]]:
    return [row for batch in plan.batches for q, rows in (*batch.nodes, *batch.relationships)
            if q == query for row in rows]


def test_final_graph_once() -> None:
    docs = _resolved()
    plan = plan_raw([json.dumps(d).encode() for d in docs], batch_size=1)
    assert len(plan.batches) == 3
    # 2 partners, 2 signals, person + business + phone + location, 1 municipality
    assert plan.nodes == 9
    # 2 REPORTED, 2 + 4 MENTIONS, DIRECTOR_OF + USES + LOCATED_AT, 1 IN
    assert plan.relationships == 12
    signals = _rows(plan, CREATE_SIGNALS)
    assert [s["props"]["revision"] for s in signals] == [2, 1]
    assert signals[0]["props"]["severity"] == "critical"
    director = _rows(plan, CREATE_LINKS["DIRECTOR_OF"])
    assert director == [{"source": docs[0]["links"][0]["source"],
                         "target": docs[0]["links"][0]["target"],
                         "signal_ids": sorted({docs[0]["signal_id"], docs[2]["signal_id"]}),
                         "partners": ["kvk", "riec"], "first_seen": docs[0]["signal"]["observed_at"],
                         "last_seen": docs[0]["signal"]["observed_at"]}]
    uses = _rows(plan, CREATE_LINKS["USES"])
    assert [u["signal_ids"] for u in uses] == [[docs[2]["signal_id"]]]  # the revision dropped it
    assert _rows(plan, CREATE_MUNICIPALITIES) == [{"code": "NL:breda", "name": "Breda"}]
    assert len(_rows(plan, CREATE_IN)) == 1


def test_nothing_before_its_ends() -> None:
    plan = plan_raw([json.dumps(d).encode() for d in _resolved()], batch_size=1)
    created: set[str] = set()
    for batch in plan.batches:
        for _, rows in batch.nodes:
            created.update(r.get("props", r).get("entity_id") or r.get("props", r).get(
                "signal_id") or r.get("code") or r.get("partner_id") for r in rows)
        for _, rows in batch.relationships:
            for row in rows:
                ends = {row.get(k) for k in ("signal_id", "entity_id", "source", "target",
                                             "code", "partner_id", "merged", "into")} - {None}
                assert ends <= created


def test_merges_fold_into_the_survivor() -> None:
    docs = _resolved()
    person = docs[0]["entities"][0]["entity_id"]
    docs[1]["merges"] = [{"merged": person, "into": "P-survivor", "reason": "test",
                          "record_id": None}]
    plan = plan_raw([json.dumps(d).encode() for d in docs], batch_size=2)
    mentioned = {r["entity_id"] for r in _rows(plan, CREATE_MENTIONS)}
    assert "P-survivor" in mentioned and person not in mentioned
    people = _rows(plan, CREATE_ENTITIES["person"])
    assert {p["props"]["entity_id"] for p in people} == {person, "P-survivor"}
    assert {r["source"] for r in _rows(plan, CREATE_LINKS["DIRECTOR_OF"])} == {"P-survivor"}


def test_subject_properties_flatten_postal_addresses() -> None:
    business = valid_doc()["subjects"][1]
    props = node_properties(business)
    assert props["kvk_number"] == "81234567" and props["city"] == "Breda"
    assert "address" not in props and "ref" not in props and "role" not in props
    assert municipality({"city": "Den Haag"}) == ("NL:den-haag", "Den Haag")
    assert municipality({"municipality": "Mol", "country": "BE"}) == ("BE:mol", "Mol")
    assert municipality({}) is None


def test_copies_share_no_ids() -> None:
    doc = _resolved()[2]
    doc["merges"] = [{"merged": "P-a", "into": "P-b", "reason": "r", "record_id": None}]
    copy = json.loads(copy_record(json.dumps(doc).encode(), 3).value)
    assert copy["signal_id"] == copy["signal"]["signal_id"] == doc["signal_id"] + "x3"
    assert copy["signal"]["partner_ref"] == "yx3"
    assert all(e["entity_id"].endswith("x3") for e in copy["entities"])
    assert all(link["source"].endswith("x3") and link["target"].endswith("x3")
               for link in copy["links"])
    assert copy["merges"][0] == {"merged": "P-ax3", "into": "P-bx3", "reason": "r",
                                 "record_id": None}
    merge = copy_merge(json.dumps(doc["merges"][0]).encode(), 3)
    assert merge.key == b"P-bx3"


def test_an_anonymous_tips_partner_ref_is_left_out_as_the_sink_leaves_it_out() -> None:
    docs = resolve_docs([valid_doc(partner="stichting-m", partner_ref="M-1"),
                         valid_doc(partner="riec", partner_ref="R-1")])
    signals = _rows(plan_raw([json.dumps(d).encode() for d in docs], batch_size=1),
                    CREATE_SIGNALS)
    assert [s["props"].get("partner_ref") for s in signals] == [None, "R-1"]
