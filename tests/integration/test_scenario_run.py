"""``ketenlink scenario run`` end to end on a small hand-written scenario (tests/data/scenarios):
the runner's own topics and services on the test stack; the items the platform supports PASS
(among them the new kinds of signal, native file to graph: a probation watch, a labour
inspection, a municipal finding), and a deliberately wrong expectation FAILs."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from infra.stack import ServerStatus
from ketenlink.scenario.run import run_scenario
from ketenlink.scenario.world import platform

SCENARIO = Path(__file__).parents[1] / "data" / "scenarios" / "small-world.yaml"


def test_a_small_scenario_runs_end_to_end(stack: list[ServerStatus], settings: Settings,
                                          uid: str) -> None:
    lines: list[str] = []
    with platform(settings, lines.append, run_id=f"scn-{uid}") as world:
        result = run_scenario(world, SCENARIO, lines.append)
    verdicts = {item.item: item.verdict for item in result.items}
    evidence = "\n".join(item.line() for item in result.items)
    for supported in ("one_entity B1", "revised S2", "resend_suppressed S5",
                      "indicators B1 high_risk_sector", "never_anywhere 'Gerrit Klikspaan'",
                      "never_anywhere '+31699887766'", "never_anywhere '111222333'",
                      "visible riec:rotterdam sees S2", "delivered kvk never S3",
                      "distinct P1 B1",
                      # the new partners: a watch, a labour inspection, a municipality
                      "watch_hit reclassering P1 by S2", "one_entity L2",
                      "indicators L2 overcrowding", "delivered riec:midden-nederland receives S8",
                      "delivered riec:rotterdam never S8"):
        assert verdicts[supported] == "PASS", evidence
    assert verdicts["no_indicators B1 high_risk_sector"] == "FAIL", evidence  # the wrong one
    assert any("gemeente:GM0344: switched on" in line for line in lines), lines
    bed = next(i for i in result.items if i.item.startswith("waterbed"))
    assert bed.evidence.startswith("graph.queries.waterbed"), evidence  # asked, whatever it says
    assert not result.passed
