"""Partner clearances and ``may_see``, the one rule for who may see a signal.

A signal carries a distribution (TLP 2.0) and a purpose; a partner has a clearance: the
distributions and purposes it may see, and its roles on the platform. ``may_see`` is the only
place that combines them. Graph queries do not re-implement it: they turn it into query
parameters with ``visible_pairs`` (every (distribution, purpose) pair ``may_see`` allows), so the
rule exists once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policy.exceptions import ClearanceError, RoleRequiredError
from schemas.signal import Distribution, Purpose

TLP_PREFIX = "tlp:"
DISTRIBUTIONS: tuple[str, ...] = tuple(d.value.removeprefix(TLP_PREFIX) for d in Distribution)
"""TLP levels without the ``tlp:`` prefix: clear, green, amber, amber+strict, red."""
PURPOSES: tuple[str, ...] = tuple(p.value for p in Purpose)
ROLES: tuple[str, ...] = ("publisher", "subscriber", "analyst", "prosecutor")
PUBLISHER_ONLY = "red"
"""TLP:RED is for the named recipients only; on this platform that is the publisher itself."""


def tlp_level(distribution: str) -> str:
    """``"tlp:amber"`` or ``"amber"`` → ``"amber"`` (case-insensitive); other text unchanged."""
    return distribution.strip().lower().removeprefix(TLP_PREFIX)


@dataclass(frozen=True)
class Clearance:
    """What one partner may see (distributions without the ``tlp:`` prefix, purposes) and the
    roles it has on the platform (publisher, subscriber, analyst, prosecutor)."""

    partner_id: str
    distributions: frozenset[str]
    purposes: frozenset[str]
    roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        where = f"clearance of {self.partner_id!r}"
        levels = frozenset(tlp_level(d) for d in self.distributions)
        _known(where, "distribution", levels, DISTRIBUTIONS)
        if PUBLISHER_ONLY in levels:
            raise ClearanceError(where, "'red' cannot be granted: a red signal is seen by "
                                            "its publisher only")
        _known(where, "purpose", self.purposes, PURPOSES)
        _known(where, "role", self.roles, ROLES)
        object.__setattr__(self, "distributions", levels)


@dataclass(frozen=True)
class Caller:
    """Who runs a query: the analyst (a person, for the audit log) on behalf of a partner."""

    analyst: str
    partner_id: str
    clearance: Clearance

    def __post_init__(self) -> None:
        if not self.analyst.strip():
            raise ClearanceError("caller", "the analyst must be named (audit log)")
        if self.partner_id != self.clearance.partner_id:
            raise ClearanceError("caller", f"partner {self.partner_id!r} acts with the "
                                               f"clearance of {self.clearance.partner_id!r}")


def may_see(clearance: Clearance, distribution: str, purpose: str, *,
            publisher: str | None = None) -> bool:
    """Whether the partner holding ``clearance`` may see a signal of this distribution and
    purpose, published by ``publisher`` (when known).

    A partner always sees its own signals. Otherwise a red signal is never visible (red means
    named recipients only: the publisher), and any other signal is visible iff its distribution
    level and its purpose are both in the clearance. Unknown values are not visible (fail
    closed). ``distribution`` may be given with or without the ``tlp:`` prefix.
    """
    if publisher is not None and publisher == clearance.partner_id:
        return True
    level = tlp_level(distribution)
    if level == PUBLISHER_ONLY:
        return False
    return level in clearance.distributions and purpose in clearance.purposes


def visible_pairs(clearance: Clearance) -> list[list[str]]:
    """Every ``[distribution, purpose]`` that ``may_see`` allows for a signal of another
    partner, with the distribution both as stored in Signal v1 (``tlp:amber``) and bare
    (``amber``): a query parameter so that Cypher applies exactly this policy."""
    pairs = []
    for level in DISTRIBUTIONS:
        for purpose in PURPOSES:
            if may_see(clearance, level, purpose):
                pairs.append([TLP_PREFIX + level, purpose])
                pairs.append([level, purpose])
    return pairs


def require_role(clearance: Clearance, role: str) -> None:
    """Raise ``RoleRequiredError`` unless the partner has ``role``."""
    if role not in clearance.roles:
        raise RoleRequiredError(clearance.partner_id, role)


def _known(where: str, what: str, values: Iterable[str], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ClearanceError(where, f"unknown {what}(s) {unknown}; known: {list(allowed)}")
