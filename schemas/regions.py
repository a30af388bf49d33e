"""Municipality codes and RIEC regions (schemas/regions.yaml, schemas/municipalities.csv).

A municipality is named everywhere by one code, ``<country>:<slug>`` (``NL:breda``,
``NL:bergen-op-zoom``): the graph's ``Municipality.code``, subscription filters and alert rules
all use ``municipality_code``, so they agree on what "the same municipality" is. Its CBS code
(``GM0758``) and RIEC region, and the municipalities of a region, come from ``schemas.municipalities``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

import yaml

from schemas.exceptions import ContractError


def municipality_code(name: str, country: str = "NL") -> str:
    """``"Bergen op Zoom"`` → ``"NL:bergen-op-zoom"`` (the Cypher in ``graph.upsert`` computes the
    same: ``country + ':' + toLower(replace(trim(name), ' ', '-'))``)."""
    return f"{country}:{name.strip().replace(' ', '-').lower()}"


@cache
def _table() -> Mapping[str, tuple[str, str]]:
    """RIEC region code → (name, slug), as schemas/regions.yaml has them."""
    raw = yaml.safe_load(resources.files("schemas").joinpath("regions.yaml").read_text())
    try:
        table = {str(code): (str(entry["name"]), str(entry["slug"]))
                 for code, entry in raw["regions"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContractError(f"schemas/regions.yaml is invalid: {exc!r}") from exc
    if len({slug for _, slug in table.values()}) != len(table):
        raise ContractError("schemas/regions.yaml is invalid: two regions share a slug")
    return MappingProxyType(table)


@cache
def region_slugs() -> Mapping[str, str]:
    """RIEC region code → its slug (``RR`` → ``rotterdam``)."""
    return MappingProxyType({code: slug for code, (_, slug) in _table().items()})


def region_by_slug(slug: str) -> str | None:
    """The RIEC region code of a slug (``rotterdam`` → ``RR``), or None."""
    return next((code for code, (_, s) in _table().items() if s == slug), None)
