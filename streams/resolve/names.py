"""Name normalisation for comparison: pure functions, no state.

- ``fold``: lower case ASCII without diacritics ('Ștefan' -> 'stefan', 'Straße' -> 'strasse',
  'Øvergaard' -> 'overgaard', 'Иванов' -> 'ivanov').
- ``family``: a family name with its tussenvoegsel split off, whether the partner wrote it in a
  field of its own ('van der' + 'Berg'), in front ('van der Berg', 'V/D LAAN', 'vd Laan',
  "d'Ancona") or dropped it. The *core* ('berg') is what is compared; a double name
  ('Jansen-de Vries') has the parts ('jansen', 'vries').
- ``given``: given names as tokens; initials ('J.P.') become one-letter tokens.
- ``trade_name``: a trade name without legal-form words (B.V., BV, V.O.F., Holding ...) and
  punctuation.

The ``lru_cache`` on these functions is memoisation of pure functions (same input, same
output), not state: a restarted process computes the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from unidecode import unidecode

PREFIX_WORDS = frozenset({
    "van", "der", "den", "de", "het", "'t", "t", "ter", "ten", "te", "in", "op", "aan", "bij",
    "uit", "onder", "over", "voor", "von", "zu", "vom", "du", "da", "dos", "das", "del", "della",
    "di", "la", "le", "l'", "d'", "'s",
})
"""Words of a Dutch tussenvoegsel (and the common foreign ones)."""

PREFIX_ABBREVIATIONS = {
    "v": "van", "v.": "van", "vd": "van der", "v.d.": "van der", "v.d": "van der", "v/d": "van der",
    "vd.": "van der", "v.der": "van der", "v.den": "van den", "v/den": "van den",
    "v't": "van 't", "v.t.": "van 't", "v.'t": "van 't", "i.t.": "in 't", "i't": "in 't",
    "d'": "de",
}
"""Abbreviated tussenvoegsels as written in registers and case files."""

LEGAL_FORMS = frozenset({
    "bv", "nv", "vof", "cv", "holding", "holdings", "eenmanszaak", "stichting", "vereniging",
    "cooperatie", "ua", "ba", "wa", "gmbh", "ltd", "limited", "sa", "sarl", "srl", "sp", "zoo",
    "inc", "llc", "kg", "ag", "bvba", "vzw",
})
"""Legal-form words dropped from trade names ('B.V.' and 'V.O.F.' fold to 'bv' and 'vof')."""

_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L",
                          "đ": "d", "Đ": "D", "\u0131": "i", "œ": "oe", "Œ": "OE", "þ": "th"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_CANONICAL_PREFIX = {"d'": "de", "t": "'t", "l'": "le"}


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower-case ASCII with diacritics removed and white space collapsed."""
    text = unidecode(value.translate(_SPECIAL).translate(_APOSTROPHES)).lower()
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class FamilyName:
    """A family name split for comparison."""

    prefix: str
    """Canonical tussenvoegsel ('van der'), '' when none."""
    core: str
    """The compared part, parts joined by a space ('berg', 'jansen vries')."""
    parts: tuple[str, ...]
    """The parts of a double name (('jansen', 'vries')); one part otherwise."""


def _expand(token: str) -> list[str]:
    """One written token as name words: abbreviations expanded, hyphens and dots split."""
    if token in PREFIX_ABBREVIATIONS:
        return PREFIX_ABBREVIATIONS[token].split()
    words: list[str] = []
    for piece in re.split(r"[-./]+", token):
        if not piece:
            continue
        if piece in PREFIX_ABBREVIATIONS and piece not in ("v", "d'"):
            words.extend(PREFIX_ABBREVIATIONS[piece].split())
        elif piece.startswith(("d'", "l'")) and len(piece) > 2:
            words.extend((piece[:2], piece[2:]))
        else:
            words.append(piece)
    return words


@lru_cache(maxsize=65536)
def family(prefix: str | None, name: str | None) -> FamilyName:
    """Split a family name and its tussenvoegsel (written apart, in front, or abbreviated)."""
    words: list[str] = []
    for token in fold(f"{prefix or ''} {name or ''}").split():
        words.extend(_expand(token))
    if not words:
        return FamilyName("", "", ())
    last_core = max((i for i, w in enumerate(words) if w not in PREFIX_WORDS), default=len(words) - 1)
    lead: list[str] = []
    for word in words[:last_core]:
        if word not in PREFIX_WORDS:
            break
        lead.append(word)
    core = [_NOT_ALNUM.sub("", w) for i, w in enumerate(words)
            if i >= len(lead) and (i == last_core or w not in PREFIX_WORDS)]
    parts = tuple(p for p in core if p)
    return FamilyName(" ".join(_CANONICAL_PREFIX.get(w, w) for w in lead), " ".join(parts), parts)


@lru_cache(maxsize=65536)
def given(value: str | None) -> tuple[str, ...]:
    """Given names as tokens: 'Jan-Peter' -> ('jan', 'peter'), 'J.P.' -> ('j', 'p')."""
    if not value:
        return ()
    text = _NOT_ALNUM.sub(" ", fold(value).replace("'", ""))
    return tuple(text.split())


def initials_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one side's names could be written as the other's initials ('j p' ~ 'jan peter',
    'j' ~ 'johannes daan'). At least one side must hold an initial."""
    if not a or not b or not any(len(t) == 1 for t in (*a, *b)):
        return False
    for x, y in zip(a, b, strict=False):
        if x == y:
            continue
        if (len(x) == 1 and y[0] == x) or (len(y) == 1 and x[0] == y):
            continue
        return False
    return True


@lru_cache(maxsize=65536)
def trade_name(value: str | None) -> str:
    """A trade name for comparison: folded, without punctuation and legal-form words.
    'Bakkerij De Zon B.V.' -> 'bakkerij de zon'; 'B&B Silk' -> 'bb silk'."""
    if not value:
        return ""
    text = fold(value)
    text = re.sub(r"\b([a-z])\.(?=[a-z]\.?)", r"\1", text)  # b.v. -> bv., v.o.f. -> vof.
    words = [w for w in _NOT_ALNUM.sub(" ", text.replace("'", "").replace(".", "")).split()]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


def phonetic(word: str) -> str:
    """A coarse sound code of one name word, for blocking: first letter kept, vowels and
    doubled letters dropped, similar consonants merged (Soundex-like, without the length cap)."""
    if not word:
        return ""
    out = [word[0]]
    last = _SOUND.get(word[0], "")
    for ch in word[1:]:
        code = _SOUND.get(ch, "")
        if code and code != last:
            out.append(code)
        last = code
    return "".join(out)[:5]


_SOUND = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
          "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
