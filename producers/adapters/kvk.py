"""KvK registration-event export (CSV, producers/FORMATS.md) -> Signal v1.

The adapter reads the whole export first, because some indicators are about the file as a
whole (many businesses at one address, a director of many short-lived businesses), and then
publishes a signal only for events that raise at least one indicator; the rest are skipped
with the reason "no indicator".
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from producers.adapters.base import (
    Parsed,
    RecordError,
    Rejected,
    Result,
    Skipped,
    build_signal,
    drop_none,
    parse_date,
    start_of_day,
)
from producers.adapters.riec import legal_form
from schemas import identifiers as ids
from schemas.indicators import catalogue

COLUMNS = ("mutatie_id", "mutatie_type", "datum", "kvk_nummer", "handelsnaam", "rechtsvorm",
           "sbi_code", "straat", "huisnummer", "toevoeging", "postcode", "plaats", "gemeente",
           "functionaris_voornamen", "functionaris_tussenvoegsel", "functionaris_achternaam",
           "functionaris_geboortedatum", "functionaris_rol")
EVENT_TYPES = ("inschrijving", "adreswijziging", "functionariswijziging", "opheffing")

HIGH_RISK_SBI: dict[str, str] = {
    "9602": "sexual",   # hairdressing and beauty (nail salons)
    "96022": "sexual",  # beauty salons
    "9604": "sexual",   # sauna, solarium, massage
    "96041": "sexual",
    "96042": "sexual",
    "8121": "labour",   # general cleaning
    "8122": "labour",
    "7810": "labour",   # employment placement
    "7820": "labour",   # temporary staffing
    "7830": "labour",
    "4520": "labour",   # car repair, car wash
    "5610": "labour",   # restaurants
    "5630": "labour",   # bars
    "5510": "labour",   # hotels
    "0113": "labour",   # vegetable growing (seasonal work)
    "4939": "labour",   # road passenger transport
}

MANY_AT_ADDRESS = 3
SERIAL_DIRECTOR_BUSINESSES = 3
SERIAL_DIRECTOR_SHORT_LIVED = 2
SHORT_LIVED = timedelta(days=730)
QUICK_SUCCESSION = timedelta(days=183)


@dataclass(frozen=True)
class Event:
    """One valid row of the export."""

    line: int
    row: dict[str, str]
    kind: str
    day: date
    kvk: str
    address_key: tuple[str, str, str] | None
    director_key: tuple[str, str, str] | None


@dataclass
class ExportFacts:
    """What the whole export says about addresses and directors."""

    businesses_at: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    director_of: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    registered: dict[str, date] = field(default_factory=dict)
    closed: dict[str, date] = field(default_factory=dict)
    closures_at: dict[tuple[str, str, str], list[date]] = field(default_factory=lambda: defaultdict(list))

    def add(self, event: Event) -> None:
        if event.address_key:
            self.businesses_at[event.address_key].add(event.kvk)
        if event.director_key:
            self.director_of[event.director_key].add(event.kvk)
        if event.kind == "inschrijving":
            self.registered.setdefault(event.kvk, event.day)
        if event.kind == "opheffing":
            self.closed[event.kvk] = event.day
            if event.address_key:
                self.closures_at[event.address_key].append(event.day)

    def short_lived(self, kvk: str) -> bool:
        start, end = self.registered.get(kvk), self.closed.get(kvk)
        return bool(start and end and end - start <= SHORT_LIVED)


def indicators_for(event: Event, facts: ExportFacts) -> list[str]:
    """The indicator codes an event raises, given what the whole export says."""
    codes = []
    if event.row["sbi_code"].strip().replace(".", "") in HIGH_RISK_SBI:
        codes.append("BUS-HIGH-RISK-SECTOR")
    if event.address_key and len(facts.businesses_at[event.address_key]) >= MANY_AT_ADDRESS:
        codes.append("BUS-MANY-AT-ADDRESS")
    if event.director_key:
        businesses = facts.director_of[event.director_key]
        if len(businesses) >= SERIAL_DIRECTOR_BUSINESSES and \
                sum(facts.short_lived(k) for k in businesses) >= SERIAL_DIRECTOR_SHORT_LIVED:
            codes.append("BUS-SERIAL-DIRECTOR")
    if event.kind == "inschrijving" and event.address_key and any(
            timedelta(0) <= event.day - closed <= QUICK_SUCCESSION
            for closed in facts.closures_at[event.address_key]):
        codes.append("BUS-QUICK-SUCCESSION")
    return codes


def parse_row(line: int, row: dict[str, str]) -> Event:
    """Check one CSV row's structure and keys; the contract checks the rest."""
    missing = [c for c in ("mutatie_id", "mutatie_type", "datum", "kvk_nummer") if not row[c]]
    if missing:
        raise RecordError(f"empty required column(s): {', '.join(missing)}")
    kind = row["mutatie_type"].strip().lower()
    if kind not in EVENT_TYPES:
        raise RecordError(f"mutatie_type: unknown value {row['mutatie_type']!r} "
                          f"(expected one of {', '.join(EVENT_TYPES)})")
    try:
        kvk = ids.kvk_number(row["kvk_nummer"])
    except ValueError as exc:
        raise RecordError(f"kvk_nummer: {exc}") from None
    postcode = row["postcode"].replace(" ", "").upper()
    if postcode:  # checked here too: a row that raises no indicator is otherwise never validated
        try:
            ids.postcode_nl(postcode)
        except ValueError as exc:
            raise RecordError(f"postcode: {exc}") from None
    address_key = (postcode, row["huisnummer"].strip(), row["toevoeging"].strip().upper()) \
        if postcode and row["huisnummer"].strip() else None
    family = row["functionaris_achternaam"].strip().lower()
    director_key = (family, row["functionaris_voornamen"].strip().lower(),
                    row["functionaris_geboortedatum"].strip()) if family else None
    return Event(line, row, kind, parse_date(row["datum"], "datum"), kvk, address_key,
                 director_key)


def kvk_signal(event: Event, codes: list[str]) -> dict[str, Any]:
    """A Signal v1 document for a flagged registration event."""
    row = event.row
    category = "other"
    sector = HIGH_RISK_SBI.get(row["sbi_code"].strip().replace(".", ""))
    if sector:
        category = sector
    address = drop_none({
        "street": row["straat"].strip() or None,
        "house_number": _house_number(row["huisnummer"]),
        "house_number_addition": row["toevoeging"].strip() or None,
        "postcode": row["postcode"].strip() or None,
        "city": row["plaats"].strip() or None,
        "municipality": row["gemeente"].strip() or None,
    })
    business = drop_none({"type": "business", "ref": "b1", "role": "other",
                          "kvk_number": event.kvk,
                          "trade_name": row["handelsnaam"].strip() or None,
                          "legal_form": legal_form(row["rechtsvorm"]),
                          "sbi_code": row["sbi_code"].strip() or None,
                          "address": address or None})
    subjects: list[dict[str, Any]] = [business]
    relations = []
    if address:
        subjects.append({"type": "location", "ref": "l1", "role": "location", "address": address})
        relations.append({"source": "b1", "type": "LOCATED_AT", "target": "l1"})
    if event.director_key:
        role = row["functionaris_rol"].strip().lower()
        birth = row["functionaris_geboortedatum"].strip()
        subjects.append(drop_none({
            "type": "person", "ref": "p1", "role": "owner" if role == "eigenaar" else "director",
            "given_name": row["functionaris_voornamen"].strip() or None,
            "name_prefix": row["functionaris_tussenvoegsel"].strip() or None,
            "family_name": row["functionaris_achternaam"].strip(),
            "birth_date": parse_date(birth, "functionaris_geboortedatum").isoformat()
            if birth else None,
        }))
        relations.append({"source": "p1", "type": "OWNS" if role == "eigenaar" else "DIRECTOR_OF",
                          "target": "b1"})
    stages = sorted({catalogue()[code].stage for code in codes})
    return {
        "partner": "kvk",
        "partner_ref": row["mutatie_id"].strip(),
        "observed_at": start_of_day(event.day),
        "reported_at": start_of_day(event.day),
        "category": category,
        "barrier_stages": stages,
        "indicators": codes,
        "severity": "medium" if len(codes) >= 2 else "low",
        "distribution": "tlp:green",
        "purpose": "administrative",
        "legal_basis": "Handelsregisterwet 2007, art. 51",
        "subjects": subjects,
        "relations": relations,
        "narrative": f"KvK {event.kind} {event.day.isoformat()}",
    }


def _house_number(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value  # a non-number fails in the contract


class KvkAdapter:
    """Reads ``kvk-mutaties.csv``."""

    partner = "kvk"

    def read(self, path: Path) -> Iterator[Result]:
        events: list[Event] = []
        facts = ExportFacts()
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            header = handle.readline()
            columns = next(csv.reader([header], delimiter=";"), [])
            if tuple(c.strip() for c in columns) != COLUMNS:
                yield Rejected(1, f"header must be exactly: {';'.join(COLUMNS)}", header.rstrip())
                return
            # One physical line is one record (the export has no multi-line fields), so a
            # broken quote spoils its own line only, never the lines after it.
            for line, physical in enumerate(handle, start=2):
                raw = physical.rstrip("\r\n")
                if not raw.strip():
                    continue
                try:
                    values = next(csv.reader([raw], delimiter=";", quotechar='"', strict=True))
                except csv.Error as exc:
                    yield Rejected(line, f"broken CSV line: {exc}", raw)
                    continue
                if len(values) != len(COLUMNS):
                    yield Rejected(line, f"expected {len(COLUMNS)} columns, found {len(values)}",
                                   raw)
                    continue
                try:
                    event = parse_row(line, dict(zip(COLUMNS, values, strict=True)))
                except RecordError as exc:
                    yield Rejected(line, str(exc), raw)
                    continue
                events.append(event)
                facts.add(event)
        for event in events:
            codes = indicators_for(event, facts)
            if not codes:
                yield Skipped(event.line, "no indicator")
                continue
            try:
                yield Parsed(event.line, build_signal(kvk_signal(event, codes)))
            except RecordError as exc:
                yield Rejected(event.line, str(exc), ";".join(event.row.values()))
