"""The explorer's HTTP API on the real stack (``explorer_world``): login, sessions and CSRF,
search, profile and risk, network and why-linked as each partner may see them, alerts, merge
review feeding the resolver's judgements topic, and the audit entry of every request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaAdminClient
from neo4j import Driver

from core.settings import Settings
from explorer.accounts import AccountStore
from explorer.throttle import LoginThrottle
from policy.registry import clearance_for
from tests.integration.explorer_world import PASSWORDS, ExplorerWorld, read_topic, served_explorer


@pytest.fixture(scope="module")
def explorer(settings: Settings, driver: Driver, admin: KafkaAdminClient,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExplorerWorld]:
    with served_explorer(settings, driver, admin, tmp_path_factory.mktemp("explorer")) as world:
        yield world


def _login(explorer: ExplorerWorld, name: str) -> httpx.Client:
    """A logged-in client (not yet used as a context manager: ``with`` it or close it)."""
    client = httpx.Client(base_url=explorer.base_url, timeout=30.0)
    answer = httpx.post(f"{explorer.base_url}/api/session",
                        json={"username": name, "password": PASSWORDS[name]})
    assert answer.status_code == 200, answer.text
    client.cookies.update(answer.cookies)
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


@pytest.fixture
def ria(explorer: ExplorerWorld) -> Iterator[httpx.Client]:
    client = _login(explorer, "ria")
    yield client
    client.close()


@pytest.fixture
def otto(explorer: ExplorerWorld) -> Iterator[httpx.Client]:
    client = _login(explorer, "otto")
    yield client
    client.close()


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_login_sets_a_strict_http_only_cookie_and_refuses_wrong_passwords(
        explorer: ExplorerWorld) -> None:
    with httpx.Client(base_url=explorer.base_url) as client:
        assert client.get("/api/search", params={"q": "smit"}).status_code == 401
        wrong = client.post("/api/session", json={"username": "ria", "password": "nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {"detail": "unknown user or wrong password"}
        unknown = client.post("/api/session", json={"username": "nobody", "password": "x"})
        assert unknown.json() == wrong.json()  # the same answer: names are not confirmed
        good = client.post("/api/session", json={"username": "ria",
                                                  "password": PASSWORDS["ria"]})
        assert good.status_code == 200
        cookie = good.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert good.json()["analyst"] == "ria" and good.json()["partner"] == "riec"
        assert good.headers["content-security-policy"].startswith("default-src 'self'")
        assert _ok(client.get("/api/session"))["analyst"] == "ria"


def _from(address: str, world: ExplorerWorld) -> httpx.Client:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8)."""
    return httpx.Client(base_url=world.base_url,
                        transport=httpx.HTTPTransport(local_address=address))


def test_failed_logins_slow_the_client_and_the_name_but_lock_nobody_out(
        settings: Settings, driver: Driver, admin: KafkaAdminClient, tmp_path: Path) -> None:
    throttle = LoginThrottle(3, timedelta(minutes=1), timedelta(minutes=15))
    with served_explorer(settings, driver, admin, tmp_path, throttle=throttle) as world, \
            _from("127.0.0.2", world) as attacker, _from("127.0.0.3", world) as second, \
            _from("127.0.0.1", world) as analyst:
        wrong = {"username": "ria", "password": "not-her-password"}
        codes = [attacker.post("/api/session", json=wrong).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        refused = attacker.post("/api/session", json={"username": "ria",
                                                      "password": PASSWORDS["ria"]})
        assert refused.status_code == 429  # a waiting client's guesses are not even checked
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # the name has used up its free failures: a new address gets one guess, then waits
        assert second.post("/api/session", json=wrong).status_code == 401
        assert second.post("/api/session", json=wrong).status_code == 429
        assert second.post("/api/session", json={"username": "otto",
                                                  "password": PASSWORDS["otto"]}).status_code == 429
        # ... but ria herself, from an address that is not waiting, gets in
        ok = analyst.post("/api/session", json={"username": "ria", "password": PASSWORDS["ria"]})
        assert ok.status_code == 200, ok.text


def test_a_write_without_the_csrf_token_is_refused(explorer: ExplorerWorld,
                                                    ria: httpx.Client) -> None:
    token = ria.headers.pop("X-CSRF-Token")
    review = explorer.reviews["p2-p4"]
    refused = ria.post(f"/api/reviews/{review}", json={"verdict": "reject"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = ria.post(f"/api/reviews/{review}", json={"verdict": "reject"},
                     headers={"X-CSRF-Token": token[:-1] + "x"})
    assert wrong.status_code == 403
    form = ria.post(f"/api/reviews/{review}", content=b"verdict=reject",
                    headers={"X-CSRF-Token": token,
                             "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415


def test_every_api_answer_is_not_cached_nor_sniffed(explorer: ExplorerWorld,
                                                    ria: httpx.Client) -> None:
    answers = [ria.get("/api/session"), ria.get("/api/rings"),
               ria.get("/api/entities/P-0000000000000000"),
               ria.post("/api/reviews/x", content=b"x", headers={"Content-Type": "text/plain"}),
               ria.post("/api/reviews/x", content=b"{" + b" " * 70_000 + b"}",
                        headers={"Content-Type": "application/json"}),
               httpx.get(f"{explorer.base_url}/api/rings"),
               httpx.post(f"{explorer.base_url}/api/session", json={"username": "ria",
                                                                    "password": "wrong"})]
    assert [a.status_code for a in answers] == [200, 200, 404, 415, 413, 401, 401]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", answer.request.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_logout_ends_the_session(explorer: ExplorerWorld) -> None:
    with _login(explorer, "ria") as client:
        assert client.delete("/api/session").status_code == 204
        assert client.get("/api/session").status_code == 401


def test_an_idle_session_expires(settings: Settings, driver: Driver, admin: KafkaAdminClient,
                                 tmp_path: Path) -> None:
    with served_explorer(settings, driver, admin, tmp_path,
                         idle=timedelta(milliseconds=300)) as short:
        with _login(short, "ria") as client:
            assert client.get("/api/session").status_code == 200
            time.sleep(0.5)
            expired = client.get("/api/session")
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_a_session_ends_with_its_account_even_when_the_name_is_created_again(
        settings: Settings, driver: Driver, admin: KafkaAdminClient, tmp_path: Path) -> None:
    accounts = AccountStore(tmp_path / "users.json")
    with served_explorer(settings, driver, admin, tmp_path) as world:
        with _login(world, "ria") as client:
            assert _ok(client.get("/api/session"))["partner"] == "riec"
            assert accounts.remove("ria")
            accounts.add("ria", clearance_for("om"), "a-new-password-for-ria")
            revived = client.get("/api/session")
            assert revived.status_code == 401, revived.text  # not back, and not as om
            fresh = client.post("/api/session", json={"username": "ria",
                                                      "password": "a-new-password-for-ria"})
            assert _ok(fresh)["partner"] == "om"
        with _login(world, "otto") as client:
            assert client.get("/api/session").status_code == 200
            accounts.reset_password("otto", "otto-was-reset-12345")
            assert client.get("/api/session").status_code == 401
            assert client.get("/api/session").status_code == 401


def test_a_refused_request_does_not_extend_a_session(
        settings: Settings, driver: Driver, admin: KafkaAdminClient, tmp_path: Path) -> None:
    with served_explorer(settings, driver, admin, tmp_path,
                         idle=timedelta(milliseconds=1500)) as short, \
            _login(short, "ria") as client:
        time.sleep(0.9)
        assert client.post("/api/reviews/x", json={"verdict": "reject"},
                           headers={"X-CSRF-Token": "wrong"}).status_code == 403
        time.sleep(0.9)  # 1.8 s after the last accepted request, 0.9 s after the refused one
        assert client.get("/api/session").status_code == 401


def test_search_finds_names_and_identifiers_in_any_spelling(explorer: ExplorerWorld,
                                                            ria: httpx.Client) -> None:
    w = explorer.world
    p1 = _ok(ria.get("/api/entities/" + w.ids["P1"]))["profile"]["entity"]
    family = p1["properties"]["family_name"]
    found = _ok(ria.get("/api/search", params={"q": family.upper()}))
    assert [r["entity_id"] for r in found["results"]] == [w.ids["P1"]]
    assert found["results"][0]["matched"] == ["family_name"]
    typo = family[:-1] + ("a" if family[-1] != "a" else "b")  # one letter off still finds him
    assert w.ids["P1"] in {r["entity_id"] for r in
                           _ok(ria.get("/api/search", params={"q": typo}))["results"]}
    l1 = _ok(ria.get("/api/entities/" + w.ids["L1"]))["profile"]["entity"]["properties"]
    spaced = l1["postcode"][:4] + " " + l1["postcode"][4:].lower()
    assert w.ids["L1"] in {r["entity_id"] for r in
                           _ok(ria.get("/api/search", params={"q": spaced}))["results"]}
    phone = _ok(ria.get("/api/entities/" + w.ids["T1"]))["profile"]["entity"]["properties"]
    national = "0" + phone["number"][3:5] + "-" + phone["number"][5:]  # +31 6... -> 06-...
    assert [r["entity_id"] for r in
            _ok(ria.get("/api/search", params={"q": national}))["results"]] == [w.ids["T1"]]


def test_search_shows_nothing_a_partner_may_not_see(explorer: ExplorerWorld,
                                                   otto: httpx.Client) -> None:
    # The OM sees S2 only: P2 (named there), not P1 (only in signals it may not see).
    w = explorer.world
    p2 = _ok(otto.get("/api/entities/" + w.ids["P2"]))["profile"]["entity"]["properties"]
    assert [r["entity_id"] for r in _ok(otto.get(
        "/api/search", params={"q": p2["family_name"]}))["results"]] == [w.ids["P2"]]
    smit = "Smit" + p2["family_name"][len("Bakker"):]
    assert _ok(otto.get("/api/search", params={"q": smit}))["results"] == []
    assert otto.get("/api/entities/" + w.ids["P1"]).status_code == 404


def test_markup_in_a_search_is_inert_and_an_empty_one_is_refused(ria: httpx.Client) -> None:
    assert _ok(ria.get("/api/search", params={"q": '") OR *:* <script>'}))["results"] == []
    refused = ria.get("/api/search", params={"q": "?!"})
    assert refused.status_code == 422 and "at least 2" in refused.json()["detail"]


def test_profile_risk_and_timeline_count_only_visible_signals(explorer: ExplorerWorld,
                                                             ria: httpx.Client) -> None:
    w = explorer.world
    found = _ok(ria.get("/api/entities/" + w.ids["P1"]))
    assert found["profile"]["signal_count"] == 3  # S1, S4 (its own red), S7; not S3 (care)
    assert found["risk"]["breakdown"]["signals"] == 3
    assert found["risk"]["score"] > 0
    severities = sorted(r["severity"] for r in found["risk"]["breakdown"]["severity"]["reasons"])
    assert severities == ["high", "high", "medium"]
    timeline = _ok(ria.get(f"/api/entities/{w.ids['P1']}/timeline"))
    assert [e["signal"]["signal_id"] for e in timeline["entries"]] == [
        w.signals["S7"], w.signals["S4"], w.signals["S1"]]  # newest first
    merged = _ok(ria.get("/api/entities/" + w.ids["B2"]))["profile"]["anchor"]
    assert merged == {"requested": w.ids["B2"], "entity_id": w.ids["B1"],
                      "redirected_from": [w.ids["B2"]]}


def test_network_and_why_linked_show_the_supporting_signals(explorer: ExplorerWorld,
                                                           ria: httpx.Client) -> None:
    w = explorer.world
    net = _ok(ria.get(f"/api/entities/{w.ids['P1']}/network", params={"depth": 1}))
    ids = {n["entity_id"] for n in net["nodes"]}
    assert {w.ids["B1"], w.ids["L1"], w.ids["P3"]} <= ids and w.ids["V1"] not in ids
    why = _ok(ria.get("/api/why", params={"a": w.ids["P1"], "b": w.ids["B1"]}))
    director = [r for r in why["reasons"] if r["kind"] == "DIRECTOR_OF"]
    assert [s["signal"]["signal_id"] for s in director[0]["support"]] == [w.signals["S1"]]
    late = _ok(ria.get(f"/api/entities/{w.ids['P1']}/network",
                       params={"depth": 1, "since": "2026-03-01"}))
    assert {n["entity_id"] for n in late["nodes"]} == {w.ids["P1"], w.ids["L1"]}  # S7 only
    bad = ria.get(f"/api/entities/{w.ids['P1']}/network", params={"role": "king"})
    assert bad.status_code == 422 and "roles" in bad.json()["detail"]


def test_every_date_parameter_is_checked_with_a_422_naming_it_and_the_range(
        explorer: ExplorerWorld, ria: httpx.Client) -> None:
    network = f"/api/entities/{explorer.world.ids['P1']}/network"
    for name in ("since", "until"):
        for early_or_late in ("0001-01-01", "9999-12-31T23:59:59+00:00", "1899-12-31"):
            answer = ria.get(network, params={name: early_or_late})
            assert answer.status_code == 422, answer.text
            assert answer.json()["detail"].startswith(f"{name}=")
            assert "from 1900-01-01 to 2099-12-31" in answer.json()["detail"]
        typo = ria.get(network, params={name: "31-12-2026"})
        assert typo.status_code == 422 and typo.json()["detail"].startswith(f"{name}=")
    crossed = ria.get(network, params={"since": "2026-02-01", "until": "2026-01-01"})
    assert crossed.status_code == 422
    assert "datetime" not in crossed.text and "tzinfo" not in crossed.text
    assert crossed.json()["detail"].startswith('until="2025-12-31T23:00:00+00:00"')
    assert _ok(ria.get("/api/session"))["analyst"] == "ria"  # the same client goes on


def test_merge_review_lists_what_the_analyst_may_see_and_feeds_the_resolver(
        settings: Settings, explorer: ExplorerWorld, ria: httpx.Client,
        otto: httpx.Client) -> None:
    w, reviews = explorer.world, explorer.reviews

    def about(client: httpx.Client, key: str) -> dict[str, Any]:
        # per entity: the unfiltered list is the top 100 of a database other tests share
        found = _ok(client.get("/api/reviews", params={"entity": w.ids[key]}))["reviews"]
        return {r["review_id"]: r for r in found}

    assert set(about(ria, "P4")) == {reviews["p2-p4"]}  # not v1-p4: S3 is care
    assert about(ria, "P1")[reviews["p1-p3"]]["signal_ids"] == [w.signals["S1"]]
    assert about(otto, "P1") == {}
    decided = _ok(ria.post(f"/api/reviews/{reviews['p1-p3']}", json={"verdict": "reject"}))
    assert decided["status"] == "rejected" and decided["decided_by"] == "ria"
    again = ria.post(f"/api/reviews/{reviews['p1-p3']}", json={"verdict": "confirm"})
    assert again.status_code == 409
    assert otto.post(f"/api/reviews/{reviews['p2-p4']}",
                     json={"verdict": "confirm"}).status_code == 404
    judgements = read_topic(settings, explorer.topics["resolver.judgements"])
    a, b = sorted((w.ids["P1"], w.ids["P3"]))
    assert judgements == [(f"{a}|{b}".encode(), {
        "a": a, "b": b, "verdict": "reject", "analyst": "ria", "partner": "riec",
        "review_id": reviews["p1-p3"]})]
    assert about(ria, "P1") == {}


def test_alerts_are_approved_only_by_the_reviewer_and_released_once(
        settings: Settings, explorer: ExplorerWorld, ria: httpx.Client,
        otto: httpx.Client) -> None:
    alert_id = explorer.alert_id
    listed = {a["alert_id"]: a for a in
              _ok(ria.get("/api/alerts", params={"status": "proposed"}))["alerts"]}
    assert listed[alert_id]["anchor_name"] == f"Piet Smit ({explorer.world.uid})"
    assert otto.get(f"/api/alerts/{alert_id}").status_code == 403
    reject = ria.post(f"/api/alerts/{alert_id}/reject", json={"version": 1, "reason": ""})
    assert reject.status_code == 422
    approved = _ok(ria.post(f"/api/alerts/{alert_id}/approve",
                            json={"version": 1, "note": "checked"}))
    assert approved["status"] == "approved"
    twice = ria.post(f"/api/alerts/{alert_id}/approve", json={"version": 1})
    assert twice.status_code == 409
    released = read_topic(settings, explorer.topics["alerts.om"])
    assert [(k, v["alert_id"], v["approved_by"]) for k, v in released] == [
        (alert_id.encode(), alert_id, "ria")]


def test_every_request_is_audited(settings: Settings, explorer: ExplorerWorld) -> None:
    with _login(explorer, "ria") as client:
        client.get("/api/search", params={"q": "zzzz-nothing"})
        client.get("/api/entities/P-0000000000000000")  # unknown: audited as not-found
    entries = [v for _, v in read_topic(settings, explorer.topics["audit.log"])
               if v["actor"] == "ria"]
    actions = [(e["action"], e["outcome"]) for e in entries]
    assert ("explorer.login", "ok") in actions
    assert ("search", "ok") in actions and ("profile", "not-found") in actions
    search = next(e for e in entries if e["action"] == "search"
                  and e["params"]["q"] == "zzzz-nothing")
    assert search["partner"] == "riec" and search["result_count"] == 0


def test_no_stack_trace_reaches_the_client(ria: httpx.Client) -> None:
    answer = ria.get("/api/entities/" + "x" * 500)
    assert answer.status_code in (404, 422)
    assert "Traceback" not in answer.text and set(answer.json()) == {"detail"}
