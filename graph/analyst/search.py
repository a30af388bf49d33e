"""Free text an analyst types, as a safe Lucene query for the mention search index.

The text is cut into words (letters and digits only: Lucene's operators and quotes never pass),
each word matched as a prefix or, from five characters, within one edit; all words must match.
Where the whole text is an identifier in another spelling ("06-12345678", "1234 ab",
"nl91 abna 0417 1643 00"), its normal form is an alternative, so it is found as it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graph.exceptions import QueryInputError
from schemas import identifiers as ids

MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 100
MAX_WORDS = 8
FUZZY_FROM = 5
"""Words of at least this length also match one typo away (``word~1``)."""

_WORD = re.compile(r"[^\W_]+")
_NORMALISERS: tuple[Callable[[str], str], ...] = (
    ids.postcode_nl, ids.phone_e164, ids.iban, ids.kvk_number, ids.plate)


def lucene_query(text: str) -> str:
    """The Lucene query for ``text``; ``QueryInputError`` when it has nothing to search for."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    if len(text) > MAX_QUERY_CHARS:
        raise QueryInputError("q", text[:20] + "…", f"at most {MAX_QUERY_CHARS} characters")
    if sum(len(w) for w in words) < MIN_QUERY_CHARS:
        raise QueryInputError("q", text, f"type at least {MIN_QUERY_CHARS} letters or digits")
    terms = [f"({w}* OR {w}~1)" if len(w) >= FUZZY_FROM else f"{w}*" for w in words]
    alternatives = ["(" + " AND ".join(terms) + ")"]
    alternatives += [f'"{" ".join(_WORD.findall(form.lower()))}"' for form in _normal_forms(text)]
    return " OR ".join(alternatives)


def matched_fields(text: str, properties: Mapping[str, Any]) -> list[str]:
    """The properties a search hit on, for showing why an entity was found."""
    words = _WORD.findall(text.lower())
    forms = {f.lower() for f in _normal_forms(text)}
    found = []
    for key, value in sorted(properties.items()):
        shown = str(value).lower()
        if shown in forms or any(w in shown for w in words):
            found.append(key)
    return found


def _normal_forms(text: str) -> list[str]:
    forms: list[str] = []
    for normalise in _NORMALISERS:
        try:
            form = normalise(text.strip())
        except (ValueError, TypeError):
            continue
        if form not in forms:
            forms.append(form)
    return forms
