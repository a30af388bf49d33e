"""Ring ranking and shortest paths on networkx graphs, and the row-to-result helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.analyst.build import Explored, display_name, link, summary
from graph.analyst.model import CO_MENTIONED, Risk
from graph.analyst.rings import MemberInfo, project, rank_rings, risk_of, shortest_paths


def _ev(signal: str, partner: str, day: int = 1) -> dict[str, object]:
    return {"signal_id": signal, "partner_id": partner,
            "observed_at": datetime(2026, 1, day, tzinfo=UTC)}


def _info(signals: dict[str, tuple[str, str]], suspect: bool = False) -> MemberInfo:
    return MemberInfo(dict(signals), suspect)


def test_rings_rank_partners_first_then_severity_suspects_signals() -> None:
    links = [link("P-a", "DIRECTOR_OF", "B-a", [_ev("s1", "riec")]),
             link("B-a", "LOCATED_AT", "L-a", [_ev("s1", "riec")]),
             link("P-b", CO_MENTIONED, "L-b", [_ev("s2", "kvk")]),
             link("P-b", "OWNS", "B-b", [_ev("s3", "stichting-m")]),
             link("P-c", "OWNS", "B-c", [_ev("s4", "riec")]),
             link("P-d", "OWNS", "B-d", [_ev("s5", "riec")])]
    info = {
        # ring a: one partner, critical, 1 suspect
        "P-a": _info({"s1": ("riec", "critical")}, suspect=True), "B-a": _info({}),
        "L-a": _info({}),
        # ring b: two partners, low severity
        "P-b": _info({"s2": ("kvk", "low"), "s3": ("stichting-m", "low")}, suspect=True),
        "L-b": _info({"s2": ("kvk", "low")}), "B-b": _info({"s3": ("stichting-m", "low")}),
        # pair c: too small; pair d: big enough for min_size 2 only, no suspect
        "P-c": _info({"s4": ("riec", "high")}, suspect=True), "B-c": _info({}),
        "P-d": _info({"s5": ("riec", "high")}), "B-d": _info({}),
    }
    graph = project(info, links)
    ranked = rank_rings(graph, info, min_size=3)
    assert [members for _, members in ranked] == [("B-b", "L-b", "P-b"), ("B-a", "L-a", "P-a")]
    assert ranked[0][0] == Risk(partners=2, max_severity="low", suspects=1, signals=2)
    assert ranked[1][0] == Risk(partners=1, max_severity="critical", suspects=1, signals=1)
    assert [m for _, m in rank_rings(graph, info, min_size=2)][-1] == ("B-c", "P-c")


def test_risk_ties_fall_to_severity_then_suspects_then_signals() -> None:
    base = {"x": _info({"s1": ("riec", "high")}, suspect=True)}
    assert risk_of(["x"], base).sort_key() == (1, 3, 1, 1)
    more = {**base, "y": _info({"s2": ("riec", "medium")}, suspect=True)}
    assert risk_of(["x", "y"], more).sort_key() > risk_of(["x"], base).sort_key()
    assert risk_of(["nobody"], {}) == Risk(0, None, 0, 0)


def test_shortest_paths_on_a_projection() -> None:
    links = [link("P-a", "OWNS", "B-a", [_ev("s1", "riec")]),
             link("B-a", "LOCATED_AT", "L-a", [_ev("s1", "riec")]),
             link("P-a", CO_MENTIONED, "T-a", [_ev("s2", "kvk")]),
             link("T-a", CO_MENTIONED, "L-a", [_ev("s2", "kvk")]),
             link("L-a", "LOCATED_AT", "P-z", [_ev("s3", "kvk")])]
    graph = project(["P-a", "B-a", "L-a", "T-a", "P-z", "P-lonely"], links)
    assert shortest_paths(graph, "P-a", "L-a", 4, 10) == [("P-a", "B-a", "L-a"),
                                                           ("P-a", "T-a", "L-a")]
    assert shortest_paths(graph, "P-a", "L-a", 4, 1) == [("P-a", "B-a", "L-a")]
    assert shortest_paths(graph, "P-a", "P-z", 2, 10) == []
    assert shortest_paths(graph, "P-a", "P-lonely", 4, 10) == []
    assert shortest_paths(graph, "P-a", "P-unknown", 4, 10) == []
    assert shortest_paths(graph, "P-a", "P-a", 4, 10) == [("P-a",)]


def test_links_keep_visible_provenance_and_sort_co_mentions() -> None:
    item = link("T-b", CO_MENTIONED, "P-a", [_ev("s2", "kvk", 5), _ev("s1", "riec", 2),
                                             _ev("s2", "kvk", 5)])
    assert (item.source, item.target) == ("P-a", "T-b")
    assert item.signal_ids == ("s1", "s2") and item.partners == ("kvk", "riec")
    assert item.first_seen == datetime(2026, 1, 2, tzinfo=UTC)
    assert item.last_seen == datetime(2026, 1, 5, tzinfo=UTC)


def test_explored_drops_co_mentions_that_a_relation_already_explains() -> None:
    explored = Explored()
    explored.distance["P-a"] = 0
    row = {"origin": "P-a", "labels": ["Entity", "Business"], "props": [{"trade_name": "X"}]}
    assert explored.add_row({**row, "other": "B-a", "kind": "OWNS", "outgoing": True,
                             "evidence": [_ev("s1", "riec")]}, 1, 10) == "B-a"
    assert explored.add_row({**row, "other": "B-a", "kind": CO_MENTIONED, "outgoing": True,
                             "evidence": [_ev("s1", "riec")]}, 1, 10) is None
    explored.add_row({**row, "origin": "B-a", "other": "P-a", "kind": "OWNS", "outgoing": False,
                      "evidence": [_ev("s1", "riec")]}, 2, 10)
    assert [(lk.source, lk.kind, lk.target) for lk in explored.links()] == [
        ("P-a", "OWNS", "B-a")]
    assert explored.add_row({**row, "other": "B-b", "kind": "OWNS", "outgoing": True,
                             "evidence": [_ev("s9", "kvk")]}, 1, 2) is None
    assert explored.truncated and "B-b" not in explored.distance


def test_names_and_summaries() -> None:
    # visible mentions, newest first: each property from the newest mention that has it
    person = summary("P-1", ["Entity", "Person"], [
        {"given_name": "Jan", "family_name": "Berg", "ref": "p1", "role": "suspect",
         "revision": 2, "version": "2026-02|s2|p1"},
        {"given_name": "Johannes", "name_prefix": "van der", "family_name": "Bergh",
         "birth_date": None, "version": "2026-01|s1|p1"}])
    assert (person.label, person.name) == ("Person", "Jan van der Berg")
    assert set(person.properties) == {"given_name", "name_prefix", "family_name"}
    assert display_name("Location", {"street": "Hoogstraat", "house_number": 12,
                                     "postcode": "4811AB", "city": "Breda"}) \
        == "Hoogstraat 12 4811AB Breda"
    assert display_name("Business", {"trade_name": "Clean Pro", "kvk_number": "81234567"}) \
        == "Clean Pro (KvK 81234567)"
    assert display_name("Phone", {}) == "(no name)"
