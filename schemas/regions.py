"""Municipality codes and RIEC regions (schemas/regions.yaml).

A municipality is named everywhere by one code, ``<country>:<slug>`` (``NL:breda``,
``NL:bergen-op-zoom``): the graph's ``Municipality.code``, subscription filters and alert rules
all use ``municipality_code``, so they agree on what "the same municipality" is.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from schemas.exceptions import ContractError


def municipality_code(name: str, country: str = "NL") -> str:
    """``"Bergen op Zoom"`` → ``"NL:bergen-op-zoom"`` (the Cypher in ``graph.upsert`` computes the
    same: ``country + ':' + toLower(replace(trim(name), ' ', '-'))``)."""
    return f"{country}:{name.strip().replace(' ', '-').lower()}"


def address_municipality(address: dict[str, Any] | None) -> str | None:
    """The municipality code of a Signal v1 address (its ``municipality``, else its ``city``)."""
    if not address:
        return None
    name = address.get("municipality") or address.get("city")
    return municipality_code(name, address.get("country") or "NL") if name else None


@cache
def regions() -> MappingProxyType[str, tuple[str, ...]]:
    """RIEC region code → the municipality codes in it."""
    raw = yaml.safe_load(resources.files("schemas").joinpath("regions.yaml").read_text())
    try:
        return MappingProxyType({
            str(code): tuple(municipality_code(m) for m in entry["municipalities"])
            for code, entry in raw["regions"].items()})
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContractError(f"schemas/regions.yaml is invalid: {exc!r}") from exc


@cache
def region_of_municipality() -> MappingProxyType[str, str]:
    """Municipality code → its RIEC region code."""
    return MappingProxyType({m: code for code, ms in regions().items() for m in ms})


def region_of(municipality: str | None) -> str | None:
    """The RIEC region of a municipality code, or None when it is not listed."""
    return region_of_municipality().get(municipality) if municipality else None
