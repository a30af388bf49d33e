"""The pure part of the checks: verdicts from what the pipeline answered (entities per mention,
resolved records), the 'cannot express' FAILs, the phone-number search, and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.deidentify_eval import survivors
from ketenlink.scenario import checks
from ketenlink.scenario.checks import FAIL, PASS, ItemResult
from ketenlink.scenario.evidence import Evidence, _same_value, world_ids_in
from ketenlink.scenario.report import markdown, to_json
from ketenlink.scenario.run import ScenarioResult


@dataclass
class Answered:
    """What a finished run would have gathered (the parts the pure checks read)."""

    mentions: dict[str, dict[str, str]]
    tainted: dict[str, list[str]] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)
    resolved: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    not_sent: dict[str, str] = field(default_factory=dict)
    scenario: Any = None

    def entities(self, world_id: str) -> set[str]:
        return set(self.mentions.get(world_id, {}).values())

    def unsent(self, signal: str) -> str | None:
        return self.not_sent.get(signal)

    def signal_id(self, signal: str) -> str | None:
        return self.sent.get(signal)


def _ev(answered: Answered) -> Evidence:
    return cast(Evidence, answered)


def test_one_entity_passes_on_one_and_fails_on_two_or_none() -> None:
    ev = _ev(Answered({"P1": {"S1": "e1", "S2": "e1"}, "P2": {"S1": "e2", "S3": "e3"}}))
    results = checks.one_entity(ev, ["P1", "P2", "P3"])
    assert [r.verdict for r in results] == [PASS, FAIL, FAIL]
    assert "resolved to {e2, e3}" in results[1].evidence
    assert "no mention of P3 reached the graph" in results[2].evidence


def test_an_item_about_a_signal_that_was_not_sent_cannot_be_expressed() -> None:
    ev = _ev(Answered({"P1": {"S1": "e1"}},
                      tainted={"P1": ["S2: cannot express: no partner/format for reclassering"]}))
    (result,) = checks.one_entity(ev, ["P1"])
    assert result.verdict == FAIL
    assert result.evidence.startswith("cannot express: P1 in S2: cannot express: no partner")


def test_distinct_fails_on_a_shared_entity() -> None:
    ev = _ev(Answered({"P1": {"S1": "e1"}, "P2": {"S2": "e2"}, "P3": {"S3": "e1"}}))
    assert [r.verdict for r in checks.distinct(ev, [["P1", "P2"], ["P1", "P3"]])] == [PASS, FAIL]


def test_resend_suppressed_counts_the_resolved_records() -> None:
    @dataclass
    class Sig:
        id: str
        resend_of: str | None = None

    scenario = type("S", (), {"signals": [Sig("S3"), Sig("S3b", "S3")]})()
    ev = Answered({}, sent={"S3": "sid", "S3b": "sid"}, scenario=scenario,
                  resolved={"sid": [{"revision": 1, "verdict": "new"}]})
    assert checks.resend_suppressed(_ev(ev), ["S3b"])[0].verdict == PASS
    ev.resolved["sid"].append({"revision": 2, "verdict": "revision"})
    assert checks.resend_suppressed(_ev(ev), ["S3b"])[0].verdict == FAIL
    ev.not_sent["S3b"] = "the kvk adapter skipped it: no indicator"
    assert "cannot express" in checks.resend_suppressed(_ev(ev), ["S3b"])[0].evidence


def test_items_the_platform_has_no_feature_for_fail_with_the_reason() -> None:
    ev = _ev(Answered({}))
    for result in checks.hit_only(ev, {"riec:den-haag": ["S7"]}):
        assert result.verdict == FAIL and result.evidence.startswith("cannot express: ")


def test_world_ids_are_found_at_any_depth_and_as_keys() -> None:
    fields = {"subjects": {"P1": "suspect", "as": {"P2": {}}}, "relations": [["P3", "owns", "B1"]],
              "conditions": [{"no_contact": "P4"}], "text": "P5 is not an id here"}
    assert set(world_ids_in(fields, {"P1", "P2", "P3", "P4", "P5", "B1"})) == \
        {"P1", "P2", "P3", "P4", "B1"}


def test_extracted_subjects_are_matched_to_world_things_by_value() -> None:
    assert _same_value("phone", "+31 6 41905518", {"type": "phone", "number": "06-41905518"})
    assert _same_value("vehicle", "H-318-RG", {"type": "vehicle", "plate": "H318RG"})
    assert not _same_value("phone", "+31 6 41905518", {"type": "phone", "number": "0612345678"})


def test_phone_numbers_are_found_in_any_spelling() -> None:
    assert survivors("bel 010-2345678 morgen", ["+31102345678"]) == ["+31102345678"]
    assert survivors("ref 794026540x", ["794026540"]) == ["794026540"]
    assert survivors("nothing here", ["Fatma Yilmaz"]) == []


def test_the_reports_hold_every_item() -> None:
    result = ScenarioResult("demo", Path("demo.yaml"), [
        ItemResult("one_entity P1", PASS, "one | entity"), ItemResult("alert", FAIL, "none")])
    assert to_json(result) == {"scenario": "demo", "items": [
        {"item": "one_entity P1", "verdict": "PASS", "evidence": "one | entity"},
        {"item": "alert", "verdict": "FAIL", "evidence": "none"}]}
    text = markdown([result], "scn-1", 12.0)
    assert "| demo | 1 | 1 |" in text and "one \\| entity" in text
    assert ItemResult("alert", FAIL, "none").line() == "FAIL alert — none"


def test_a_negative_item_about_a_value_never_in_the_graph_holds() -> None:
    ev = _ev(Answered({"L9": {"S1": "e9"}}, tainted={"L8": ["S8: cannot express: no partner"]}))
    (absent,) = checks.no_indicators(ev, {"T9": ["overcrowding"]})
    assert absent.verdict == PASS and "no mention of T9" in absent.evidence
    (tainted,) = checks.no_indicators(ev, {"L8": ["overcrowding"]})
    assert tainted.verdict == FAIL and tainted.evidence.startswith("cannot express")
    (unknown,) = checks.indicators(ev, {"L9": ["no_such_indicator"]})
    assert unknown.verdict == FAIL and "no catalogue code" in unknown.evidence


def test_waterbed_needs_cbs_municipality_codes() -> None:
    ev = _ev(Answered({"P1": {"S1": "e1"}}))
    (result,) = checks.waterbed(ev, {"network_of": "P1", "from": "GM0796", "to": "GM0001",
                                     "after": "2026-03-01"})
    assert result.verdict == FAIL
    assert result.evidence == "cannot express: GM0001 not a CBS municipality code"

