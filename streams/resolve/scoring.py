"""Fellegi-Sunter scoring of a record against an entity profile.

Each field comparison falls into a level; the level adds ``log2(m / u)`` bits, where ``m`` is
the chance of that level between two records of the same true entity and ``u`` between two
records of different entities. A missing value on either side adds 0. A profile holds up to a
few values per field (every spelling seen); the best-agreeing value counts.

Calibration (``ketenlink generate --signals 20000 --seed 3``, read by the partner adapters, records
joined to ``ground-truth.jsonl``): ``m`` is the share of each level over the record pairs of one
true entity where both sides have the field; ``u`` the share over 200,000 random record pairs of
different entities. The chosen values are the measured ones rounded, with floors where the
generator is cleaner than the world (it never writes a wrong birth date; nobody moves): a
level that never occurred among true pairs keeps a small ``m`` so that it weighs against, not
forbids, a link. The exception is a birth date that is not a typo of the other: it outweighs
exact names, address and nationality together (19.9 bits against 27.5: namesakes in one
household, father and son), so only a strong key ties such records. Measured values are beside
the chosen ones in ``M_U``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA, JaroWinkler

from streams.resolve import names
from streams.store_keys import (
    ADDRESSES,
    BIRTH_DATES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    KVK_NUMBERS,
    NATIONALITIES,
    SBI_CODES,
    TRADE_NAMES,
)

M_U: dict[str, dict[str, tuple[float, float]]] = {
    # persons                       measured on seed 3 (m, u)
    "given": {
        "exact": (0.90, 0.004),     # (0.903, 0.0039)
        "initials": (0.06, 0.003),  # (0.060, 0.0027)
        "close": (0.02, 0.0016),    # (0.018, 0.0016)
        "disagree": (0.003, 0.99),  # (0.020, 0.992) before the crosswise (swapped) comparison
    },
    "family": {
        "exact": (0.94, 0.005),     # (0.947, 0.0049)
        "partial": (0.005, 0.0003),  # (0.0007, 0.0003)
        "close": (0.03, 0.0011),    # (0.031, 0.0011)
        "disagree": (0.025, 0.99),  # (0.022, 0.994)
    },
    "dob": {
        "exact": (0.99, 0.0001),    # (1.0, 0.00007)
        "close": (0.002, 0.0015),   # (0.0, 0.0015): the generator writes no wrong dates
        "disagree": (0.000001, 0.998),  # (0.0, 0.998): outweighs name, address and nationality
    },
    "nationality": {
        "exact": (0.98, 0.19),      # (1.0, 0.187)
        "disagree": (0.02, 0.81),   # (0.0, 0.813)
    },
    "address": {                    # persons: (1.0, 0.0021)
        "exact": (0.90, 0.001),
        "close": (0.02, 0.001),
        "disagree": (0.08, 0.998),  # people move: kept well above the measured 0.0
    },
    # businesses
    "name": {
        "exact": (0.95, 0.0005),    # (0.957, 0.0005)
        "close": (0.04, 0.0007),    # (0.041, 0.0007)
        "partial": (0.01, 0.0005),  # (0.0004, 0.0001): a tip names part of the trade name
        "disagree": (0.0005, 0.998),  # (0.001, 0.9987)
    },
    "kvk": {
        "exact": (0.99, 0.0001),    # (1.0, 0.0)
        "disagree": (0.0005, 0.9999),  # (0.0, 1.0); also a veto (ResolverConfig.kvk_exclusive)
    },
    "business_address": {           # (0.944, 0.0005)
        "exact": (0.94, 0.0005),
        "close": (0.02, 0.0005),
        "disagree": (0.01, 0.9995),  # (0.056, 0.9995): a chain's branches share a name
    },
    "sbi": {
        "exact": (0.98, 0.09),      # (1.0, 0.091)
        "disagree": (0.02, 0.91),   # (0.0, 0.909)
    },
}
"""Per field and level: (m, u)."""

WEIGHTS: dict[str, dict[str, float]] = {
    f: {level: math.log2(m / u) for level, (m, u) in levels.items()} for f, levels in M_U.items()
}
"""Per field and level: the weight in bits, log2(m/u)."""

_BOTH_NAMES = WEIGHTS["given"]["exact"] + WEIGHTS["family"]["exact"]
"""Names that score less than both exact are also compared crosswise (swapped order)."""

CLOSE = 0.9
"""Jaro-Winkler similarity from which two spellings count as 'close' (a typo)."""


def jaro_winkler(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def close(a: str, b: str, jw: float = CLOSE) -> bool:
    """A typo apart: Jaro-Winkler >= ``jw``, or one edit (substitution, insertion, deletion,
    swap of neighbours) in words of four letters or more ('Yulia' ~ 'Yukia')."""
    if min(len(a), len(b)) >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    return jaro_winkler(a, b) >= jw


@lru_cache(maxsize=262144)
def given_level(x: str, y: str) -> str:
    """exact (same first name, with or without further names), initials (initials that fit,
    or another of several given names: 'Daan' ~ 'Johannes Daan'), close (typo), disagree.
    Given names as normalised by ``names.given``, tokens joined by spaces."""
    a, b = tuple(x.split()), tuple(y.split())
    if a[0] == b[0] and len(a[0]) > 1:
        return "exact"
    if names.initials_compatible(a, b) or {t for t in a if len(t) > 1} & {t for t in b if len(t) > 1}:
        return "initials"
    if close(a[0], b[0]) or close(" ".join(a), " ".join(b)):
        return "close"
    return "disagree"


@lru_cache(maxsize=262144)
def family_level(a: str, b: str) -> str:
    """exact core, partial (one part of a double name), close (typo), disagree."""
    if a == b:
        return "exact"
    pa, pb = a.split(), b.split()
    if len(pa) != len(pb) and (set(pa) <= set(pb) or set(pb) <= set(pa)):
        return "partial"
    if close(a, b):
        return "close"
    return "disagree"


@lru_cache(maxsize=65536)
def dob_level(a: str, b: str) -> str:
    """exact, close (day and month swapped, two digits transposed, one digit wrong), disagree."""
    if a == b:
        return "exact"
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    if ya == yb and ma == db and da == mb:
        return "close"
    da_, db_ = a.replace("-", ""), b.replace("-", "")
    diff = [i for i in range(8) if da_[i] != db_[i]]
    if len(diff) == 1:
        return "close"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and da_[diff[0]] == db_[diff[1]] \
            and da_[diff[1]] == db_[diff[0]]:
        return "close"
    return "disagree"


def address_level(a: str, b: str) -> str:
    """exact key, close (same postcode and number, other addition), disagree."""
    if a == b:
        return "exact"
    if a.rsplit("|", 1)[0] == b.rsplit("|", 1)[0]:
        return "close"
    return "disagree"


@lru_cache(maxsize=262144)
def name_level(a: str, b: str) -> str:
    """Trade names: exact, close (typo), partial (one holds the other's words), disagree."""
    if a == b:
        return "exact"
    if close(a, b, 0.93):
        return "close"
    wa, wb = set(a.split()), set(b.split())
    if wa and wb and (wa <= wb or wb <= wa):
        return "partial"
    return "disagree"


def _best(field: str, levels: Iterable[str]) -> float:
    table = WEIGHTS[field]
    return max(table[level] for level in levels)


def _pairs(xs: Sequence[Any], ys: Sequence[Any]) -> Iterable[tuple[Any, Any]]:
    return ((x, y) for x in xs for y in ys)


def person(record: dict[str, Any], profile: dict[str, Any], generic: frozenset[str] = frozenset()
           ) -> float:
    """Bits of evidence that a person record and an entity profile are the same person; given
    and family name are also compared crosswise (one partner may have swapped them)."""
    rg, rf = record.get(GIVEN_NAMES, ()), record.get(FAMILY_NAMES, ())
    pg, pf = profile.get(GIVEN_NAMES, ()), profile.get(FAMILY_NAMES, ())
    score = _names(rg, rf, pg, pf)
    if score < _BOTH_NAMES and rg and rf and pg and pf:
        score = max(score, _names(rf, rg, pg, pf))
    if record.get(BIRTH_DATES) and profile.get(BIRTH_DATES):
        score += _best("dob", (dob_level(x, y)
                               for x, y in _pairs(record[BIRTH_DATES], profile[BIRTH_DATES])))
    score += _address(record, profile, generic)
    if record.get(NATIONALITIES) and profile.get(NATIONALITIES):
        agree = bool(set(record[NATIONALITIES]) & set(profile[NATIONALITIES]))
        score += WEIGHTS["nationality"]["exact" if agree else "disagree"]
    return score


def _names(rg: Sequence[str], rf: Sequence[str], pg: Sequence[str], pf: Sequence[str]) -> float:
    score = 0.0
    if rg and pg:
        score += _best("given", (given_level(x, y) for x, y in _pairs(rg, pg)))
    if rf and pf:
        score += _best("family", (family_level(x, y) for x, y in _pairs(rf, pf)))
    return score


def _address(record: dict[str, Any], profile: dict[str, Any], generic: frozenset[str],
             field: str = "address") -> float:
    """Addresses held by too many entities (``generic``) weigh nothing."""
    ra = [a for a in record.get(ADDRESSES, ()) if a not in generic]
    pa = [a for a in profile.get(ADDRESSES, ()) if a not in generic]
    if not ra or not pa:
        return 0.0
    return _best(field, (address_level(x, y) for x, y in _pairs(ra, pa)))


def business(record: dict[str, Any], profile: dict[str, Any], generic: frozenset[str] = frozenset()
             ) -> float:
    """Bits of evidence that a business record and an entity profile are the same business."""
    score = 0.0
    if record.get(TRADE_NAMES) and profile.get(TRADE_NAMES):
        score += _best("name", (name_level(x, y)
                                for x, y in _pairs(record[TRADE_NAMES], profile[TRADE_NAMES])))
    if record.get(KVK_NUMBERS) and profile.get(KVK_NUMBERS):
        agree = bool(set(record[KVK_NUMBERS]) & set(profile[KVK_NUMBERS]))
        score += WEIGHTS["kvk"]["exact" if agree else "disagree"]
    if record.get(SBI_CODES) and profile.get(SBI_CODES):
        agree = bool(set(record[SBI_CODES]) & set(profile[SBI_CODES]))
        score += WEIGHTS["sbi"]["exact" if agree else "disagree"]
    score += _address(record, profile, generic, "business_address")
    return score
