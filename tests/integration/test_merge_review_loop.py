"""The merge-review loop end to end, every part real: two signals about one man spelled two ways
go through the worker (a review candidate, not a link), the sink writes the candidate, an analyst
confirms it in the explorer, the worker's resolver merges the two entities, the sink moves the
merge into the graph, and the explorer then shows one entity and no open question."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from neo4j import Driver

from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from tests.integration.explorer_world import PASSWORDS, serving
from tests.integration.test_stream_worker import _env, _publish
from tests.unit.schemas.signals import valid_doc

OPEN_REVIEW = """
MATCH (r:ReviewCandidate {status: 'open'}) WHERE r.a IN $ids AND r.b IN $ids
RETURN r.review_id AS review_id
"""
PERSONS = """
MATCH (s:Signal)-[:MENTIONS]->(e:Person) WHERE s.partner_ref STARTS WITH $ids[0]
WITH collect(DISTINCT e.entity_id) AS ids WHERE size(ids) >= 2
RETURN ids
"""
MERGED = """
MATCH (x:Entity)-[:MERGED_INTO]->(y:Entity) WHERE x.entity_id IN $ids AND y.entity_id IN $ids
RETURN x.entity_id AS merged, y.entity_id AS into
"""


def _person(uid: str, ref: str, partner: str, **names: str) -> dict[str, Any]:
    return valid_doc(partner=partner, partner_ref=f"{uid}-{ref}", relations=[], subjects=[
        {"type": "person", "ref": "p", "role": "suspect", **names}])


def _until(driver: Driver, query: str, ids: list[str], what: str, timeout: float = 90.0
           ) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [r.data() for r in driver.execute_query(query, ids=ids)[0]]
        if rows:
            return rows
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {timeout:.0f} s")


def test_a_confirmed_review_merges_the_entities_in_the_resolver_and_the_graph(
        settings: Settings, layout: TopicLayout, uid: str, driver: Driver,
        tmp_path: Path) -> None:
    suffix = "".join(chr(ord("a") + int(c, 16)) for c in uid[1:9])
    first = _person(uid, "1", "riec", given_name="Jan", family_name=f"Kowalski{suffix}",
                    birth_date="1980-04-01")
    second = _person(uid, "2", "kvk", given_name="J", family_name=f"Kowalsky{suffix}")
    env = _env(uid, tmp_path)
    topics = {n: layout.name(n) for n in ("audit.log", "alerts.om", "resolver.judgements")}
    with ServiceProcess("worker", tmp_path / "worker.log", env=env), \
            ServiceProcess("sink", tmp_path / "sink.log", env=env), \
            serving(settings, driver, topics, tmp_path) as (base_url, _):
        _publish(settings, layout, [first])
        time.sleep(1.0)  # the first is resolved first: the second is then the doubtful one
        _publish(settings, layout, [second])
        (found,) = _until(driver, PERSONS, [f"{uid}-"], "two persons")
        ids = sorted(found["ids"])
        assert len(ids) == 2, f"the two spellings were not kept apart: {ids}"
        (review,) = _until(driver, OPEN_REVIEW, ids, "review candidate")

        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            login = client.post("/api/session", json={"username": "ria",
                                                      "password": PASSWORDS["ria"]})
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            about = client.get("/api/reviews", params={"entity": ids[0]}).json()["reviews"]
            assert [r["review_id"] for r in about] == [review["review_id"]]
            decided = client.post(f"/api/reviews/{review['review_id']}",
                                  json={"verdict": "confirm"})
            assert decided.status_code == 200, decided.text

            (merge,) = _until(driver, MERGED, ids, "merge in the graph")
            profile = client.get(f"/api/entities/{merge['merged']}").json()["profile"]
            assert profile["anchor"]["entity_id"] == merge["into"]
            assert profile["signal_count"] == 2  # both signals now on one man
            assert client.get("/api/reviews", params={"entity": ids[0]}).json()["reviews"] == []
