"""The end-to-end benchmark's raw Neo4j copies never meet the pipeline's graph, and the ids it
deletes by are exactly the nodes a copy makes."""

from __future__ import annotations

import json

from bench.e2e_raw import ids_of, plan_ids, raw_copy
from bench.graph_data import Resolved, copy_record
from bench.graph_raw import plan_raw
from graph.review_candidates import review_id
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

LOCATION = {"type": "location", "ref": "l1", "role": "location",
            "address": {"street": "Hoogstraat", "house_number": 12, "postcode": "4811ab",
                        "city": "Breda"}}


def _records() -> list[Resolved]:
    base = valid_doc()
    docs = resolve_docs([valid_doc(partner_ref="x"),
                         valid_doc(partner="kvk", partner_ref="y",
                                   subjects=[*base["subjects"], LOCATION])])
    return [Resolved(d["signal_id"].encode(), json.dumps(d).encode()) for d in docs]


def test_a_raw_copy_shares_no_node_key_with_the_original() -> None:
    records = _records()
    original = plan_ids(plan_raw([r.value for r in records], 10))
    copied = plan_ids(plan_raw([raw_copy(r.value, "r1") for r in records], 10))
    assert original.partners == {"riec", "kvk"}
    assert copied.partners == {"riecxr1", "kvkxr1"}
    assert original.municipalities == {"NL:breda"}
    assert copied.municipalities == {"NL:bredaxr1"}
    assert len(copied.signals) == 2 and len(copied.entities) == len(original.entities)
    for attr in ("signals", "entities", "partners", "municipalities"):
        assert not getattr(original, attr) & getattr(copied, attr)
    assert all(e.endswith("xr1") for e in copied.entities)


def test_ids_of_records_and_merges() -> None:
    records = _records()
    docs = [json.loads(r.value) for r in records]
    doc = docs[0]
    doc["review"] = [{"entity_id": "P-1", "candidate": "P-2", "score": 0.8}]
    merge = Resolved(b"P-4", json.dumps({"merged": "P-3", "into": "P-4"}).encode())
    ids = ids_of([Resolved(b"k", json.dumps(doc).encode()), records[1]], [merge])
    assert ids.signals == {d["signal_id"] for d in docs}
    assert {e["entity_id"] for d in docs for e in d["entities"]} | {"P-3", "P-4"} <= ids.entities
    assert ids.reviews == {review_id("P-2", "P-1")}
    assert not ids.partners and not ids.municipalities  # shared with other runs: never deleted
    copy = ids_of([copy_record(records[1].value, "s1")], [])
    assert all(e.endswith("xs1") for e in copy.entities)
    assert ids.count() == len(ids.signals) + len(ids.entities) + 1
