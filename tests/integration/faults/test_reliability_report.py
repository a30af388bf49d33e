"""RELIABILITY.md keeps the rows of scenarios that did not run: ``parse`` reads back what
``render`` wrote (no servers needed; it sits with the scenarios whose rows it keeps)."""

from __future__ import annotations

from tests.integration.faults.reliability import REPORT, Outcome, parse, render


def test_a_rendered_report_parses_back_to_its_outcomes() -> None:
    rows = [Outcome(scenario="kill -9 sink", load="1,200 signals at 40/s; worker, sink running",
                    faults="kill -9 `ketenlink sink` at 40% of the load", sent=1200,
                    acknowledged=1_200, delivered=1_199, lost=1, checks="0 others; 3 retried",
                    seconds=65.0, ran_at="2026-12-05T18:31:51+00:00"),
            Outcome(scenario="Neo4j stopped", load="l", faults="f", sent=0, acknowledged=0,
                    delivered=0, lost=0, seconds=81.0, ran_at="2026-12-05T18:34:32+00:00")]
    assert parse(render(rows)) == rows


def test_the_committed_report_renders_unchanged() -> None:
    text = REPORT.read_text()
    assert parse(text), "RELIABILITY.md holds no rows"
    assert render(parse(text)) == text
