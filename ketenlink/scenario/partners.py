"""A scenario's partner ids on the platform: a partner of the registry as it is, an instance the
run switches on from its kind's template (a municipality joining the covenant), or why it
cannot be expressed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.partner_ids import is_partner_id, partner_kind
from ketenlink.scenario.model import Scenario
from policy.exceptions import ClearanceError
from policy.registry import Registry
from producers.adapters import KINDS as WITH_ADAPTER

PARTNER_KEYED = ("delivered", "visible", "hit_only")
"""Expect items keyed by partner id."""


@dataclass(frozen=True)
class PartnerMapping:
    """``scenario_id`` as the platform knows it: ``platform`` is None when it cannot be
    expressed (``reason`` says why); ``switch_on`` when the run must switch it on first."""

    scenario_id: str
    platform: str | None
    reason: str | None = None
    switch_on: bool = False

    @property
    def can_publish(self) -> bool:
        return self.platform is not None and partner_kind(self.platform) in WITH_ADAPTER


def map_partner(scenario_id: str, registry: Registry) -> PartnerMapping:
    """A registered id as is; a ``kind:instance`` of a kind with a template as itself, to be
    switched on; anything else cannot be expressed."""
    if scenario_id in registry.entries:
        return PartnerMapping(scenario_id, scenario_id)
    if is_partner_id(scenario_id) and partner_kind(scenario_id) in registry.kinds:
        try:
            registry.instance_entry(scenario_id)
        except ClearanceError as exc:
            return PartnerMapping(scenario_id, None, reason=f"cannot express: {exc.problem}")
        return PartnerMapping(scenario_id, scenario_id, switch_on=True)
    return PartnerMapping(scenario_id, None, reason=f"cannot express: no partner/format for "
                                                    f"{scenario_id}")


def named_partners(scenario: Scenario) -> list[str]:
    """Every partner id the scenario names: its signals' partners and the partners of its
    expect items (who receives, who looks)."""
    named: list[str] = [s.partner for s in scenario.signals]
    for key, value in scenario.expect.items():
        named.extend(_partners_in(key, value))
    return list(dict.fromkeys(named))


def _partners_in(key: str, value: Any) -> Iterable[str]:
    if key in PARTNER_KEYED and isinstance(value, dict):
        yield from (str(k) for k in value)
    elif key == "ring" and isinstance(value, dict) and value.get("as"):
        yield str(value["as"])
    elif key == "watch_hit" and isinstance(value, dict) and value.get("partner"):
        yield str(value["partner"])
