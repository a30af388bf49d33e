"""The declarative topic spec (infra/topics.yaml) and its idempotent application to a broker."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import structlog
import yaml
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions
from kafka.errors import TopicAlreadyExistsError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from infra.exceptions import TopicSpecError

log = structlog.get_logger(__name__)

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._\-{}]+$")
_PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


class TopicSpec(BaseModel):
    """One topic as it must exist on the broker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    partitions: int = Field(ge=1)
    replication_factor: int = Field(default=1, ge=1)
    retention_ms: int | None = Field(default=None, ge=-1)
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    key: str = ""
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name_chars(cls, value: str) -> str:
        if not _TOPIC_NAME.match(value) or len(value) > 249:
            raise ValueError("topic names use only letters, digits, '.', '_' and '-' (max 249)")
        return value

    def configs(self) -> dict[str, str]:
        """Topic-level configs the spec manages."""
        out: dict[str, str] = {"cleanup.policy": self.cleanup_policy}
        if self.retention_ms is not None:
            out["retention.ms"] = str(self.retention_ms)
        return out


class TopicFile(BaseModel):
    """The shape of infra/topics.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partners: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    defaults: dict[str, Any] = Field(default_factory=dict)
    topics: tuple[dict[str, Any], ...]

    @field_validator("partners", "recipients")
    @classmethod
    def _partner_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for partner in value:
            if not _PARTNER_ID.match(partner):
                raise ValueError(f"partner id {partner!r} must be lower-case letters, digits, '-'")
        return value


@dataclass(frozen=True)
class TopicLayout:
    """The expanded spec: every concrete topic, with an optional name prefix for isolation."""

    partners: tuple[str, ...]
    topics: tuple[TopicSpec, ...]
    prefix: str = ""
    recipients: tuple[str, ...] = ()

    def name(self, logical: str, partner: str | None = None) -> str:
        """The concrete name of a logical topic, e.g. ``name("signals.in.{partner}", "kvk")``
        or ``name("deliveries.{recipient}", "om")``."""
        concrete = logical.format(partner=partner, recipient=partner) if partner else logical
        full = self.prefix + concrete
        if full not in {t.name for t in self.topics}:
            raise TopicSpecError(full, "is not in the topic spec (infra/topics.yaml)")
        return full

    def inbound(self) -> list[str]:
        """The per-partner inbound topics."""
        return [self.name("signals.in.{partner}", p) for p in self.partners]

    def delivery(self, recipient: str) -> str:
        """The delivery topic of one recipient partner."""
        return self.name("deliveries.{recipient}", recipient)


def load_layout(path: Path | None = None, prefix: str = "") -> TopicLayout:
    """Read and expand the topic spec; ``{partner}`` names expand once per inbound partner,
    ``{recipient}`` names once per recipient partner. A ``{partner}`` topic with
    ``retention_from_policy: true`` gets each partner's ``retention.ms`` from the retention
    policy (``policy/retention.yaml``: the partner's ``inbound_days``)."""
    text = path.read_text() if path else \
        resources.files("infra").joinpath("topics.yaml").read_text()
    try:
        spec = TopicFile.model_validate(yaml.safe_load(text))
        topics: list[TopicSpec] = []
        for raw in spec.topics:
            entry = {**spec.defaults, **raw}
            from_policy = entry.pop("retention_from_policy", False)
            name = entry["name"]
            if "{partner}" in name:
                overrides = _partner_overrides(name, from_policy, spec.partners)
                topics.extend(TopicSpec.model_validate(
                    {**entry, **overrides[p], "name": prefix + name.format(partner=p)})
                    for p in spec.partners)
                continue
            if from_policy:
                raise TopicSpecError(name, "retention_from_policy needs a {partner} topic")
            names = [name.format(recipient=r) for r in spec.recipients] \
                if "{recipient}" in name else [name]
            topics.extend(TopicSpec.model_validate({**entry, "name": prefix + n}) for n in names)
    except ValidationError as exc:
        raise TopicSpecError(str(path or "infra/topics.yaml"), f"invalid spec: {exc}") from exc
    _no_duplicates(topics)
    return TopicLayout(partners=spec.partners, topics=tuple(topics), prefix=prefix,
                       recipients=spec.recipients)


def _partner_overrides(name: str, from_policy: object, partners: Sequence[str]
                       ) -> dict[str, dict[str, Any]]:
    """Per partner, what its copy of the ``{partner}`` topic ``name`` takes from the retention
    policy (nothing unless ``retention_from_policy`` is true)."""
    if from_policy is False:
        return {p: {} for p in partners}
    if from_policy is not True:
        raise TopicSpecError(name, f"retention_from_policy must be true or false, not "
                             f"{from_policy!r}")
    from policy.retention import load_retention  # policy builds on schemas: import when needed

    policy = load_retention()
    return {p: {"retention_ms": policy.inbound_retention_ms(p)} for p in partners}


def _no_duplicates(topics: Iterable[TopicSpec]) -> None:
    seen: set[str] = set()
    for topic in topics:
        if topic.name in seen:
            raise TopicSpecError(topic.name, "appears twice in the spec")
        seen.add(topic.name)


@dataclass
class ApplyReport:
    """What applying the spec changed."""

    created: list[str] = field(default_factory=list)
    partitions_added: list[str] = field(default_factory=list)
    reconfigured: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def apply_topics(admin: KafkaAdminClient, topics: Sequence[TopicSpec]) -> ApplyReport:
    """Make the broker match the spec: create missing topics, add partitions, set configs.

    Idempotent: a second run reports every topic unchanged. Kafka cannot remove partitions,
    so a spec asking for fewer than exist is an error, never a silent mismatch.
    """
    report = ApplyReport()
    existing = set(admin.list_topics())
    missing = [t for t in topics if t.name not in existing]
    if missing:
        # A topic created concurrently by another process is fine: reconciled on the next run.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(
                {t.name: {"num_partitions": t.partitions,
                          "replication_factor": t.replication_factor,
                          "configs": t.configs()} for t in missing},
                timeout_ms=30_000,
            )
        admin.wait_for_topics([t.name for t in missing], timeout_ms=30_000)
        report.created.extend(t.name for t in missing)
    present = [t for t in topics if t.name in existing]
    if present:
        _reconcile(admin, present, report)
    log.info("topics.applied", created=len(report.created),
             partitions_added=len(report.partitions_added),
             reconfigured=len(report.reconfigured), unchanged=len(report.unchanged))
    return report


def _reconcile(admin: KafkaAdminClient, topics: Sequence[TopicSpec], report: ApplyReport) -> None:
    described = {d["name"]: d for d in admin.describe_topics([t.name for t in topics])}
    resources_ = [ConfigResource(ConfigResourceType.TOPIC, t.name) for t in topics]
    configs = admin.describe_configs(resources_, config_filter="all")
    topic_configs = _configs_by_topic(configs)
    grow: dict[str, NewPartitions] = {}
    alter: list[ConfigResource] = []
    for spec in topics:
        actual = len(described[spec.name]["partitions"])
        if actual > spec.partitions:
            raise TopicSpecError(spec.name, f"has {actual} partitions but the spec says "
                                 f"{spec.partitions}; Kafka cannot remove partitions, so raise "
                                 "the spec or recreate the topic")
        if actual < spec.partitions:
            grow[spec.name] = NewPartitions(total_count=spec.partitions)
        wanted = spec.configs()
        have = topic_configs.get(spec.name, {})
        diff = {k: v for k, v in wanted.items() if have.get(k) != v}
        if diff:
            alter.append(ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=diff))
        if spec.name in grow:
            report.partitions_added.append(spec.name)
        if diff:
            report.reconfigured.append(spec.name)
        if spec.name not in grow and not diff:
            report.unchanged.append(spec.name)
    if grow:
        admin.create_partitions(grow)
    if alter:
        admin.alter_configs(alter)


def _configs_by_topic(described: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Flatten kafka-python's describe_configs answer into {topic: {key: value}}."""
    by_type = {str(kind).lower(): entries for kind, entries in described.items()}
    return {topic: {key: data["value"] for key, data in entries.items()}
            for topic, entries in by_type.get("topic", {}).items()}
