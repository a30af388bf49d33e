"""Anonymous tips from Stichting M. (JSON Lines, producers/FORMATS.md) -> Signal v1.

The reporter is never identifiable: the ``melder`` block is dropped here, and the tip text is
de-identified (``producers.deidentify``) before anything else reads it: every value of the
``melder`` block in any spelling, sign-offs, self-identification, the reporter's own contact
details and address, and BSNs are cut by rules; subjects and category come from that text; the
published narrative is that text with every person name deduce finds replaced by ``[naam]``.

Subjects are extracted from the de-identified tip text by these rules, in this order:

1. IBANs: two letters, two digits, then 10-30 letters/digits in groups, any case, kept only when
   schwifty accepts the check digits; they are masked before the rules below run;
2. phone numbers: phonenumbers' ``PhoneNumberMatcher`` (region NL, valid numbers only);
3. Dutch licence plates: the RDW side codes 1-14, with dashes, spaces or nothing between the
   groups (``VZ-123-B``, ``VZ 123 B``, ``VZ123B``); without dashes only when written in capitals
   (so "in 12 of" is text), and a compact ``9999XX`` is a postcode, not a plate;
4. addresses: ``<Street> <number><addition>, <postcode> <City>`` where the street is one to
   three capitalised words and the addition a letter or a dash and up to four letters/digits
   (``12A``, ``165-II``); postcode checked by python-stdnum; the comma and the city are
   optional; street names with lower-case parts such as "Van der Valkstraat" are matched from
   their last capitalised word only. An address without a postcode is not extracted: a street
   and a number alone are too ambiguous to link;
5. e-mail addresses and http(s) URLs;
6. business names between straight or curly quotes ('Lucky Nails', "Clean Pro"), unless
   de-identification cut a reporter's name out of them.

Category and indicators come from a small keyword table (``KEYWORDS``); a tip with no keyword
is category ``other`` without indicators. Distribution ``tlp:amber+strict``, purpose
``criminal-law``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from producers.adapters.base import RecordError, Result, parse_timestamp, text
from producers.adapters.jsonl import read_jsonl, redact_keys
from producers.deidentify import DEFAULT_DEIDENTIFIER, REPORTER_REMOVED, Deidentifier, Identity
from schemas import identifiers as ids
from schemas.indicators import catalogue

__all__ = ["REPORTER_REMOVED", "StichtingMAdapter", "classify", "extract_subjects", "tip_signal"]

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
                   re.IGNORECASE)
_L, _D = "[A-Z]", r"\d"
_SIDECODES = [f"{a}(?P<s{i}>[- ]?){b}(?P=s{i}){c}" for i, (a, b, c) in enumerate((
    (_L * 2, _D * 2, _D * 2), (_D * 2, _D * 2, _L * 2), (_D * 2, _L * 2, _D * 2),
    (_L * 2, _D * 2, _L * 2), (_L * 2, _L * 2, _D * 2), (_D * 2, _L * 2, _L * 2),
    (_D * 2, _L * 3, _D), (_D, _L * 3, _D * 2), (_L * 2, _D * 3, _L), (_L, _D * 3, _L * 2),
    (_L * 3, _D * 2, _L), (_L, _D * 2, _L * 3), (_D, _L * 2, _D * 3), (_D * 3, _L * 2, _D),
))]
_POSTCODE_SHAPE = re.compile(r"\d{4}[A-Z]{2}")
_PLATE = re.compile(r"(?<![A-Z0-9-])(?:" + "|".join(_SIDECODES) + r")(?![A-Z0-9-])")
_ADDRESS = re.compile(
    r"(?P<street>[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+){0,2}) (?P<number>\d{1,5})"
    r"(?P<addition>[a-zA-Z]?|-[A-Za-z0-9]{1,4})\b,? (?P<postcode>[1-9]\d{3} ?[A-Za-z]{2})\b"
    r"(?: (?P<city>[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)?))?")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"https?://[^\s\"'<>]+")
_QUOTED = re.compile("['\"\u2018\u201c]([A-Z0-9][^'\"\u2018\u2019\u201c\u201d\n]{1,60})"
                     "['\"\u2019\u201d]")

_REF_PREFIX = {"phone": "t", "bank_account": "a", "vehicle": "v", "location": "l", "email": "e",
               "website": "w", "business": "b"}

KEYWORDS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    # (pattern, category or None, indicator codes)
    (r"prostitu|seks|escort|massage|raamwerk|meisjes", "sexual", ()),
    (r"uitzend|schoonma|oogst|kassen|loon|werken|arbeid", "labour", ()),
    (r"drugs|wiet|hennep|bedel|diefstal|ronsel", "criminal", ()),
    (r"opgehaald|busje|gebracht", None, ("DEP-TRANSPORT",)),
    (r"slapen in|slapen op|matras", None, ("DEP-SLEEP-AT-WORK",)),
    (r"paspoort|papieren ingenomen", None, ("FRE-NO-ID",)),
    (r"schuld", None, ("DEP-DEBT",)),
    (r"1[2-9] uur per dag|dag en nacht|zeven dagen", None, ("CON-LONG-HOURS",)),
    (r"blauwe plekken|verwond|geslagen", None, ("SIT-INJURIES",)),
    (r"minderjarig|jonge meisjes|\b1[4-7] jaar", None, ("SIT-UNDERAGE",)),
    (r"veel mensen|tientallen|te veel bewoners", None, ("SIT-MANY-RESIDENTS",)),
    (r"mag niet weg|opgesloten|deur op slot", None, ("FRE-NO-MOVEMENT",)),
)


def extract_subjects(tip_text: str) -> list[dict[str, Any]]:
    """Subjects found in the text by the documented rules; duplicates collapse."""
    found: list[tuple[str, dict[str, Any]]] = []
    masked = tip_text
    for match in _IBAN.finditer(tip_text):
        try:
            iban = IBAN(match.group().upper()).compact
        except SchwiftyException:
            continue
        found.append(("bank_account", {"type": "bank_account", "iban": iban}))
        masked = masked[:match.start()] + "#" * len(match.group()) + masked[match.end():]
    for phone in phonenumbers.PhoneNumberMatcher(masked, "NL"):
        if phonenumbers.is_valid_number(phone.number):
            number = phonenumbers.format_number(phone.number, phonenumbers.PhoneNumberFormat.E164)
            found.append(("phone", {"type": "phone", "number": number}))
    for match in _PLATE.finditer(masked.upper()):
        written = masked[match.start():match.end()]
        if _POSTCODE_SHAPE.fullmatch(match.group()) or ("-" not in written and not written.isupper()):
            continue  # a postcode; or "in 12 of", which is text: without dashes only as written
        found.append(("vehicle", {"type": "vehicle", "plate": ids.plate(match.group())}))
    for match in _ADDRESS.finditer(tip_text):
        try:
            postcode = ids.postcode_nl(match["postcode"])
        except ValueError:
            continue
        address = {"street": match["street"], "house_number": int(match["number"]),
                   "postcode": postcode, "country": "NL"}
        if match["addition"]:
            address["house_number_addition"] = match["addition"].lstrip("-").upper()
        if match["city"]:
            address["city"] = match["city"]
        found.append(("location", {"type": "location", "address": address}))
    for match in _EMAIL.finditer(tip_text):
        found.append(("email", {"type": "email", "address": match.group().lower()}))
    for match in _URL.finditer(tip_text):
        found.append(("website", {"type": "website", "url": match.group().rstrip(".,;)")}))
    for match in _QUOTED.finditer(tip_text):
        if "[" in match.group(1):  # held a reporter's name: the rest is no business name
            continue
        found.append(("business", {"type": "business", "trade_name": match.group(1).strip()}))
    subjects: list[dict[str, Any]] = []
    seen: set[str] = set()
    for kind, subject in found:
        key = repr(sorted(subject.items()))
        if key in seen:
            continue
        seen.add(key)
        role = {"location": "location", "business": "other"}.get(kind, "instrument")
        subjects.append({**subject, "ref": f"{_REF_PREFIX[kind]}{len(subjects) + 1}", "role": role})
    return subjects


def classify(tip_text: str) -> tuple[str, list[str]]:
    """Category and indicator codes from the keyword table."""
    lowered = tip_text.lower()
    category = "other"
    codes: list[str] = []
    for pattern, cat, indicator_codes in KEYWORDS:
        if re.search(pattern, lowered):
            if cat and category == "other":
                category = cat
            codes.extend(c for c in indicator_codes if c not in codes)
    return category, codes


def tip_signal(doc: object, deidentifier: Deidentifier = DEFAULT_DEIDENTIFIER) -> dict[str, Any]:
    """One tip as a Signal v1 document, de-identified by ``deidentifier``."""
    if not isinstance(doc, dict):
        raise RecordError(f"expected a JSON object, got {type(doc).__name__}")
    ref = text(doc.get("tip_id"), "tip_id")
    if ref is None:
        raise RecordError("tip_id: missing")
    body = text(doc.get("tekst"), "tekst")
    if body is None:
        raise RecordError("tekst: missing or empty")
    reporter = Identity.from_block(doc.get("melder"))
    cleaned = deidentifier.before_subjects(body, reporter)
    subjects = extract_subjects(cleaned)
    narrative = deidentifier.narrative(cleaned, reporter, keep=[
        s["trade_name"] for s in subjects if s["type"] == "business"])
    category, codes = classify(cleaned)
    received = parse_timestamp(doc.get("ontvangen"), "ontvangen")
    municipality = text(doc.get("gemeente"), "gemeente")
    known = catalogue()
    return {
        "partner": "stichting-m",
        "partner_ref": ref,
        "observed_at": received,
        "reported_at": received,
        "category": category,
        "barrier_stages": sorted({known[c].stage for c in codes}),
        "indicators": codes,
        "severity": "medium" if codes else "low",
        "distribution": "tlp:amber+strict",
        "purpose": "criminal-law",
        "legal_basis": "Anonymous tip via Meld Misdaad Anoniem (M.)",
        "subjects": subjects,
        "relations": [],
        "narrative": (f"Gemeente: {municipality}\n" if municipality else "") + narrative,
    }


class StichtingMAdapter:
    """Reads ``meldmisdaadanoniem-tips.jsonl``."""

    partner = "stichting-m"

    def __init__(self, deidentifier: Deidentifier = DEFAULT_DEIDENTIFIER) -> None:
        self.deidentifier = deidentifier

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: tip_signal(doc, self.deidentifier),
                          lambda raw: redact_keys(raw, frozenset({"melder"})))
