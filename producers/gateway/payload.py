"""From request bytes to Signal v1: bounded reading, the body's shape, pseudonymisation of clear
identifiers, and validation with field-level issues. Nothing here touches Kafka or the network.

Clear identifiers a partner may send and what they become before validation:

- ``{"scheme": "bsn", "value": "<BSN>"}`` -> ``{"scheme": "bsn-pseudonym", "value": "ps1:..."}``
  (the BSN must pass the elfproef);
- ``{"scheme": "patient-id", "value": "<number>", "institution": "<issuer>"}`` ->
  ``{"scheme": "patient-pseudonym", "value": "ps1:..."}``, scoped to the institution exactly as
  the zorg file adapter does, so both routes give the same pseudonym.

The narrative of a sensitive source (``policy.registry.SENSITIVE_SOURCES``: anonymous tips,
healthcare) is de-identified after validation (``deidentify_narratives``), as the file adapters
do: a reporter's or patient's identity written in the free text never reaches Kafka.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from producers.deidentify import Deidentifier
from producers.exceptions import BodyTooLargeError, PayloadError
from producers.pseudonym import PREFIX, Pseudonymiser
from schemas.signal import Signal

NARRATIVE_MAX = 10_000
"""Signal v1's ``narrative`` max_length (schemas/signal.py)."""

Loc = tuple[str | int, ...]

CLEAR_BSN = "bsn"
CLEAR_PATIENT = "patient-id"
_PLACEHOLDER = {"scheme": "bsn-pseudonym", "value": PREFIX + "0" * 64}
"""Stands in for an identifier that could not be pseudonymised, so that the rest of the signal
is still checked with the right indices; the signal is refused either way."""


@dataclass(frozen=True)
class FieldIssue:
    """One broken rule: where in the request body (``loc``), why, and which signal of a batch."""

    index: int | None
    loc: Loc
    msg: str
    type: str

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.loc)

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "loc": list(self.loc), "path": self.path, "msg": self.msg,
                "type": self.type}


@dataclass(frozen=True)
class Body:
    """The request body's signal documents, before validation."""

    items: list[Any]
    batch: bool

    def prefix(self, index: int) -> Loc:
        """Where signal ``index`` sits in the body."""
        return ("signals", index) if self.batch else ()


async def read_body(chunks: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes by the header and by what arrives.

    A declared length over the limit is refused before anything is read; a body that runs past
    the limit (chunked, or a lying header) is refused as soon as it does, so at most one chunk
    beyond ``limit`` is ever held.
    """
    if content_length is not None and content_length.strip().isdigit():
        declared = int(content_length)
        if declared > limit:
            raise BodyTooLargeError(limit, declared)
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise BodyTooLargeError(limit, len(received))
    return bytes(received)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


MAX_DEPTH = 32
"""Nesting a body may have; a batch of signals needs at most 8 levels."""
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Duplicated(dict[str, Any]):
    """A JSON object that named a key twice: ``json.loads`` keeps the last value silently."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' object hook: a dict, marked when a key came twice."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Duplicated(obj)
    seen: set[str] = set()
    marked.duplicates = []
    for key, _ in pairs:
        if key in seen:
            marked.duplicates.append(key)
        seen.add(key)
    return marked


def parse_body(raw: bytes, max_batch: int) -> Body:
    """One signal object, or ``{"signals": [...]}`` with 1 to ``max_batch`` of them.

    The body must be UTF-8 JSON (RFC 8259) without a byte order mark, nest at most
    ``MAX_DEPTH`` levels, name no key twice in an object and hold no lone surrogate escape:
    each is refused with its place, not guessed at.
    """
    doc = _strict_json(raw)
    if not isinstance(doc, dict):
        raise _shape_error(("body",), 'expected a JSON object: one signal or {"signals": [...]}',
                           "model_type")
    if "signals" not in doc:
        return Body(items=[doc], batch=False)
    if set(doc) != {"signals"}:
        extra = sorted(set(doc) - {"signals"})
        raise _shape_error(("body",), f"a batch has only the key 'signals'; also found {extra}",
                           "extra_forbidden")
    signals = doc["signals"]
    if not isinstance(signals, list):
        raise _shape_error(("signals",), "expected a list of signals", "list_type")
    if not 1 <= len(signals) <= max_batch:
        raise _shape_error(("signals",), f"a batch holds 1 to {max_batch} signals, "
                           f"not {len(signals)}", "too_long" if signals else "too_short")
    return Body(items=signals, batch=True)


def _strict_json(raw: bytes) -> Any:
    """The parsed body, or ``PayloadError`` saying what makes it not strict UTF-8 JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _shape_error(("body",), f"the body is not UTF-8: {exc.reason} at byte "
                           f"{exc.start}; send JSON encoded as UTF-8", "json_invalid") from None
    if "\x00" in text:
        raise _shape_error(("body",), f"the body holds a NUL byte at {text.index(chr(0))} "
                           "(UTF-16 or UTF-32?); send JSON encoded as UTF-8", "json_invalid")
    if text.startswith("\ufeff"):
        raise _shape_error(("body",), "the body starts with a byte order mark; send UTF-8 "
                           "without one", "json_invalid")
    try:
        doc = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_object)
    except RecursionError:
        raise _shape_error(("body",), f"the JSON nests deeper than {MAX_DEPTH} levels",
                           "json_invalid") from None
    except ValueError as exc:  # JSONDecodeError, NaN, integers of over 4300 digits
        why = str(exc).split("; use sys.", 1)[0]
        raise _shape_error(("body",), f"invalid JSON: {why}", "json_invalid") from None
    _check_tree(doc)
    return doc


def _check_tree(doc: Any) -> None:
    """Refuse nesting beyond ``MAX_DEPTH``, duplicate keys and lone surrogates, at their place."""
    stack: list[tuple[Any, Loc]] = [(doc, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            raise _tree_error(loc, f"the JSON nests deeper than {MAX_DEPTH} levels",
                              "json_invalid")
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise _tree_error(loc, "holds a lone surrogate (an unpaired \\ud800-\\udfff "
                                  "escape); text must be valid Unicode", "string_unicode")
        elif isinstance(value, dict):
            if isinstance(value, _Duplicated):
                raise _tree_error((*loc, _printable(value.duplicates[0])), "this key appears "
                                  "twice in its object; send each key once", "duplicate_key")
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise _tree_error((*loc, _printable(key)), "this key holds a lone "
                                      "surrogate; text must be valid Unicode", "string_unicode")
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, i)) for i, item in enumerate(value))


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _tree_error(loc: Loc, msg: str, kind: str) -> PayloadError:
    index = loc[1] if len(loc) > 1 and loc[0] == "signals" and isinstance(loc[1], int) else None
    return PayloadError("the request body is not strict JSON; nothing was published",
                        [FieldIssue(index, loc or ("body",), msg, kind).as_dict()])


def _shape_error(loc: Loc, msg: str, kind: str) -> PayloadError:
    return PayloadError("the request body is not a signal or a batch of signals",
                        [FieldIssue(None, loc, msg, kind).as_dict()])


def claimed_partners(body: Body) -> dict[int, object]:
    """The ``partner`` each signal document claims, by index (only documents that name one)."""
    return {i: item["partner"] for i, item in enumerate(body.items)
            if isinstance(item, dict) and "partner" in item}


def pseudonymise(doc: Any, pseudonymiser: Pseudonymiser) -> tuple[Any, list[tuple[Loc, str]]]:
    """``doc`` with clear BSNs and patient numbers of its subjects replaced by pseudonyms.

    Returns the new document (``doc`` is not changed) and the problems found, each a location
    relative to the signal and a message; a failed identifier is replaced by a placeholder.
    Subject paths carry the subject type as pydantic's own errors do
    (``subjects.0.person.identifiers.1.value``).
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("subjects"), list):
        return doc, []
    problems: list[tuple[Loc, str]] = []
    subjects: list[Any] = []
    for j, subject in enumerate(doc["subjects"]):
        if not isinstance(subject, dict) or not isinstance(subject.get("identifiers"), list):
            subjects.append(subject)
            continue
        tag = subject.get("type")
        base: Loc = ("subjects", j, *((tag,) if isinstance(tag, str) else ()), "identifiers")
        identifiers: list[Any] = []
        for k, identifier in enumerate(subject["identifiers"]):
            replaced, problem = _pseudonymous(identifier, pseudonymiser)
            identifiers.append(replaced)
            if problem is not None:
                problems.append(((*base, k, problem[0]), problem[1]))
        subjects.append({**subject, "identifiers": identifiers})
    return {**doc, "subjects": subjects}, problems


def _pseudonymous(identifier: Any, pseudonymiser: Pseudonymiser
                  ) -> tuple[Any, tuple[str, str] | None]:
    """The identifier with a clear number replaced, or a placeholder and (field, problem)."""
    if not isinstance(identifier, dict) or identifier.get("scheme") not in (CLEAR_BSN,
                                                                            CLEAR_PATIENT):
        return identifier, None
    value = identifier.get("value")
    if not isinstance(value, str) or not value.strip():
        return dict(_PLACEHOLDER), ("value", "must be a non-empty string")
    rest = {k: v for k, v in identifier.items() if k not in ("scheme", "value", "institution")}
    if identifier["scheme"] == CLEAR_BSN:
        try:
            pseudonym = pseudonymiser.bsn(value)
        except ValueError as exc:
            return dict(_PLACEHOLDER), ("value", str(exc))
        return {**rest, "scheme": "bsn-pseudonym", "value": pseudonym}, None
    institution = identifier.get("institution")
    if not isinstance(institution, str) or not institution.strip():
        return dict(_PLACEHOLDER), ("institution", "required for scheme 'patient-id': the "
                                    "institution that issued the number")
    return {**rest, "scheme": "patient-pseudonym",
            "value": pseudonymiser.patient(institution, value)}, None


def validate(body: Body, pseudonymiser: Pseudonymiser) -> list[Signal]:
    """Every signal of the body, pseudonymised and validated; all or nothing.

    Raises ``PayloadError`` listing every issue of every invalid signal (never its input).
    """
    issues: list[FieldIssue] = []
    signals: list[Signal] = []
    invalid = 0
    for i, item in enumerate(body.items):
        index = i if body.batch else None
        prefix = body.prefix(i)
        doc, problems = pseudonymise(item, pseudonymiser)
        found = [FieldIssue(index, (*prefix, *loc), msg, "value_error") for loc, msg in problems]
        try:
            signal = Signal.model_validate_json(json.dumps(doc))
        except ValidationError as exc:
            found.extend(_issues(exc, index, prefix))
        else:
            signals.append(signal)
        if found:
            invalid += 1
            issues.extend(found)
    if issues:
        raise PayloadError(f"{invalid} of {len(body.items)} signal(s) invalid; nothing was "
                           "published", [issue.as_dict() for issue in issues])
    return signals


def _issues(exc: ValidationError, index: int | None, prefix: Loc) -> list[FieldIssue]:
    return [FieldIssue(index, (*prefix, *error["loc"]),
                       error["msg"].removeprefix("Value error, "), error["type"])
            for error in exc.errors(include_url=False, include_input=False,
                                    include_context=False)]


def deidentify_narratives(signals: list[Signal], deidentifier: Deidentifier
                          ) -> tuple[list[Signal], int]:
    """The signals with their narrative de-identified (everything else as sent), and how many
    narratives changed. A placeholder longer than what it replaces may lengthen a narrative; it
    is cut to the contract's maximum then (at the end: the start is what partners read)."""
    cleaned: list[Signal] = []
    changed = 0
    for signal in signals:
        if signal.narrative:
            text = deidentifier(signal.narrative)
            if text != signal.narrative:
                changed += 1
                if len(text) > NARRATIVE_MAX:
                    text = text[:NARRATIVE_MAX - 1] + "\u2026"
                signal = signal.model_copy(update={"narrative": text})
        cleaned.append(signal)
    return cleaned, changed
