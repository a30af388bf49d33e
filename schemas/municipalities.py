"""Dutch municipalities (schemas/municipalities.csv): CBS code, name, province and RIEC region.

A municipality has two names here: its CBS code (``GM0599``), which partners and the gemeente
partner ids use, and the platform code of ``schemas.regions.municipality_code`` (``NL:rotterdam``),
which the graph, subscriptions and alert rules use. ``Municipality.platform_code`` links them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from schemas.exceptions import ContractError
from schemas.regions import municipality_code, region_slugs

COLUMNS = ("code", "name", "province", "region")
PROVINCES = frozenset({
    "Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland", "Utrecht",
    "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg",
})
ALIASES: Mapping[str, str] = MappingProxyType({
    "Den Haag": "GM0518", "The Hague": "GM0518", "Den Bosch": "GM0796", "Nuenen": "GM0820",
})
"""Common names that are not CBS's -> the CBS code they stand for."""

_CODE = re.compile(r"GM\d{4}")
_SUFFIX = re.compile(r"\s*\([A-Z]+\.\)$")
"""CBS's province suffix of a name shared with a place elsewhere: ``Hengelo (O.)``."""


@dataclass(frozen=True)
class Municipality:
    """One municipality: CBS code and name, province and RIEC region code."""

    code: str
    name: str
    province: str
    region: str

    @property
    def short_name(self) -> str:
        """The name as addresses write it, without CBS's suffix (``Hengelo (O.)`` -> ``Hengelo``);
        whole where two municipalities share it (``Bergen (L.)``, ``Bergen (NH.)``)."""
        short = _SUFFIX.sub("", self.name)
        return self.name if short in _ambiguous_short_names() else short

    @property
    def platform_code(self) -> str:
        """The municipality's code on the platform: ``NL:rotterdam``, ``NL:hengelo``."""
        return municipality_code(self.short_name)


def load_municipalities(path: Path | None = None) -> Mapping[str, Municipality]:
    """Read a municipality table (default: the shipped ``schemas/municipalities.csv``), by code.

    Lines starting with ``#`` are comments; then a header of ``COLUMNS`` and one row each. A
    malformed line raises ``ContractError`` naming the file and line."""
    where = str(path or "schemas/municipalities.csv")
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("schemas").joinpath("municipalities.csv").read_text(encoding="utf-8")
    rows: dict[str, Municipality] = {}
    names: set[str] = set()
    header = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([line]))]
        if not header:
            if tuple(fields) != COLUMNS:
                raise ContractError(f"{where}:{number}: expected the header {','.join(COLUMNS)}")
            header = True
            continue
        row = _row(fields, rows, names)
        if isinstance(row, str):
            raise ContractError(f"{where}:{number}: {row}: {line!r}")
        rows[row.code] = row
        names.add(row.name)
    if not rows:
        raise ContractError(f"{where}: no municipalities")
    return MappingProxyType(rows)


def _row(fields: list[str], rows: Mapping[str, Municipality], names: set[str]) -> Municipality | str:
    """The municipality of one row's fields, or what is wrong with them."""
    if len(fields) != len(COLUMNS):
        return f"expected {len(COLUMNS)} fields ({','.join(COLUMNS)}), got {len(fields)}"
    code, name, province, region = fields
    if not _CODE.fullmatch(code):
        return f"code {code!r} is not a CBS municipality code (GM and four digits)"
    if code in rows:
        return f"code {code} twice"
    if not name or name in names:
        return f"name {name!r} empty or twice"
    if province not in PROVINCES:
        return f"unknown province {province!r}"
    if region not in region_slugs():
        return f"unknown RIEC region {region!r} (schemas/regions.yaml)"
    return Municipality(code, name, province, region)


@cache
def municipalities() -> Mapping[str, Municipality]:
    """CBS code -> municipality, every current Dutch municipality."""
    return load_municipalities()


@cache
def _ambiguous_short_names() -> frozenset[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for m in municipalities().values():
        short = _SUFFIX.sub("", m.name)
        (twice if short in seen else seen).add(short)
    return frozenset(twice)


def _key(name: str) -> str:
    """A name compared without case, accents, spaces or punctuation: ``'s-Gravenhage`` ->
    ``sgravenhage``."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed.casefold() if c.isalnum())


@cache
def _by_name() -> Mapping[str, str]:
    """Name key -> CBS code: CBS names, short names that are not ambiguous, and ``ALIASES``."""
    index: dict[str, str] = {}
    for m in municipalities().values():
        index[_key(m.name)] = m.code
        index.setdefault(_key(m.short_name), m.code)
    for alias, code in ALIASES.items():
        index.setdefault(_key(alias), code)
    return MappingProxyType(index)


def municipality_by_name(name: str) -> Municipality | None:
    """The municipality named ``name`` (CBS's name, without its suffix, or a common alias such as
    ``Den Haag``; case, accents and spacing do not matter), or None. ``Bergen`` is ambiguous."""
    code = _by_name().get(_key(name))
    return municipalities()[code] if code else None


def cbs_code(address: Mapping[str, Any] | None) -> str | None:
    """The CBS code of a Signal v1 address: its ``municipality`` when that is a known CBS code or
    municipality name, else its ``city`` when that is a municipality name, else None (also for an
    address abroad)."""
    if not address or (address.get("country") or "NL") != "NL":
        return None
    municipality, city = address.get("municipality"), address.get("city")
    if isinstance(municipality, str):
        if municipality.strip().upper() in municipalities():
            return municipality.strip().upper()
        if known := municipality_by_name(municipality):
            return known.code
    if isinstance(city, str) and (known := municipality_by_name(city)):
        return known.code
    return None


@cache
def regions() -> MappingProxyType[str, tuple[str, ...]]:
    """RIEC region code → the municipality codes (``NL:rotterdam``) of every municipality in it."""
    members: dict[str, list[str]] = {code: [] for code in region_slugs()}
    for municipality in municipalities().values():
        members[municipality.region].append(municipality.platform_code)
    return MappingProxyType({code: tuple(ms) for code, ms in members.items()})


@cache
def region_of_municipality() -> MappingProxyType[str, str]:
    """Municipality code → its RIEC region code."""
    return MappingProxyType({m: code for code, ms in regions().items() for m in ms})


def region_of(municipality: str | None) -> str | None:
    """The RIEC region of a municipality code (``NL:rotterdam``) or CBS code (``GM0599``), or None
    when it is not listed."""
    if not municipality:
        return None
    if municipality.startswith("GM"):
        known = municipalities().get(municipality)
        return known.region if known else None
    return region_of_municipality().get(municipality)


def address_municipality(address: dict[str, Any] | None) -> str | None:
    """The municipality code of a Signal v1 address: the CBS municipality its ``municipality``
    (a CBS code or name) or its ``city`` names (``cbs_code``), else the
    code of whatever name it gives."""
    if not address:
        return None
    if code := cbs_code(address):
        return municipalities()[code].platform_code
    name = address.get("municipality") or address.get("city")
    return municipality_code(name, address.get("country") or "NL") if name else None
