"""From request bytes to Signal v1: bounded reading, the body's shape, pseudonymisation of clear
identifiers, and validation with field-level issues. Nothing here touches Kafka or the network.

Clear identifiers a partner may send and what they become before validation:

- ``{"scheme": "bsn", "value": "<BSN>"}`` -> ``{"scheme": "bsn-pseudonym", "value": "ps1:..."}``
  (the BSN must pass the elfproef);
- ``{"scheme": "patient-id", "value": "<number>", "institution": "<issuer>"}`` ->
  ``{"scheme": "patient-pseudonym", "value": "ps1:..."}``, scoped to the institution exactly as
  the zorg file adapter does, so both routes give the same pseudonym.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from producers.exceptions import BodyTooLargeError, PayloadError
from producers.pseudonym import PREFIX, Pseudonymiser
from schemas.signal import Signal

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


def parse_body(raw: bytes, max_batch: int) -> Body:
    """One signal object, or ``{"signals": [...]}`` with 1 to ``max_batch`` of them."""
    try:
        doc = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise _shape_error(("body",), f"invalid JSON: {exc}", "json_invalid") from None
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
