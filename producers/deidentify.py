"""De-identification of free text at the source: a reporter's or patient's identity never passes
the adapter (or the gateway) that reads it.

Two layers, applied in this order by ``Deidentifier`` (what the adapters and the gateway call):

1. **Rules** (``remove_identity``), which know *whose* identity it is:

   - every value of the structured identity block (``Identity``: the tip's ``melder``, the
     patient's name, BSN and number) wherever it appears: names and their variants (surname
     with or without tussenvoegsel, each part of a double name, initial + surname, given name),
     phone numbers in any Dutch spelling (compared by digits: ``06-1234 5678``, ``+31 6 …``,
     ``0031 6…``, ``(010) 234 56 78``), e-mail addresses in any case, the address (street and
     number, postcode in both spellings);
   - sign-offs: a closing formula (``Groet``, ``Met vriendelijke groet``, ``Mvg``, ``Groetjes``,
     ``Alvast bedankt`` …) and everything after it; a trailing signature line (``Name, function,
     phone``; ``- H. van Dam``) at the end of the text;
   - self-identification: ``mijn naam is …``, ``ik heet …``, ``ik ben <Name>``, ``Melder: …``,
     ``Naam: …``, ``(naam …)``, ``ondergetekende …``; the reporter's own contact details
     (``u kunt mij bereiken op …``, ``bel me op …``, ``mijn nummer is …``, ``mijn e-mail is …``,
     and every phone number or e-mail address in a sentence that invites contact: ``als u meer
     wilt weten, stuur een mailtje naar …``); the reporter's own address (``ik woon (zelf)
     op …``, ``mijn adres is …``). A name learnt this way is removed wherever else it appears;
   - BSNs: nine digits (also ``123.456.782``) that pass the elfproef, or any number after "BSN".

   Phone numbers, e-mail addresses and addresses that are *not* the reporter's stay: they are
   the subjects the adapter extracts next.

2. **deduce** (``NameFinder``): every person name deduce finds in what is left becomes
   ``[naam]`` ("when in doubt, a name goes"). Subjects are extracted before this step, and the
   adapters never extract person names from free text, so no subject is lost.

deduce's lookup structures take 1-2 minutes to build on a fresh install (``make setup`` builds
them: ``python -m producers.deidentify``) and 7-20 s to load; ``name_finder()`` loads them once
per process, on first use, and shares the finder (it is read-only once loaded).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from stdnum.nl import bsn as stdnum_bsn

from producers.exceptions import DeidentifyError

log = structlog.get_logger(__name__)

REPORTER_REMOVED = "[melder verwijderd]"
NAME_REMOVED = "[naam]"
BSN_REMOVED = "[bsn]"
PLACEHOLDERS = (REPORTER_REMOVED, NAME_REMOVED, BSN_REMOVED)

# --- name shapes -------------------------------------------------------------------------------
_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][{_LOW}'\u2019]+(?:-[{_UP}{_LOW}][{_LOW}'\u2019]+)*"
"""A capitalised word, hyphenated parts allowed: ``Koster``, ``Berg-Koster``, ``O'Neill``."""
_INITIALS = rf"(?:[{_UP}]\.[ -]?){{1,4}}"
TUSSENVOEGSELS = ("van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "von",
                  "da", "di", "del", "la", "le", "el", "al", "bin", "ben", "du", "vd")
_PREFIX = r"(?:" + "|".join(re.escape(t) for t in TUSSENVOEGSELS) + r")"
_NAME = (rf"(?:{_INITIALS} ?(?:{_PREFIX} ){{0,3}}{_WORD}"
         rf"|{_WORD}(?: {_WORD}){{0,2}}(?: {_PREFIX}){{0,3}} {_WORD}|{_WORD})")
"""A person's name as written: ``Mirjam Koster``, ``H. van Dam``, ``Mirjam van den Berg-Koster``.
Names are case-sensitive (a capital starts the name), the phrases around them are not."""
_PERSON = re.compile(rf"(?<![\w.]){_NAME}(?![\w])")

# --- contact shapes ----------------------------------------------------------------------------
_PHONE_SHAPE = r"(?:\+|00)?\(?\d[\d \-./()]{6,18}\d"
_EMAIL_SHAPE = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_CONTACT = rf"(?:{_EMAIL_SHAPE}|{_PHONE_SHAPE})"
_CONTACTS = rf"{_CONTACT}(?:\s*(?:,|of|en|/)\s*(?:via\s+|op\s+)?{_CONTACT})*"
_STREET = rf"(?:{_PREFIX} )*{_WORD}(?:[ -]{_WORD}){{0,2}}"
_ADDRESS = (rf"{_STREET} \d{{1,5}}(?:[ -]?[a-zA-Z]{{1,2}}\b|-[A-Za-z0-9]{{1,4}})?"
            rf"(?:,? [1-9]\d{{3}} ?[A-Za-z]{{2}}\b)?(?:,? {_WORD}(?:[ -]{_WORD})?)?")

_CLOSINGS = (r"met (?:vriendelijke|hartelijke|collegiale) groet(?:en)?|"
             r"(?:vriendelijke|hartelijke|collegiale) groet(?:en)?|"
             r"groetjes|groeten|groet|m\.?v\.?g\.?|gr\.|"
             r"alvast (?:hartelijk )?bedankt|bij voorbaat dank|hoogachtend|"
             r"met (?:vriendelijke|hartelijke) groet")
_SIGN_OFF = re.compile(rf"(?i:(?<![\w])(?:{_CLOSINGS}))(?:[ \t]*[,:!.-]*[ \t]*\n?|\s+)"
                       rf"(?=(?:(?:van|uit|dr\.|drs\.|mr\.) )?(?:{_INITIALS}|[{_UP}]|\n|-|$))")
"""A closing formula followed by what usually is a name; from here to the end is the sign-off
(``_MAX_SIGN_OFF`` characters at most, else only the formula's line goes)."""
_MAX_SIGN_OFF = 300

_SELF_NAME = re.compile(
    r"(?:(?i:\bmijn naam is|\bmijn naam:|\bik heet|\bondergetekende,?|\bnaam melder:?|"
    r"\bmelder:|\bnaam:|\bnamens mijzelf,?|\bnamens [^,.\n]{1,40},|\bik\s*\(|"
    r"\b(?:ingevuld|opgesteld|gemeld|geschreven|genoteerd|doorgegeven) door:?)"
    r"(?:\s+[a-zß-ÿ][a-zß-ÿ-]*){0,2}\s*|(?i:(?:^|(?<=[.!?]\s))(?:dit|hier) is)\s+"
    rf"|(?i:\bik ben)\s+(?=(?:{_INITIALS}|[{_UP}]))"
    r"|\((?i:naam|melder):?\s*)"
    rf"(?P<name>{_NAME})")
_PAREN_NAME = re.compile(rf"\((?P<name>{_NAME}),?\s*(?i:melder|melding|de melder)\)")
_SELF_CONTACT = re.compile(
    r"(?i:(?:u|je|jullie|men) (?:kunt|kan|kunnen|mag|mogen) (?:mij|me) "
    r"(?:altijd |gerust |eventueel |ook )?(?:bereiken|bellen|mailen|sms'?en|appen|contacten)"
    r"|\b(?:bel|mail|app|sms) (?:mij|me)(?: gerust| even| terug)?"
    r"|\bmijn (?:06|telefoonnummer|nummer|mobiele nummer|mobiel|gsm|e-?mailadres|e-?mail|mail|"
    r"mailadres)"
    r"|\b(?:ik )?ben (?:bereikbaar|te bereiken)|\bbereikbaar voor vragen|\bterugbellen"
    r"|\b(?:haar|zijn|mijn) eigen (?:telefoon|mobiele )?nummer"
    r"|\bcontact met mij|\bcontact opnemen met mij)"
    rf"[^.\n\d+@]{{0,30}}?(?P<contact>{_CONTACTS})")
_INVITATION = re.compile(
    r"(?i:\bstuur\b.{0,20}\b(?:mail|mailtje|e-?mail|bericht|appje|sms)"
    r"|\b(?:mail|bel|app|sms)\s+(?:mij|me|gerust|maar|even)\b"
    r"|\b(?:kunt|kan|kunnen|mag|mogen)\s+(?:u|je|jullie)\b.{0,30}"
    r"\b(?:mailen|bellen|appen|bereiken|contact)"
    r"|\bmeer (?:wilt|willen|wil) weten|\b(?:nog )?vragen (?:heeft|hebt|hebben)|\bvoor vragen"
    r"|\bmocht u\b|\bbereikbaar\b|\bte bereiken\b|\bterugbellen\b|\bneemt? contact)")
"""An invitation to contact the writer: every phone number and e-mail address in the same
sentence is the writer's."""
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?](?=\S)[^.!?\n]*)*(?:[.!?]+|\n|$)")
_CONTACT_RE = re.compile(_CONTACT)
_AFTER_REMOVED = re.compile(rf"(?<={re.escape(REPORTER_REMOVED)})(?P<gap>\s*[(,:]?\s*)"
                            rf"(?P<contact>{_CONTACTS})\)?")
"""A contact right after a removed name: ``Mirjam Koster (06 48 12 33 90)``."""
_SELF_ADDRESS = re.compile(
    r"(?i:\bik woon (?:zelf )?(?:op|aan|in)|\bmijn (?:woon)?adres is:?|\bmijn adres:|"
    r"\bwij wonen (?:zelf )?(?:op|aan|in)|\bik woon hier (?:op|aan))"
    r"(?: de| het)? (?P<address>" + _ADDRESS + ")")
_BSN = re.compile(r"(?<![\d.\-/])(?:\d{9}|\d{3}[ .]\d{3}[ .]\d{3}|\d{4}[ .]\d{2}[ .]\d{3})"
                  r"(?![\d\-/]|\.\d)")
_BSN_AFTER_WORD = re.compile(r"(?i:\bbsn|burgerservicenummer|sofinummer)[\s:.#-]*(?:nummer)?"
                             r"[\s:.#-]*(?P<number>\d[\d .]{6,11}\d)")
_TAIL_FIELD = r"[^,|\s()]+(?:[ \t]+[^,|\s()]+){0,4}\)?"
"""A function, a phone number or an e-mail address: five words at most."""
_TAIL_SEPARATOR = r"(?:[ \t]*[,|/][ \t]*|[ \t]+[-\u2013][ \t]+|[ \t]*\()"
_SIGNATURE_TAILS = tuple(re.compile(
    rf"(?:(?<=[.!?])[ \t]+|\n)[ \t]*(?:[-\u2013\u2014~][ \t]*)?{function}(?P<name>{_NAME})"
    rf"(?P<fields>(?:{_TAIL_SEPARATOR}{_TAIL_FIELD}){{0,4}})[ \t]*\.?\s*$")
    for function in ("", r"[A-Za-z][\w-]+\.? "))
"""A last line or sentence that is a name, perhaps after a function word, perhaps followed by
a function, a phone number or an e-mail address."""


@dataclass(frozen=True)
class Identity:
    """What a structured block says about the person who must stay unknown (reporter or
    patient); every value is removed from the text wherever it appears."""

    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[Mapping[str, Any], ...] = ()
    numbers: tuple[str, ...] = ()
    """Other identifiers in clear (BSN, patient number), removed as written."""

    @classmethod
    def from_block(cls, block: object) -> Identity:
        """A partner's person block: ``naam`` or ``voornaam``/``tussenvoegsel``/``achternaam``,
        ``telefoon`` (or ``mobiel``), ``email``, ``adres`` (an object or a line), ``bsn``.
        Anything that is not a dict gives the empty identity."""
        if not isinstance(block, Mapping):
            return cls()
        names = [_str(block.get("naam"))]
        parts = [_str(block.get(k)) for k in ("voornaam", "tussenvoegsel", "achternaam")]
        names.append(" ".join(p for p in parts if p))
        phones = [_str(block.get(k)) for k in ("telefoon", "mobiel", "telefoonnummer")]
        emails = [_str(block.get(k)) for k in ("email", "e-mail", "emailadres")]
        address = block.get("adres")
        addresses: list[Mapping[str, Any]] = []
        if isinstance(address, Mapping):
            addresses.append(address)
        elif isinstance(address, str) and address.strip():
            addresses.append({"regel": address.strip()})
        numbers = [_str(block.get(k)) for k in ("bsn", "patient_id")]
        return cls(names=_kept(names), phones=_kept(phones), emails=_kept(emails),
                   addresses=tuple(addresses), numbers=_kept(numbers))

    def __bool__(self) -> bool:
        return bool(self.names or self.phones or self.emails or self.addresses or self.numbers)


@dataclass
class Deidentified:
    """The cleaned text and how many spans each rule removed (counts only, never the text)."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, rule: str, n: int = 1) -> None:
        if n:
            self.removed[rule] = self.removed.get(rule, 0) + n

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _kept(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# --- layer 1: rules ----------------------------------------------------------------------------

def remove_identity(text: str, identity: Identity = Identity()) -> Deidentified:
    """``text`` without the identity's values, sign-offs, self-identification and BSNs."""
    result = Deidentified(text)
    learnt: list[str] = list(identity.names)
    _sign_offs(result, learnt)
    _self_identification(result, learnt)
    for email in identity.emails:
        _sub(result, "email", re.compile(re.escape(email), re.IGNORECASE), REPORTER_REMOVED)
    for phone in identity.phones:
        _remove_phone(result, phone)
    for address in identity.addresses:
        _remove_address(result, address)
    for number in identity.numbers:
        loose = r"[\s.\-]?".join(map(re.escape, number)) if number.isdigit() else _loose(number)
        _sub(result, "number", re.compile(rf"(?<![\w]){loose}(?![\w])", re.IGNORECASE),
             REPORTER_REMOVED)
    _remove_named_emails(result, learnt)
    _remove_names(result, learnt)
    _sub(result, "bsn", _BSN_AFTER_WORD, BSN_REMOVED, group="number")
    _remove_bsns(result)
    result.text = _REPEATED.sub(REPORTER_REMOVED, result.text)
    return result


_REPEATED = re.compile(rf"{re.escape(REPORTER_REMOVED)}(?:[\s,;|-]*{re.escape(REPORTER_REMOVED)})+")


def _sub(result: Deidentified, rule: str, pattern: re.Pattern[str], placeholder: str,
         group: str | int = 0) -> None:
    """Replace ``group`` of every match of ``pattern`` by ``placeholder``."""
    pieces: list[str] = []
    last = 0
    n = 0
    for match in pattern.finditer(result.text):
        start, end = match.span(group)
        if start < last or start < 0:
            continue
        pieces += [result.text[last:start], placeholder]
        last = end
        n += 1
    if n:
        result.text = "".join(pieces) + result.text[last:]
        result.count(rule, n)


def _replace(result: Deidentified, rule: str, spans: Iterable[tuple[int, int]],
             placeholder: str = REPORTER_REMOVED) -> None:
    """Replace each (start, end) span of the text, in order and not overlapping."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue
        pieces += [result.text[last:start], placeholder]
        last = end
        result.count(rule)
    result.text = "".join(pieces) + result.text[last:]


def _sign_offs(result: Deidentified, learnt: list[str]) -> None:
    """Cut a closing formula and what follows it, and a trailing signature line."""
    for match in _SIGN_OFF.finditer(result.text):
        rest = result.text[match.start():]
        if len(rest) <= _MAX_SIGN_OFF:
            learnt.extend(m.group() for m in _PERSON.finditer(rest[match.end() - match.start():]))
            result.text = _joined(result.text[:match.start()], REPORTER_REMOVED)
            result.count("sign_off")
            break
        line_end = result.text.find("\n", match.end())
        line_end = len(result.text) if line_end < 0 else line_end
        learnt.extend(m.group() for m in _PERSON.finditer(result.text[match.end():line_end]))
        result.text = result.text[:match.start()] + REPORTER_REMOVED + result.text[line_end:]
        result.count("sign_off")
        break
    for pattern in _SIGNATURE_TAILS:
        tail = pattern.search(result.text)
        if tail and _is_signature(tail):
            learnt.append(tail["name"])
            result.text = _joined(result.text[:tail.start("name")], REPORTER_REMOVED)
            result.count("signature")
            break


def _joined(before: str, placeholder: str) -> str:
    """``before`` (trailing separators trimmed) and the placeholder, a space between."""
    before = before.rstrip(" \t\n,-\u2013\u2014~")
    return f"{before} {placeholder}" if before else placeholder


def _is_signature(tail: re.Match[str]) -> bool:
    """A trailing ``Name[, field]*`` is a signature when the name has two parts or an initial,
    or when fields (function, phone, e-mail) follow it."""
    name, fields = tail["name"], tail["fields"]
    if fields.strip():
        return len(name) >= 3
    return bool(re.search(r"\s", name.strip())) or bool(re.match(_INITIALS, name))


def _self_identification(result: Deidentified, learnt: list[str]) -> None:
    """Names, contact details and addresses the writer gives as their own."""
    for pattern, group in ((_SELF_NAME, "name"), (_PAREN_NAME, "name")):
        learnt.extend(m[group] for m in pattern.finditer(result.text))
        _sub(result, "self_name", pattern, REPORTER_REMOVED, group=group)
    _sub(result, "self_contact", _SELF_CONTACT, REPORTER_REMOVED, group="contact")
    _invited_contacts(result)
    _sub(result, "self_contact", _AFTER_REMOVED, "", group=0)
    _sub(result, "self_address", _SELF_ADDRESS, REPORTER_REMOVED, group="address")


def _invited_contacts(result: Deidentified) -> None:
    """Every phone number and e-mail address in a sentence that invites contact."""
    _replace(result, "invited_contact", [
        (sentence.start() + match.start(), sentence.start() + match.end())
        for sentence in _SENTENCE.finditer(result.text) if _INVITATION.search(sentence.group())
        for match in _CONTACT_RE.finditer(sentence.group())
        if len(_digits(match.group())) >= 7 or "@" in match.group()])


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def national_digits(phone: str) -> str | None:
    """The national significant number of a Dutch (or international) number as written, e.g.
    ``612345678`` for ``06-12345678``, ``+31 6 1234 5678`` and ``0031612345678``; None when it
    has too few digits to be a phone number."""
    written = phone.strip()
    digits = _digits(written)
    if written.startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        digits = digits[2:] if digits.startswith("31") else digits
        digits = digits.removeprefix("0")  # +31 (0)6 …
    else:
        digits = digits.removeprefix("0")
    return digits if len(digits) >= 7 else None


def _remove_phone(result: Deidentified, phone: str) -> None:
    """Every spelling of ``phone`` in the text: compared by national significant number."""
    own = national_digits(phone)
    if own is None:
        return
    _replace(result, "phone", [m.span() for m in _PHONE_RUN.finditer(result.text)
                               if own in (national_digits(m.group()) or "")])


_PHONE_RUN = re.compile(r"(?<![\w+])(?:\+|00)?[\d()][\d \-./()]{5,22}\d(?!\d)")


def _loose(value: str) -> str:
    """A pattern for ``value`` with any whitespace, dash or dot between its parts."""
    parts = [re.escape(p) for p in re.split(r"[\s.\-]+", value.strip()) if p]
    return r"[\s.\-]*".join(parts)


def _remove_address(result: Deidentified, address: Mapping[str, Any]) -> None:
    """The reporter's street with house number, and the postcode, however written."""
    line = _str(address.get("regel"))
    street, number = _str(address.get("straat")), address.get("huisnummer")
    addition = _str(address.get("toevoeging")) or ""
    postcode = _str(address.get("postcode"))
    if line:
        parsed = re.search(r"(?P<street>.+?)\s+(?P<number>\d{1,5})\s*(?P<add>[A-Za-z]{0,2})\b"
                           r"(?:.*?(?P<postcode>[1-9]\d{3}\s?[A-Za-z]{2})\b)?", line)
        if parsed:
            street, number, addition = parsed["street"].strip(" ,"), parsed["number"], parsed["add"]
            postcode = postcode or parsed["postcode"]
        else:
            _sub(result, "address", re.compile(_loose(line), re.IGNORECASE), REPORTER_REMOVED)
    if street and number is not None:
        extra = rf"(?:\s*-?\s*{re.escape(addition)}\b)?" if addition else ""
        pattern = rf"{_loose(street)}\s+{re.escape(str(number))}{extra}(?!\d)"
        _sub(result, "address", re.compile(pattern, re.IGNORECASE), REPORTER_REMOVED)
    if postcode:  # alone, or after the (removed) own street; not another address's postcode
        compact = re.sub(r"\s", "", postcode)
        own = re.compile(rf"(?<!\w){re.escape(compact[:4])}\s?{re.escape(compact[4:])}(?!\w)",
                         re.IGNORECASE)
        _replace(result, "address", [
            m.span() for m in own.finditer(result.text)
            if not _AFTER_HOUSE_NUMBER.search(result.text[max(0, m.start() - 12):m.start()])])


_AFTER_HOUSE_NUMBER = re.compile(r"\d[A-Za-z]{0,2}(?:-[A-Za-z0-9]{1,4})?,?\s*$")
"""Text before a postcode that makes it part of an address: another address's postcode."""


def name_variants(name: str) -> list[str]:
    """Ways a name is written in a text: whole, surname with and without tussenvoegsel, each
    part of a double name, initial(s) + surname, the given name; longest first."""
    name = re.sub(r"\s+", " ", name.strip().strip(",.;:"))
    tokens = name.split(" ")
    variants = {name}
    lowered = [t.lower() for t in tokens]
    first_prefix = next((i for i, t in enumerate(lowered) if t in TUSSENVOEGSELS and i > 0),
                        None)
    if first_prefix is not None:
        given, surname = tokens[:first_prefix], " ".join(tokens[first_prefix:])
    elif len(tokens) > 1:
        given, surname = tokens[:-1], tokens[-1]
    else:
        given, surname = [], tokens[0]
    given = [g for g in given if not re.fullmatch(_INITIALS.strip(), g + ("" if "." in g
                                                                          else "."))]
    variants.add(surname)
    core = " ".join(t for t in surname.split(" ") if t.lower() not in TUSSENVOEGSELS)
    variants.add(core)
    for part in re.split(r"-", core):
        variants.add(part)
        pre = re.match(r"((?:\w+ )+)", surname)
        if pre and "-" in core and part == core.split("-")[0]:
            variants.add(pre.group(1) + part)  # "van den Berg" from "van den Berg-Koster"
    for g in given:
        variants.add(g)
        variants.add(f"{g[0]}. {surname}")
        variants.add(f"{g[0]}.{surname}")
    if given:
        initials = "".join(f"{g[0]}." for g in given)
        variants.update({f"{initials} {surname}", f"{initials}{surname}"})
    kept = [v.strip() for v in variants if len(v.strip()) >= 3 and
            v.strip().lower() not in TUSSENVOEGSELS]
    return sorted(set(kept), key=len, reverse=True)


def _remove_named_emails(result: Deidentified, names: Iterable[str]) -> None:
    """E-mail addresses whose local part holds a part of a known name (``lotte.bos99@…``)."""
    parts = {p.lower() for name in names for p in re.split(r"[\s.\-']+", name)
             if len(p) >= 3 and p.lower() not in TUSSENVOEGSELS}
    if not parts:
        return
    _replace(result, "email", [m.span() for m in _EMAIL_RE.finditer(result.text)
                               if _holds_name(m.group().split("@")[0].lower(), parts)])


_EMAIL_RE = re.compile(_EMAIL_SHAPE)


def _holds_name(local: str, parts: set[str]) -> bool:
    """Whether an e-mail local part holds a name part: as a piece, or (4+ letters) inside."""
    return bool(set(re.split(r"[\W\d_]+", local)) & parts) or \
        any(p in local for p in parts if len(p) >= 4)


def _remove_names(result: Deidentified, names: Iterable[str]) -> None:
    variants: list[str] = []
    for name in names:
        variants.extend(name_variants(name))
    if not variants:
        return
    alternatives = "|".join(_loose(v) for v in sorted(set(variants), key=len, reverse=True))
    _sub(result, "name", re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE),
         REPORTER_REMOVED)


def _remove_bsns(result: Deidentified) -> None:
    _replace(result, "bsn", [m.span() for m in _BSN.finditer(result.text)
                             if stdnum_bsn.is_valid(_digits(m.group()))], BSN_REMOVED)


# --- layer 2: deduce ---------------------------------------------------------------------------

NAME_TAGS = ("persoon", "patient")
"""deduce's tags (after its post-processing) for a person's name."""


class NameFinder:
    """deduce, used for one thing: person names in the narrative become ``[naam]``."""

    def __init__(self) -> None:
        started = time.perf_counter()
        try:
            from deduce import Deduce

            self._deduce = Deduce()
        except ImportError as exc:  # pragma: no cover - a broken install
            raise DeidentifyError("deduce is not installed; run `make setup`") from exc
        except (OSError, ValueError, EOFError) as exc:  # pragma: no cover - unreadable lists
            raise DeidentifyError(f"deduce's lookup data cannot be loaded: {exc}") from exc
        log.info("deidentify.deduce_loaded", seconds=round(time.perf_counter() - started, 2))

    def spans(self, text: str, identity: Identity = Identity()) -> list[tuple[int, int, str]]:
        """(start, end, tag) of what deduce annotates; the identity's name as deduce's patient."""
        metadata = {"patient": _deduce_person(identity)} if identity.names else None
        doc = self._deduce.deidentify(text, metadata=metadata)
        return sorted((a.start_char, a.end_char, a.tag) for a in doc.annotations)

    def redact(self, text: str, identity: Identity = Identity(),
               tags: tuple[str, ...] | None = NAME_TAGS, keep: Iterable[str] = ()
               ) -> Deidentified:
        """``text`` with every annotation whose tag is in ``tags`` (None: every annotation)
        replaced by a placeholder, but those inside a ``keep`` string (a subject the adapter
        extracted, e.g. a business name)."""
        result = Deidentified(text)
        kept = [(m.start(), m.end()) for value in keep if value
                for m in re.finditer(re.escape(value), text)]
        spans = [s for s in self.spans(text, identity) if (tags is None or s[2] in tags)
                 and not any(a <= s[0] and s[1] <= b for a, b in kept)]
        pieces: list[str] = []
        last = 0
        for start, end, tag in spans:
            if start < last or _inside_placeholder(text, start, end):
                continue
            pieces += [text[last:start], _placeholder(tag)]
            last = end
            result.count(f"deduce_{tag}")
        result.text = "".join(pieces) + text[last:]
        return result


def _placeholder(tag: str) -> str:
    return NAME_REMOVED if tag in NAME_TAGS else f"[{tag}]"


def _inside_placeholder(text: str, start: int, end: int) -> bool:
    """Whether the span lies inside one of our own ``[...]`` placeholders."""
    opening = text.rfind("[", 0, start + 1)
    return opening >= 0 and text.find("]", opening) >= end - 1 and \
        any(text.startswith(p, opening) for p in PLACEHOLDERS)


def _deduce_person(identity: Identity) -> Any:
    from deduce.person import Person

    tokens = identity.names[0].split()
    if len(tokens) == 1:
        return Person(surname=tokens[0])
    return Person(first_names=[tokens[0]], initials=tokens[0][0],
                  surname=" ".join(tokens[1:]))


_finder: NameFinder | None = None
_finder_lock = threading.Lock()


def name_finder() -> NameFinder:
    """The process's one ``NameFinder``, loaded on first use (2-4 s; ~1 min on a fresh install
    that has not built deduce's lookup cache)."""
    global _finder
    with _finder_lock:
        if _finder is None:
            _finder = NameFinder()
        return _finder


# --- both --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deidentifier:
    """What an adapter calls: ``before_subjects`` cleans the text that subjects are extracted
    from, ``narrative`` finishes the text that is published.

    The default is rules, then deduce's person names. ``rules=False`` is deduce alone (every
    annotation deduce makes, before the subjects); ``deduce=False`` is the rules alone: both
    exist for the evaluation (``bench.deidentify_eval``), not for production.
    """

    rules: bool = True
    deduce: bool = True
    finder: NameFinder | None = None
    """deduce; None: the process's one (``name_finder()``), loaded on first use."""

    def _deduce(self) -> NameFinder:
        return self.finder or name_finder()

    def before_subjects(self, text: str, identity: Identity = Identity()) -> str:
        if self.rules:
            return remove_identity(text, identity).text
        if self.deduce:
            return self._deduce().redact(text, identity, tags=None).text
        return text

    def narrative(self, cleaned: str, identity: Identity = Identity(),
                  keep: Iterable[str] = ()) -> str:
        if self.rules and self.deduce:
            return self._deduce().redact(cleaned, identity, keep=keep).text
        return cleaned

    def __call__(self, text: str, identity: Identity = Identity()) -> str:
        """Both steps: a free text ready to publish."""
        return self.narrative(self.before_subjects(text, identity), identity)


DEFAULT_DEIDENTIFIER = Deidentifier()
"""Rules, then deduce's person names: what the adapters and the gateway use."""


if __name__ == "__main__":  # `python -m producers.deidentify`: build deduce's lookup cache
    started = time.perf_counter()
    name_finder()
    print(f"deduce ready in {time.perf_counter() - started:.1f} s")
