"""What every adapter yields, and the mapping helpers they share."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from schemas.errors import describe
from schemas.signal import Signal

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class RecordError(ValueError):
    """A native record cannot become a signal; the message names the field and the rule."""


@dataclass(frozen=True)
class Parsed:
    line: int
    signal: Signal


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: str


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


Result = Parsed | Rejected | Skipped


class Adapter(Protocol):
    """Reads one partner's export file."""

    partner: str

    def read(self, path: Path) -> Iterator[Result]: ...


def build_signal(doc: Mapping[str, Any]) -> Signal:
    """Validate a JSON-shaped document as Signal v1 (strict JSON mode, like the gateway)."""
    try:
        return Signal.model_validate_json(json.dumps(doc, default=_json_default))
    except ValidationError as exc:
        raise RecordError(describe(exc)) from exc


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def parse_date(value: object, field: str) -> date:
    if not isinstance(value, str):
        raise RecordError(f"{field}: expected a date YYYY-MM-DD, got {type(value).__name__}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise RecordError(f"{field}: {value!r} is not a date YYYY-MM-DD") from exc


def parse_timestamp(value: object, field: str) -> datetime:
    """An ISO 8601 timestamp; a date alone or a timestamp without offset is read as Dutch time."""
    if not isinstance(value, str):
        raise RecordError(f"{field}: expected an ISO 8601 timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise RecordError(f"{field}: {value!r} is not an ISO 8601 timestamp") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=AMSTERDAM)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=AMSTERDAM)


def text(value: object, field: str) -> str | None:
    """A trimmed string, None when empty; anything but a string or null is an error."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{field}: expected text, got {type(value).__name__}")
    return value.strip() or None


def dutch_address(raw: object, field: str) -> dict[str, Any] | None:
    """A partner's ``adres`` object (straat, huisnummer, toevoeging, postcode, plaats, gemeente,
    land) as a Signal v1 address."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RecordError(f"{field}: expected an object")
    number = raw.get("huisnummer")
    if isinstance(number, str) and number.strip().isdigit():
        number = int(number)
    if number is not None and not isinstance(number, int):
        raise RecordError(f"{field}.huisnummer: expected a whole number, got {number!r}")
    address = {
        "street": text(raw.get("straat"), f"{field}.straat"),
        "house_number": number,
        "house_number_addition": text(raw.get("toevoeging"), f"{field}.toevoeging"),
        "postcode": text(raw.get("postcode"), f"{field}.postcode"),
        "city": text(raw.get("plaats"), f"{field}.plaats"),
        "municipality": text(raw.get("gemeente"), f"{field}.gemeente"),
        "country": text(raw.get("land"), f"{field}.land") or "NL",
    }
    return {k: v for k, v in address.items() if v is not None}


def record_and_ref(doc: object, field: str) -> tuple[dict[str, Any], str]:
    """A native record as a JSON object, and its required reference ``field``."""
    if not isinstance(doc, dict):
        raise RecordError(f"expected a JSON object, got {type(doc).__name__}")
    ref = text(doc.get(field), field)
    if ref is None:
        raise RecordError(f"{field}: missing")
    return doc, ref


def drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


UNDERAGE = "SIT-UNDERAGE"
"""A minor, or (in sexual exploitation) a person under 21: sex work is allowed from 21 (Wet
regulering prostitutie); ``minor`` and ``under_21_sex_work`` are one code in the catalogue."""
EXPLOITED_ROLES = frozenset({"victim", "employee"})
"""Roles whose age is an indicator: a possible victim, a worker found at work."""


def age_on(birth: date, day: date) -> int:
    """Whole years between ``birth`` and ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_indicators(subjects: list[dict[str, Any]], observed_at: datetime,
                   category: str) -> list[str]:
    """``[UNDERAGE]`` when a victim or worker with a birth date is under 18 at the observation
    date, or under 21 in sexual exploitation; else ``[]``."""
    limit = 21 if category == "sexual" else 18
    for subject in subjects:
        birth = subject.get("birth_date")
        if subject.get("type") == "person" and subject.get("role") in EXPLOITED_ROLES and birth \
                and age_on(date.fromisoformat(str(birth)), observed_at.date()) < limit:
            return [UNDERAGE]
    return []
