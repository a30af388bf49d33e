"""One scenario file through a running platform: translate, publish in time order, wait for the
pipeline, check every item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from core.private_files import private_dir
from infra.offsets import wait_committed
from ketenlink.demo.errors import DemoError
from ketenlink.demo.pipeline import await_pipeline, end_offsets
from ketenlink.scenario.checks import ItemResult, check_all
from ketenlink.scenario.evidence import Evidence
from ketenlink.scenario.exceptions import HarnessError
from ketenlink.scenario.model import Scenario, load_scenario
from ketenlink.scenario.partners import map_partner, named_partners
from ketenlink.scenario.publish import publish_translation
from ketenlink.scenario.translate import Translator
from ketenlink.scenario.world import Platform
from policy.changes import switch_on

log = structlog.get_logger(__name__)

SWITCHED_ON_BY = "scenario-runner"
"""Who the audit log names for a partner a scenario run switches on."""


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    path: Path
    items: list[ItemResult]

    @property
    def passed(self) -> bool:
        return all(i.verdict == "PASS" for i in self.items)

    def counts(self) -> tuple[int, int]:
        passed = sum(i.verdict == "PASS" for i in self.items)
        return passed, len(self.items) - passed


READERS_TIMEOUT_S = 180.0
READERS = ("router", "alerts")
"""The consumer groups (``<app id>-<name>``) that read ``signals.resolved`` besides the sink:
the deliveries and the alert proposals are complete when they have committed its end."""


def await_readers(platform: Platform) -> None:
    """Until the router and the alert engine have read everything resolved so far."""
    app_id, layout = platform.settings.faust_app_id, platform.layout
    for name in READERS:
        topics = [layout.resolved, *([layout.merges] if name == "alerts" else [])]
        if not wait_committed(platform.settings.kafka, f"{app_id}-{name}", topics,
                              READERS_TIMEOUT_S, _healthy(platform)):
            raise HarnessError(f"the {name} did not catch up within {READERS_TIMEOUT_S:.0f} s; "
                               f"see {platform.services.log_dir}")


def _healthy(platform: Platform) -> Callable[[], None]:
    def check() -> None:
        try:
            platform.services.check()
        except DemoError as exc:
            raise HarnessError(str(exc)) from exc
    return check


def switch_on_named(platform: Platform, scenario: Scenario,
                    echo: Callable[[str], None]) -> Platform:
    """The platform with every partner the scenario names switched on, as an operator switches
    on a partner joining the covenant (``ketenlink partners enable``)."""
    registry = platform.registry
    for partner in named_partners(scenario):
        if map_partner(partner, registry).switch_on:
            done = switch_on(platform.settings, registry, partner, by=SWITCHED_ON_BY)
            registry = registry.with_entry(done.entry, done.version)
            echo(f"  {partner}: switched on (registry version {done.version})")
    return replace(platform, registry=registry)


def run_scenario(platform: Platform, path: Path, echo: Callable[[str], None]) -> ScenarioResult:
    """Run one file on ``platform``; ``HarnessError`` when the pipeline does not catch up."""
    scenario = load_scenario(path)
    echo(f"== {scenario.scenario} ({path})")
    platform = switch_on_named(platform, scenario, echo)
    translation = Translator(scenario, platform.run_id,
                             lambda p: map_partner(p, platform.registry)).translate()
    for signal, why in translation.not_sent.items():
        echo(f"  {signal} not sent: {why}")
    for signal, notes in translation.notes.items():
        echo(f"  {signal} translated with loss: {'; '.join(dict.fromkeys(notes))}")
    folder = private_dir(platform.folder / scenario.scenario)
    settings, layout = platform.settings, platform.layout
    before = end_offsets(settings, [layout.normalised, layout.resolved])
    outcome = publish_translation(settings, layout, translation, folder, echo)
    try:
        await_pipeline(settings, layout, f"{scenario.scenario}-{platform.run_id}",
                       outcome.published, before, platform.services, echo, broken=0)
    except DemoError as exc:
        raise HarnessError(f"{scenario.scenario}: {exc}") from exc
    await_readers(platform)
    evidence = Evidence(scenario, translation, outcome, platform)
    try:
        items = check_all(evidence)
    finally:
        evidence.close()
    for item in items:
        echo(item.line())
    result = ScenarioResult(scenario.scenario, path, items)
    passed, failed = result.counts()
    log.info("scenario.checked", scenario=scenario.scenario, passed=passed, failed=failed)
    echo(f"  {scenario.scenario}: {passed} PASS, {failed} FAIL")
    return result
