"""What a subject contributes to resolution: its strong keys, its profile fragment (the values
scoring compares) and its blocking keys. Pure functions of the subject."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from schemas.subjects import (
    Address,
    BankAccount,
    Business,
    Email,
    Identifier,
    Location,
    Person,
    Phone,
    Subject,
    Vehicle,
    Website,
)
from streams.resolve import names
from streams.resolve.names import fold, phonetic
from streams.store_keys import (
    ADDRESSES,
    BIRTH_DATES,
    BY_ADDRESS,
    BY_BIRTH_DATE,
    BY_INITIAL_SOUND,
    BY_KVK,
    BY_TRADE_NAME,
    BY_TRADE_WORD,
    BY_YEAR_SOUND,
    FAMILY_NAMES,
    GIVEN_NAMES,
    IDENTIFIERS,
    KVK_NUMBERS,
    NATIONALITIES,
    SBI_CODES,
    TRADE_NAMES,
    identifier_key,
    kvk_key,
)

ID_PREFIX = {"person": "P-", "business": "B-", "location": "L-", "phone": "T-", "email": "E-",
             "bank_account": "A-", "vehicle": "V-", "website": "W-"}
"""Entity id prefix per subject type."""

_COMPACT = re.compile(r"[\s\-./]+")


@dataclass(frozen=True)
class Features:
    """One subject, ready for resolution."""

    kind: str
    strong: tuple[tuple[str, str], ...]
    """(matched_on label, key) in order of trust, e.g. ('bsn-pseudonym', 'bsn-pseudonym:ps1:..')."""
    fragment: dict[str, Any] = field(default_factory=dict)
    """Values scoring compares, in the stored profile format (lists of JSON scalars)."""
    index: tuple[str, ...] = ()
    """Blocking keys the resulting entity is filed under."""
    query: tuple[str, ...] = ()
    """Blocking keys searched for candidates (``index`` plus swapped-name keys)."""
    fallback: tuple[str, ...] = ()
    """Blocking keys searched only when ``query`` finds no candidate (trade-name words)."""


def entity_id(kind: str, record_id: str) -> str:
    """The stable id of the entity first seen in ``record_id``."""
    digest = hashlib.sha256(f"{kind}\x1f{record_id}".encode()).hexdigest()[:16]
    return ID_PREFIX.get(kind, "X-") + digest


def address_key(address: Address) -> tuple[str, str]:
    """(label, key) of an address: Dutch postcode + number + addition, or every normalised part
    (foreign addresses, Dutch ones without postcode or number)."""
    addition = _COMPACT.sub("", address.house_number_addition or "").upper()
    if address.country == "NL" and address.postcode and address.house_number:
        return "postcode+number", f"NL|{address.postcode.replace(' ', '')}|{address.house_number}|{addition}"
    parts = (address.country, _COMPACT.sub("", address.postcode or "").upper(), fold(address.city or ""),
             fold(address.street or ""), str(address.house_number or ""), addition)
    return "address", "|".join(parts)


def of(subject: Subject) -> Features:
    """The features of any subject type."""
    if isinstance(subject, Person):
        return _person(subject)
    if isinstance(subject, Business):
        return _business(subject)
    if isinstance(subject, Location):
        label, key = address_key(subject.address)
        return Features("location", ((label, key),))
    if isinstance(subject, Phone):
        return Features("phone", (("e164", subject.number),))
    if isinstance(subject, Email):
        return Features("email", (("email", subject.address.strip().lower()),))
    if isinstance(subject, BankAccount):
        return Features("bank_account", (("iban", subject.iban),))
    if isinstance(subject, Vehicle):
        return Features("vehicle", (("plate", f"{subject.country}|{subject.plate}"),))
    if isinstance(subject, Website):
        return Features("website", (("url", website_key(subject)),))
    raise TypeError(f"not a subject: {type(subject).__name__}")  # pragma: no cover


def website_key(site: Website) -> str:
    """Host without 'www.' plus path without trailing slash, lower case; scheme, query and
    fragment dropped."""
    host = (site.url.host or "").lower().removeprefix("www.")
    return f"{host}{(site.url.path or '').rstrip('/').lower()}"


def _person(p: Person) -> Features:
    strong = tuple((i.scheme.value, identifier_key(i.scheme.value, _identifier_value(i)))
                   for i in p.identifiers)
    fam = names.family(p.name_prefix, p.family_name)
    giv = names.given(p.given_name)
    frag: dict[str, Any] = {}
    if giv:
        frag[GIVEN_NAMES] = [" ".join(giv)]
    if fam.core:
        frag[FAMILY_NAMES] = [fam.core]
    if p.birth_date:
        frag[BIRTH_DATES] = [p.birth_date.isoformat()]
    if p.nationality:
        frag[NATIONALITIES] = [p.nationality]
    if p.address:
        frag[ADDRESSES] = [address_key(p.address)[1]]
    if strong:
        ids: dict[str, list[str]] = {}
        for scheme, key in strong:
            ids.setdefault(scheme, []).append(key.split(":", 1)[1])
        frag[IDENTIFIERS] = ids
    index = person_blocks(frag)
    query = index + _swapped_blocks(giv, fam.parts, p.birth_date.year if p.birth_date else None)
    return Features("person", tuple(dict.fromkeys(strong)), frag, index, tuple(dict.fromkeys(query)))


def _identifier_value(identifier: Identifier) -> str:
    """Document numbers without spaces, dashes, dots and slashes, upper case; others as given."""
    if identifier.scheme.value in ("passport", "id-card", "v-number"):
        return _COMPACT.sub("", identifier.value).upper()
    return identifier.value


def person_blocks(frag: dict[str, Any]) -> tuple[str, ...]:
    """Blocking keys of a person's values: birth date; sound of a family-name part + birth year;
    first initial + sound of a family-name part."""
    keys: list[str] = []
    dobs: list[str] = frag.get(BIRTH_DATES, [])
    keys.extend(f"{BY_BIRTH_DATE}{d}" for d in dobs)
    parts = [part for core in frag.get(FAMILY_NAMES, []) for part in core.split()]
    initials = sorted({g[0] for g in frag.get(GIVEN_NAMES, []) if g})
    for part in dict.fromkeys(parts):
        sound = phonetic(part)
        keys.extend(f"{BY_YEAR_SOUND}{d[:4]}|{sound}" for d in dobs)
        keys.extend(f"{BY_INITIAL_SOUND}{i}|{sound}" for i in initials)
    return tuple(dict.fromkeys(keys))


def _swapped_blocks(giv: tuple[str, ...], parts: tuple[str, ...], year: int | None) -> tuple[str, ...]:
    """Keys under which the person is found when another partner swapped given and family name
    (Chinese and Vietnamese names are written family name first)."""
    if not giv or not parts:
        return ()
    sound = phonetic(giv[0])
    keys = [f"{BY_INITIAL_SOUND}{parts[0][0]}|{sound}"]
    if year is not None:
        keys.append(f"{BY_YEAR_SOUND}{year}|{sound}")
    return tuple(keys)


def _business(b: Business) -> Features:
    name = names.trade_name(b.trade_name)
    strong: tuple[tuple[str, str], ...] = ()
    if b.kvk_number:
        strong = (("kvk+name" if name else "kvk", kvk_key(b.kvk_number, name)),)
    frag: dict[str, Any] = {}
    if name:
        frag[TRADE_NAMES] = [name]
    if b.kvk_number:
        frag[KVK_NUMBERS] = [b.kvk_number]
    if b.sbi_code:
        frag[SBI_CODES] = [b.sbi_code]
    if b.address:
        frag[ADDRESSES] = [address_key(b.address)[1]]
    index = business_blocks(frag)
    words = tuple(k for k in index if k.startswith(BY_TRADE_WORD))
    return Features("business", strong, frag, index, tuple(k for k in index if k not in words), words)


def business_blocks(frag: dict[str, Any]) -> tuple[str, ...]:
    """Blocking keys of a business: KvK number; the whole trade name; each trade-name word
    (common words fill their block and drop out); address."""
    keys = [f"{BY_KVK}{k}" for k in frag.get(KVK_NUMBERS, [])]
    for name in frag.get(TRADE_NAMES, []):
        keys.append(f"{BY_TRADE_NAME}{name}")
        keys.extend(f"{BY_TRADE_WORD}{w}" for w in name.split() if len(w) > 1)
    keys.extend(f"{BY_ADDRESS}{a}" for a in frag.get(ADDRESSES, []))
    return tuple(dict.fromkeys(keys))
