"""The noise real exports have: one-character typos, name variants (initials, lost or abbreviated
tussenvoegsels, case), postcode, phone, plate and IBAN spellings. Every function is pure given its
``rng`` and returns a spelling of the same true value."""

from __future__ import annotations

import random
import unicodedata

from generator.codes import PhoneNumber
from generator.names import TUSSENVOEGSEL_ABBREVIATIONS, Name, family_first

_NEAR = "qwertyuiopasdfghjklzxcvbnm"


def typo(rng: random.Random, value: str) -> str:
    """One edit at a letter: substitution by a keyboard neighbour, deletion, doubling or swap."""
    letters = [i for i, ch in enumerate(value) if ch.isalpha()]
    if len(letters) < 3:
        return value
    i = rng.choice(letters[1:])
    ch = value[i]
    kind = rng.randrange(4)
    if kind == 0:
        pos = _NEAR.find(ch.lower())
        new = _NEAR[(pos + rng.choice((-1, 1))) % len(_NEAR)] if pos >= 0 else "e"
        return value[:i] + (new.upper() if ch.isupper() else new) + value[i + 1:]
    if kind == 1:
        return value[:i] + value[i + 1:]
    if kind == 2:
        return value[:i] + ch + value[i:]
    if i + 1 < len(value) and value[i + 1].isalpha() and value[i + 1] != ch:
        return value[:i] + value[i + 1] + ch + value[i + 2:]
    return value[:i] + value[i + 1:]


def strip_accents(value: str) -> str:
    """'Ștefan' -> 'Stefan', 'Łukasz' -> 'Lukasz' (as a Dutch form without diacritics would)."""
    for special, plain in (("Ł", "L"), ("ł", "l"), ("ı", "i"), ("Đ", "D"), ("đ", "d")):  # noqa: RUF001
        value = value.replace(special, plain)
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_name(rng: random.Random, name: Name, nationality: str, level: float,
               all_given: bool = False) -> tuple[str, str | None, str]:
    """(voornaam, tussenvoegsel, achternaam) as a partner wrote them; with probability ``level``
    one or two variants apply."""
    given = " ".join(name.given) if all_given else name.first
    prefix, family = name.prefix, name.family
    if rng.random() >= level:
        return given, prefix, family
    for _ in range(rng.choice((1, 1, 1, 2))):
        kinds = ["initials", "case", "lower", "typo"]
        if prefix:
            kinds += ["drop-prefix", "merge-prefix", "drop-prefix"]
            if prefix in TUSSENVOEGSEL_ABBREVIATIONS:
                kinds.append("abbreviate-prefix")
        if "-" in family:
            kinds.append("double-name")
        if family_first(nationality):
            kinds += ["swap", "swap"]
        if strip_accents(given + family) != given + family:
            kinds += ["accents", "accents"]
        kind = rng.choice(kinds)
        if kind == "initials":
            given = " ".join(g[0] + "." for g in name.given[: rng.choice((1, len(name.given)))])
        elif kind == "drop-prefix":
            prefix = None
        elif kind == "merge-prefix" and prefix:
            family, prefix = f"{prefix} {family}", None
        elif kind == "abbreviate-prefix" and prefix is not None:
            short = rng.choice(TUSSENVOEGSEL_ABBREVIATIONS[prefix])
            if rng.random() < 0.5:
                family, prefix = f"{short.capitalize()} {family}", None
            else:
                prefix = short
        elif kind == "case":
            family = family.upper()
        elif kind == "lower":
            given, family = given.lower(), family.lower()
        elif kind == "double-name":
            family = family.split("-")[0] if rng.random() < 0.5 else family.replace("-", " ")
        elif kind == "swap":
            given, family = family, given
        elif kind == "accents":
            given, family = strip_accents(given), strip_accents(family)
        elif rng.random() < 0.6:
            family = typo(rng, family)
        else:
            given = typo(rng, given)
    return given, prefix, family


def full_name(rng: random.Random, name: Name, nationality: str, level: float) -> str:
    """A name as one string, as people write it in free text or a reporter field."""
    given, prefix, family = split_name(rng, name, nationality, level)
    return " ".join(part for part in (given, prefix, family) if part)


def family_name(name: Name) -> str:
    """The family name with its tussenvoegsel, as one field ('van der Berg')."""
    return f"{name.prefix} {name.family}" if name.prefix else name.family


def postcode(rng: random.Random, value: str, level: float) -> str:
    """'4811 AB' or, with probability ``level``, '4811AB', '4811 ab' or '4811ab'."""
    if rng.random() >= level:
        return value
    return rng.choice((value.replace(" ", ""), value.lower(), value.replace(" ", "").lower(),
                       value.replace(" ", "")))


def phone(rng: random.Random, number: PhoneNumber) -> str:
    """One of the ways people write a number; every one parses with phonenumbers (region NL)."""
    cc, nat = number.country_code, number.national
    if cc == "31" and nat.startswith("6"):
        sub = nat[1:]
        return rng.choice((
            f"06-{sub}", f"06-{sub}", f"06{sub}", f"06 {sub}", f"06 {sub[:4]} {sub[4:]}",
            f"+31 6 {sub[:4]} {sub[4:]}", f"+316{sub}", f"00316{sub}", f"+31 (0)6 {sub}",
        ))
    if cc == "31":
        area_len = 2 if nat[:2] in ("10", "13", "15", "20", "23", "24", "26", "30", "33", "35", "36",
                                    "38", "40", "43", "45", "46", "50", "53", "55", "58", "70", "71",
                                    "72", "73", "74", "75", "76", "77", "78", "79") else 3
        area, sub = nat[:area_len], nat[area_len:]
        return rng.choice((f"0{area}-{sub}", f"0{area} {sub[:3]} {sub[3:]}", f"+31 {area} {sub}",
                           f"0{area}{sub}"))
    grouped = " ".join(nat[i:i + 3] for i in range(0, len(nat), 3))
    return rng.choice((f"+{cc} {grouped}", f"+{cc}{nat}", f"00{cc}{nat}", f"+{cc} {nat}"))


def plate(rng: random.Random, value: str, level: float) -> str:
    """'VZ-123-B', or 'VZ123B', 'vz-123-b', 'VZ 123 B'."""
    if rng.random() >= level:
        return value
    return rng.choice((value.replace("-", ""), value.lower(), value.replace("-", " ")))


def iban(rng: random.Random, value: str, level: float) -> str:
    """Compact, or grouped by four, or lower case."""
    if rng.random() >= level:
        return value
    grouped = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return rng.choice((grouped, grouped, value.lower()))


def text_case(rng: random.Random, value: str, level: float) -> str:
    """Upper or lower case, or a typo, with probability ``level``."""
    if rng.random() >= level:
        return value
    return rng.choice((value.upper(), value.lower(), typo(rng, value)))
