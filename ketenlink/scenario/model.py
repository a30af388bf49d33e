"""A scenario file (``../shared/scenarios/FORMAT.md``) as typed models: parsed with line marks so
that every error names the line it is about."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ketenlink.scenario.exceptions import ScenarioFileError

ITEM_KINDS = ("one_entity", "distinct", "resend_suppressed", "indicators", "no_indicators", "ring",
              "no_link_through", "apart", "waterbed", "alert", "no_alert_about", "delivered",
              "never_anywhere", "watch_hit", "visible", "hit_only", "revised")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    given: str
    prefix: str | None = None
    family: str
    dob: date | None = None
    nationality: str | None = None
    bsn: str | None = None
    phone: str | None = None
    email: str | None = None
    iban: str | None = None


class Place(_Strict):
    street: str
    number: str
    addition: str | None = None
    postcode: str | None = None
    city: str
    municipality: str = Field(pattern=r"^GM\d{4}$")


class Business(_Strict):
    kvk: str = Field(pattern=r"^\d{8}$")
    name: str
    sbi: str
    legal_form: str | None = None
    at: str
    directors: list[str] = []
    proxies: list[str] = []
    registered: date
    closed: date | None = None


class Thing(_Strict):
    type: Literal["phone", "vehicle", "iban", "email", "website"]
    value: str


class Background(_Strict):
    businesses: int = Field(ge=0, le=1000)
    at: str
    sbi: str
    registered_between: tuple[date, date]


class Signal(BaseModel):
    """One signal; the partner-specific fields stay in ``fields`` (checked by the translation)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str
    partner: str
    date: datetime | date
    revises: str | None = None
    resend_of: str | None = None

    @property
    def fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Scenario(_Strict):
    scenario: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    now: date
    people: dict[str, Person] = {}
    places: dict[str, Place] = {}
    businesses: dict[str, Business] = {}
    things: dict[str, Thing] = {}
    background: list[Background] = []
    signals: list[Signal]
    expect: dict[str, Any]
    lines: dict[str, int] = {}
    """Signal id and ``expect.<item>`` -> the line it starts on (1-based)."""

    def world_ids(self) -> set[str]:
        return {*self.people, *self.places, *self.businesses, *self.things}

    def signal(self, signal_id: str) -> Signal:
        return next(s for s in self.signals if s.id == signal_id)


def load_scenario(path: Path) -> Scenario:
    """Parse and check ``path``; ``ScenarioFileError`` naming the file and line otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(path, 0, f"cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ScenarioFileError(path, line, f"not YAML: {exc.problem}") from None
    if not isinstance(data, dict) or root is None:
        raise ScenarioFileError(path, 1, "expected a mapping with scenario, signals and expect")
    marks = _marks(root)
    data["lines"] = _signal_and_item_lines(root)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = tuple(str(p) for p in first["loc"])
        raise ScenarioFileError(path, _line_of(marks, where),
                                f"{'.'.join(where)}: {first['msg']}") from None
    _check_references(path, scenario, marks)
    return scenario


def _marks(node: yaml.Node, here: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Path -> the 1-based line of every node of the document."""
    out = {here: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out.update(_marks(value, (*here, str(key.value))))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            out.update(_marks(value, (*here, str(i))))
    return out


def _line_of(marks: dict[tuple[str, ...], int], where: tuple[str, ...]) -> int:
    for end in range(len(where), -1, -1):
        if where[:end] in marks:
            return marks[where[:end]]
    return 1


def _signal_and_item_lines(root: yaml.Node) -> dict[str, int]:
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value == "signals" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if k.value == "id":
                            out[str(v.value)] = item.start_mark.line + 1
        if key.value == "expect" and isinstance(value, yaml.MappingNode):
            for k, _v in value.value:
                out[f"expect.{k.value}"] = k.start_mark.line + 1
    return out


def _check_references(path: Path, scenario: Scenario, marks: dict[tuple[str, ...], int]) -> None:
    """Unknown expect items, duplicate signal ids, references to unknown world ids or signals."""
    world = scenario.world_ids()
    seen: set[str] = set()
    for i, signal in enumerate(scenario.signals):
        line = marks.get(("signals", str(i)), 1)
        if signal.id in seen:
            raise ScenarioFileError(path, line, f"signal id {signal.id} appears twice")
        for ref in (signal.revises, signal.resend_of):
            if ref is not None and ref not in seen:
                raise ScenarioFileError(path, line, f"{signal.id} refers to {ref}, which is not an "
                                                    "earlier signal")
        seen.add(signal.id)
    for name in scenario.expect:
        if name not in ITEM_KINDS:
            raise ScenarioFileError(path, marks.get(("expect", name), 1),
                                    f"expect.{name}: unknown item (expected one of "
                                    f"{', '.join(ITEM_KINDS)})")
    for key, business in scenario.businesses.items():
        for ref in (business.at, *business.directors, *business.proxies):
            if ref not in world:
                raise ScenarioFileError(path, marks.get(("businesses", key), 1),
                                        f"businesses.{key}: unknown world id {ref}")
