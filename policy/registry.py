"""The partner registry: who each chain partner is on the platform, as data.

An entry holds the partner's clearance (distributions, purposes), its roles, the kind of source
it is (anonymous tips and healthcare carry details only cleared partners may read), its
subscriptions and, for partners without a Kafka client, its webhook. ``policy/partners.yaml`` is
the seed; run-time changes are full entries on the compacted topic ``partners.registry``
(``policy.live``), so every router sees the same registry without a restart.

A subscription is a conjunction of filters; a partner receives a signal it may see when any of
its subscriptions matches (``streams.recipients``). An empty filter does not constrain.

Partners of which the chain has many (the ten RIECs, the municipalities, care providers) are
``kind:instance`` (``riec:rotterdam``, ``gemeente:GM0599``, ``zorg:ggd-rotterdam``). Their entry
follows from the kind's template (``kinds:`` in the file) with ``{instance}``, ``{region}`` and
``{municipality}`` filled in; ``instances:`` lists those on from the start, and
``ketenlink partners enable`` switches on another (a municipality joining the covenant).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.partner_ids import partner_instance, partner_kind
from policy.clearance import Clearance
from policy.exceptions import ClearanceError, UnknownPartnerError
from schemas.indicators import catalogue
from schemas.municipalities import municipalities, regions
from schemas.regions import municipality_code, region_by_slug
from schemas.signal import BarrierStage, Category, PartnerId
from schemas.subjects import Role

_ENTRY = ConfigDict(frozen=True, extra="forbid")
SourceKind = Literal["registry", "enforcement", "healthcare", "anonymous-tips", "municipality",
                     "prosecution", "labour-inspection", "probation"]
SENSITIVE_SOURCES: frozenset[str] = frozenset({"healthcare", "anonymous-tips"})
"""Sources whose free text and identifiers only cleared enforcement partners read
(``policy.view``)."""


class Subscription(BaseModel):
    """One standing question of a partner: all given filters must hold (lists: any of)."""

    model_config = _ENTRY

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-_.]{0,62}$")]
    municipalities: tuple[str, ...] = Field(
        default=(), description="Municipalities of a location subject: CBS codes (GM0758), "
                                "names (Breda) or platform codes (NL:breda).")
    regions: tuple[str, ...] = Field(default=(), description="RIEC region codes (ZWB, RR, ...).")
    categories: tuple[Category, ...] = ()
    barrier_stages: tuple[BarrierStage, ...] = ()
    indicators: tuple[str, ...] = ()
    subject_roles: tuple[Role, ...] = Field(
        default=(), description="A subject of the signal has one of these roles (e.g. victim).")
    min_risk: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Some entity of the signal has at least this risk score.")
    watchlist: tuple[str, ...] = Field(default=(), description="Entity ids (P-…, B-…).")
    own_entities: bool = Field(
        default=False, description="The signal mentions an entity one of my own signals "
                                   "mentioned before.")

    @field_validator("municipalities")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_platform_code(v) for v in value)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(regions()))
        if unknown:
            raise ValueError(f"unknown region(s) {unknown}; known: {sorted(regions())}")
        return value

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(catalogue()))
        if unknown:
            raise ValueError(f"unknown indicator code(s) {unknown}; see schemas/indicators.yaml")
        return value


class Webhook(BaseModel):
    """Where ``ketenlink deliver`` POSTs the partner's deliveries. HTTPS, or plain HTTP on a
    loopback address (tests, a local relay)."""

    model_config = _ENTRY

    url: Annotated[str, Field(max_length=2000)]
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 8

    @field_validator("url")
    @classmethod
    def _https_or_loopback(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("a webhook url is https://host/path")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("plain http is allowed on loopback only; use https")
        return value


class PartnerEntry(BaseModel):
    """One partner's registry entry."""

    model_config = _ENTRY

    partner_id: PartnerId
    source: SourceKind
    distributions: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PartnerEntry:
        try:
            self.clearance()
        except ClearanceError as exc:
            raise ValueError(exc.problem) from exc
        names = [s.name for s in self.subscriptions]
        if len(set(names)) != len(names):
            raise ValueError("two subscriptions have the same name")
        if self.subscriptions and "subscriber" not in self.roles:
            raise ValueError("subscriptions need the 'subscriber' role")
        return self

    def clearance(self) -> Clearance:
        return Clearance(self.partner_id, frozenset(self.distributions),
                         frozenset(self.purposes), frozenset(self.roles))


@dataclass(frozen=True)
class Registry:
    """Every partner's entry at one ``version`` (0: the file; else the offset of the last
    run-time change applied + 1), and the templates of the kinds with instances."""

    entries: Mapping[str, PartnerEntry]
    version: int = 0
    kinds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    clearances: Mapping[str, Clearance] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clearances",
                           {p: e.clearance() for p, e in self.entries.items()})

    def entry(self, partner: str) -> PartnerEntry:
        if partner not in self.entries:
            raise UnknownPartnerError(partner, tuple(sorted(self.entries)))
        return self.entries[partner]

    def with_entry(self, entry: PartnerEntry, version: int) -> Registry:
        return Registry({**self.entries, entry.partner_id: entry}, version, self.kinds)

    def without(self, partner: str, seed: Registry, version: int) -> Registry:
        """The registry with ``partner`` back to its seed entry (gone when the seed lacks it)."""
        entries = {k: v for k, v in self.entries.items() if k != partner}
        if partner in seed.entries:
            entries[partner] = seed.entries[partner]
        return Registry(entries, version, self.kinds)

    def instance_entry(self, partner: str) -> PartnerEntry:
        """The entry ``partner`` (``kind:instance``) gets from its kind's template."""
        kind, instance = partner_kind(partner), partner_instance(partner)
        if instance is None or kind not in self.kinds:
            raise ClearanceError("partner id", f"{partner}: only a kind:instance partner of "
                                 f"{sorted(self.kinds)} follows from a template")
        return parse_entry(partner, _fill(self.kinds[kind], _placeholders(kind, instance)),
                           f"template {kind}")


def parse_entry(partner: str, doc: Any, where: str = "partner entry") -> PartnerEntry:
    """A registry entry from its JSON/YAML form; ``ClearanceError`` names what is wrong."""
    if not isinstance(doc, dict):
        raise ClearanceError(where, f"{partner}: expected a mapping")
    try:
        return PartnerEntry.model_validate({**doc, "partner_id": partner})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'entry'}: {e['msg']}"
                             for e in exc.errors())
        raise ClearanceError(where, f"{partner}: {problems}") from exc


def load_registry(path: Path | None = None) -> Registry:
    """Read the partner file (default: the shipped ``policy/partners.yaml``): ``partners``
    (entries as written), ``kinds`` (templates) and ``instances`` (kind -> the instances on
    from the start, each filled in from its kind's template)."""
    where = str(path or "policy/partners.yaml")
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("policy").joinpath("partners.yaml").read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ClearanceError(where, f"not YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("partners"), dict):
        raise ClearanceError(where, "expected a mapping 'partners: {<partner id>: ...}'")
    kinds, instances = doc.get("kinds") or {}, doc.get("instances") or {}
    if not isinstance(kinds, dict) or not isinstance(instances, dict):
        raise ClearanceError(where, "'kinds' and 'instances' are mappings by kind")
    bare = Registry({str(p): parse_entry(str(p), e, where) for p, e in doc["partners"].items()},
                    kinds={str(k): t for k, t in kinds.items()})
    entries = dict(bare.entries)
    for kind, names in instances.items():
        if kind not in kinds or not isinstance(names, list):
            raise ClearanceError(where, f"instances of {kind!r}: a list, of a kind in 'kinds'")
        for name in names:
            entries[f"{kind}:{name}"] = bare.instance_entry(f"{kind}:{name}")
    return Registry(entries, kinds=bare.kinds)


def _placeholders(kind: str, instance: str) -> dict[str, str]:
    """What a template's ``{instance}``, ``{region}`` and ``{municipality}`` stand for: a RIEC's
    instance is its region's slug, a municipality's its CBS code."""
    values = {"instance": instance}
    if kind == "riec":
        region = region_by_slug(instance)
        if region is None:
            raise ClearanceError("partner id", f"riec:{instance}: no RIEC region {instance!r}")
        values["region"] = region
    if kind == "gemeente":
        municipality = municipalities().get(instance)
        if municipality is None:
            raise ClearanceError("partner id", f"gemeente:{instance}: not a CBS municipality "
                                               f"code of schemas/municipalities.csv")
        values |= {"municipality": instance, "region": municipality.region}
    return values


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    """``template`` with every ``{name}`` in its strings replaced."""
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, list):
        return [_fill(t, values) for t in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _platform_code(municipality: str) -> str:
    """A municipality as the graph names it (``NL:rotterdam``), from a CBS code, a name or the
    platform code itself."""
    if ":" in municipality:
        return municipality
    known = municipalities().get(municipality)
    return known.platform_code if known else municipality_code(municipality)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_clearances(path: Path | None = None) -> dict[str, Clearance]:
    """Every partner's clearance from the partner file (default: ``policy/partners.yaml``)."""
    return dict(load_registry(path).clearances)


def clearance_for(partner: str, clearances: Mapping[str, Clearance] | None = None) -> Clearance:
    """The clearance of one partner (from ``clearances`` or the default file)."""
    known = clearances if clearances is not None else load_clearances()
    if partner not in known:
        raise UnknownPartnerError(partner, tuple(sorted(known)))
    return known[partner]
