"""The indicator catalogue (schemas/indicators.yaml): codes partners may use, with group, stage
and weight for the risk score."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.exceptions import ContractError

Group = Literal["dependency", "freedom", "conditions", "situational", "business"]
Stage = Literal["entry", "housing", "identity", "work", "finance"]
Exploitation = Literal["sexual", "labour", "criminal"]


class Indicator(BaseModel):
    """One indicator of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z]{3}-[A-Z0-9-]{2,40}$")
    group: Group
    stage: Stage
    weight: float = Field(ge=0, le=1)
    exploitation: tuple[Exploitation, ...]
    label: str


@cache
def catalogue() -> dict[str, Indicator]:
    """Every indicator by code, read once from the shipped YAML."""
    raw = yaml.safe_load(resources.files("schemas").joinpath("indicators.yaml").read_text())
    try:
        items = [Indicator.model_validate(entry) for entry in raw["indicators"]]
    except (ValidationError, KeyError, TypeError) as exc:
        raise ContractError(f"schemas/indicators.yaml is invalid: {exc}") from exc
    by_code = {item.code: item for item in items}
    if len(by_code) != len(items):
        raise ContractError("schemas/indicators.yaml lists a code twice")
    return by_code
