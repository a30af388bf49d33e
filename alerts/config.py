"""The alert rules as configuration (``alerts/rules.yaml``), checked when loaded.

Thresholds, the reviewing partner and the engine's waiting bounds live in the file, not in
code; ``load_rules`` returns a frozen ``AlertRules``. The rule semantics are in
``alerts.rules``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerts.exceptions import RulesError
from policy.clearance import Clearance
from schemas.graph_model import ENTITY_LABELS
from schemas.signal import Severity
from schemas.subjects import Role

_FROZEN = ConfigDict(frozen=True, extra="forbid")
INDEPENDENT_PARTNERS = "independent-partners"
RING_REGIONS = "ring-regions"
REVIEW_ROLE = "analyst"
"""The role a reviewer's partner needs (``policy.clearance.require_role``)."""


class IndependentPartnersRule(BaseModel):
    """At least ``min_partners`` distinct partners within ``window_days``, one of their signals
    of a listed severity."""

    model_config = _FROZEN

    enabled: bool = True
    min_partners: Annotated[int, Field(ge=2, le=50)] = 3
    window_days: Annotated[int, Field(ge=1, le=3660)] = 90
    severities: tuple[Severity, ...] = (Severity.HIGH, Severity.CRITICAL)
    labels: tuple[str, ...] = ENTITY_LABELS
    person_roles: tuple[Role, ...] = (Role.SUSPECT, Role.FACILITATOR)

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(ENTITY_LABELS))
        if unknown or not value:
            raise ValueError(f"unknown or no label(s) {unknown}; known: {list(ENTITY_LABELS)}")
        return value

    @field_validator("severities")
    @classmethod
    def _some(cls, value: tuple[Severity, ...]) -> tuple[Severity, ...]:
        if not value:
            raise ValueError("give at least one severity")
        return value


class RingRegionsRule(BaseModel):
    """A ring of at least ``min_members`` whose locations span ``min_regions`` RIEC regions."""

    model_config = _FROZEN

    enabled: bool = True
    min_members: Annotated[int, Field(ge=2, le=10_000)] = 4
    min_regions: Annotated[int, Field(ge=1, le=10)] = 2
    max_nodes: Annotated[int, Field(ge=10, le=100_000)] = 2000


class Rules(BaseModel):
    """The rules by name (the names in the file are the rule ids: ``independent-partners``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    independent_partners: IndependentPartnersRule = Field(
        default_factory=IndependentPartnersRule, alias="independent-partners")
    ring_regions: RingRegionsRule = Field(default_factory=RingRegionsRule, alias="ring-regions")


class EngineConfig(BaseModel):
    """How the engine waits for the graph sink (seconds) and how much it reads."""

    model_config = _FROZEN

    wait_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    max_backoff_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    give_up_after_s: Annotated[float, Field(gt=0)] = 600.0
    max_evidence: Annotated[int, Field(ge=10, le=100_000)] = 1000
    ring_starts_per_search: Annotated[int, Field(ge=1, le=10_000)] = 100


class AlertRules(BaseModel):
    """The whole rules file."""

    model_config = _FROZEN

    reviewer: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")] = "riec"
    rules: Rules = Field(default_factory=Rules)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    @property
    def independent_partners(self) -> IndependentPartnersRule:
        return self.rules.independent_partners

    @property
    def ring_regions(self) -> RingRegionsRule:
        return self.rules.ring_regions

    def reviewer_clearance(self, clearances: dict[str, Clearance] | None = None) -> Clearance:
        """The reviewer's clearance (from ``policy/partners.yaml`` unless given); raises
        ``UnknownPartnerError`` / ``RoleRequiredError`` when it cannot review."""
        from policy.clearance import require_role
        from policy.registry import clearance_for

        clearance = clearance_for(self.reviewer, clearances)
        require_role(clearance, REVIEW_ROLE)
        return clearance


def load_rules(path: Path | None = None) -> AlertRules:
    """Read the rules file (default: the shipped ``alerts/rules.yaml``)."""
    where = str(path or "alerts/rules.yaml")
    try:
        text = path.read_text(encoding="utf-8") if path else \
            resources.files("alerts").joinpath("rules.yaml").read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(where, f"cannot be read: {exc}") from exc
    if not isinstance(doc, dict):
        raise RulesError(where, "expected a mapping with 'reviewer', 'rules' and 'engine'")
    try:
        return AlertRules.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors())
        raise RulesError(where, problems) from exc
