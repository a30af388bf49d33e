"""A scenario's partner ids on the platform as it is: the registered partner they are
published as, or why they cannot be expressed."""

from __future__ import annotations

from dataclasses import dataclass

from policy.registry import Registry
from producers.adapters import PARTNERS as WITH_ADAPTER


@dataclass(frozen=True)
class PartnerMapping:
    """``scenario_id`` as the platform knows it: ``platform`` is None when it cannot be
    expressed (``reason`` says why); ``shared`` when it shares one registry entry with every
    other instance of its kind."""

    scenario_id: str
    platform: str | None
    reason: str | None = None
    shared: str | None = None

    @property
    def can_publish(self) -> bool:
        return self.platform is not None and self.platform in WITH_ADAPTER


def map_partner(scenario_id: str, registry: Registry) -> PartnerMapping:
    """A registered id as is; ``kind:instance`` as its registered kind (noting that the registry
    has one entry for all instances); anything else cannot be expressed."""
    if scenario_id in registry.entries:
        return PartnerMapping(scenario_id, scenario_id)
    kind, _, instance = scenario_id.partition(":")
    if instance and kind in registry.entries:
        return PartnerMapping(scenario_id, kind, shared=f"the registry has one {kind} for all "
                                                        f"{kind}:<instance> ({scenario_id} is {kind})")
    return PartnerMapping(scenario_id, None, reason=f"cannot express: no partner/format for "
                                                    f"{scenario_id}")
