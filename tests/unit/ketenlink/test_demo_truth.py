"""The demo's measures against the ground truth: resend/revision arithmetic, which true entity
stands behind a graph mention, and which true rings the found rings recover."""

from __future__ import annotations

from typing import Any

from ketenlink.demo.records import Sent
from ketenlink.demo.truth import (
    DedupeTally,
    FoundRing,
    GraphMention,
    TrueEntity,
    attribute,
    explain_suppressed,
    match_rings,
    tally_dedupe,
    true_entity,
    truth_kinds,
)


def test_resends_are_what_was_acknowledged_minus_what_came_out() -> None:
    verdicts = {("a", 1): "new", ("b", 1): "new", ("b", 2): "revision", ("b", 3): "revision",
                ("c", 1): "new", ("c", 2): "revision"}
    tally = tally_dedupe(acknowledged=10, parked=1, verdicts=verdicts)
    assert tally == DedupeTally(acknowledged=10, parked=1, new=3, revisions=3, revised_signals=2)
    assert tally.suppressed == 10 - 1 - 3 - 3


def test_a_replayed_record_counts_once() -> None:
    # the worker keys verdicts by (signal id, revision): a replay after a crash is the same key
    verdicts: dict[tuple[str, int], str] = {}
    for signal_id, revision, verdict in [("a", 1, "new"), ("a", 1, "new"), ("a", 2, "revision")]:
        verdicts[(signal_id, revision)] = verdict
    tally = tally_dedupe(4, 0, verdicts)
    assert (tally.new, tally.revisions, tally.suppressed) == (1, 1, 2)


TRUTH: dict[tuple[str, int], dict[str, Any]] = {
    ("kvk-mutaties.csv", 2): {"kind": "original", "mentions": [
        {"subject": "bedrijf", "type": "bedrijf", "entity": "B1", "ring": "R001"},
        {"subject": "adres", "type": "adres", "entity": "A1", "ring": "R001"},
        {"subject": "functionaris", "type": "persoon", "entity": "P1", "ring": "R001"}]},
    ("kvk-mutaties.csv", 3): {"kind": "resend", "mentions": []},
    ("riec-casussignalen.jsonl", 1): {"kind": "original", "mentions": [
        {"subject": "s1", "type": "persoon", "entity": "P2", "ring": "R001"},
        {"subject": "s2", "type": "persoon", "entity": "P9", "ring": None}]},
    ("riec-casussignalen.jsonl", 4): {"kind": "revision", "mentions": []},
    ("meldmisdaadanoniem-tips.jsonl", 1): {"kind": "original", "mentions": [
        {"subject": "melder", "type": "persoon", "entity": "P7", "ring": None},
        {"subject": "melder.telefoon", "type": "telefoon", "entity": "T7", "ring": None},
        {"subject": "tekst", "type": "adres", "entity": "A2", "ring": "R002", "surface": "x 1"},
        {"subject": "tekst", "type": "adres", "entity": "A2", "ring": "R002", "surface": "x  1"},
        {"subject": "tekst", "type": "telefoon", "entity": "T7", "ring": None, "reporter": True},
        {"subject": "tekst", "type": "telefoon", "entity": "T8", "ring": "R002"},
        {"subject": "tekst", "type": "rekening", "entity": "I1", "ring": "R002"},
        {"subject": "tekst", "type": "rekening", "entity": "I2", "ring": "R002"}]},
}


def test_suppressed_records_explained_signal_by_signal() -> None:
    truth: dict[tuple[str, int], dict[str, Any]] = {
        ("riec-casussignalen.jsonl", n): {"kind": kind} for n, kind in
        [(1, "original"), (2, "resend"), (3, "revision"), (4, "original"), (5, "revision"),
         (6, "original"), (7, "resend")]}
    sent = [Sent("riec", 1, "a"), Sent("riec", 2, "a"), Sent("riec", 3, "a"),  # resent, revised
            Sent("riec", 4, "b"), Sent("riec", 5, "b"),   # revised, but the same facts
            Sent("riec", 6, "c"), Sent("riec", 7, "c")]   # another reference's facts, resent
    verdicts = {("a", 1): "new", ("a", 2): "revision", ("b", 1): "new"}
    why = explain_suppressed(sent, truth, verdicts)
    assert why == {"resend": 1, "unchanged": 1, "same facts": 2}
    assert sum(why.values()) == tally_dedupe(len(sent), 0, verdicts).suppressed


def test_truth_kinds_of_the_published_lines() -> None:
    sent = [Sent("kvk", 2, "a"), Sent("kvk", 3, "a"), Sent("riec", 4, "b"), Sent("riec", 99, "c")]
    assert truth_kinds(sent, TRUTH) == {"original": 1, "resend": 1, "revision": 1}


def test_true_entity_by_the_subject_the_adapter_maps_from() -> None:
    kvk = TRUTH[("kvk-mutaties.csv", 2)]["mentions"]
    assert true_entity("kvk", "p1", "Person", kvk) == ("P1", "R001")
    assert true_entity("kvk", "l1", "Location", kvk) == ("A1", "R001")
    assert true_entity("kvk", "x9", "Person", kvk) is None
    riec = TRUTH[("riec-casussignalen.jsonl", 1)]["mentions"]
    assert true_entity("riec", "s2", "Person", riec) == ("P9", None)


def test_a_tip_subject_is_matched_by_type_only_when_that_names_one_entity() -> None:
    tip = TRUTH[("meldmisdaadanoniem-tips.jsonl", 1)]["mentions"]
    assert true_entity("stichting-m", "l1", "Location", tip) == ("A2", "R002")  # written twice
    assert true_entity("stichting-m", "t2", "Phone", tip) == ("T8", "R002")  # not the reporter's
    assert true_entity("stichting-m", "r3", "BankAccount", tip) is None  # two accounts: ambiguous
    assert true_entity("stichting-m", "p1", "Person", tip) is None  # the reporter block is dropped


def test_attribute_joins_graph_mentions_to_the_truth_of_the_signals_last_line() -> None:
    latest = {"k": Sent("kvk", 2, "k"), "r": Sent("riec", 1, "r"), "gone": Sent("zorg", 5, "gone")}
    mentions = [GraphMention("k", "b1", "Business", "E1"), GraphMention("k", "p1", "Person", "E2"),
                GraphMention("r", "s1", "Person", "E2"), GraphMention("r", "s2", "Person", "E3"),
                GraphMention("gone", "v1", "Person", "E4"), GraphMention("other", "b1", "Business", "E5")]
    assert attribute(mentions, latest, TRUTH) == {
        "E1": {("B1", "R001")},
        "E2": {("P1", "R001"), ("P2", "R001")},  # resolution merged two true persons
        "E3": {("P9", None)},
    }


def test_a_found_ring_recovers_a_true_ring_with_two_distinct_members() -> None:
    attribution: dict[str, set[TrueEntity]] = {
        "E1": {("B1", "R001")}, "E2": {("P1", "R001")}, "E3": {("P9", None)},
        "E4": {("A5", "R002")}, "E5": {("A5", "R002")}, "E6": {("P6", "R003")},
        "E7": {("B3", "R003"), ("P4", "R004")}}
    found = [FoundRing(1, frozenset({"E1", "E2", "E3"})),   # R001: B1 and P1
             FoundRing(2, frozenset({"E4", "E5", "E3"})),   # one true member twice: not enough
             FoundRing(3, frozenset({"E6", "E7", "E9"})),   # R003: P6 and B3
             FoundRing(4, frozenset({"E1", "E2"}))]         # R001 again
    match = match_rings(found, attribution, ("R001", "R002", "R003", "R004"),
                        run_entities={"E1", "E2", "E3", "E4", "E5", "E6", "E7"})
    assert match.recovered == {"R001": (1, 4), "R003": (3,)}
    assert match.missed == ("R002", "R004")
    assert [r.rank for r in match.ours] == [1, 2, 3, 4]
    assert [r.rank for r in match.unmatched] == [2]


def test_a_ring_of_innocents_matches_no_true_ring() -> None:
    match = match_rings([FoundRing(7, frozenset({"E1", "E2", "E3"}))],
                        {"E1": {("P1", None)}, "E2": {("B1", None)}}, ("R001",),
                        run_entities={"E1", "E2"})
    assert match.recovered == {}
    assert match.missed == ("R001",)
    assert [r.rank for r in match.unmatched] == [7]


def test_an_earlier_runs_ring_that_touches_one_entity_of_this_run_is_not_this_runs() -> None:
    earlier = FoundRing(3, frozenset({"E1", "X1", "X2", "X3"}))  # only E1 is this run's
    match = match_rings([earlier], {"E1": {("A1", None)}}, ("R001",), run_entities={"E1", "E2"})
    assert (match.ours, match.unmatched) == ((), ())


def test_an_earlier_runs_ring_that_absorbed_a_true_ring_still_recovers_it() -> None:
    merged = FoundRing(1, frozenset({"E1", "E2", "X1", "X2", "X3"}))
    attribution: dict[str, set[TrueEntity]] = {"E1": {("P1", "R001")}, "E2": {("B1", "R001")}}
    match = match_rings([merged], attribution, ("R001",), run_entities={"E1", "E2"})
    assert match.recovered == {"R001": (1,)}
    assert match.ours == (merged,)
