"""The declarative topic spec (core/topics.yaml) and its idempotent application to a broker."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import structlog
import yaml
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions
from kafka.errors import KafkaError, TopicAlreadyExistsError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.exceptions import TopicSpecError
from core.partner_ids import is_partner_id, partner_kind, topic_segment
from core.settings import Settings

log = structlog.get_logger(__name__)

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._\-{}]+$")
DAY_MS = 86_400_000
SEGMENT_CAP_MS = DAY_MS
"""Kafka deletes and compacts whole closed segments only: a record can outlive its topic's
``retention.ms`` by up to ``segment.ms`` (7 days by default), and a compacted value or a
tombstone's predecessor stays while its segment is active. Every topic with a retention or
compaction rolls its segments at least daily, so what must go is gone within about a day."""


def derived_segment_ms(retention_ms: int | None, cleanup_policy: str) -> int | None:
    """``segment.ms`` for a topic that does not set it: at most a day, never longer than its
    retention; ``None`` (the broker's default) for a topic kept forever and not compacted."""
    if retention_ms is not None and retention_ms > 0:
        return min(retention_ms, SEGMENT_CAP_MS)
    if "compact" in cleanup_policy:
        return SEGMENT_CAP_MS
    return None


class TopicSpec(BaseModel):
    """One topic as it must exist on the broker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    partitions: int = Field(ge=1)
    replication_factor: int = Field(default=1, ge=1)
    """At least this; a cluster whose brokers default to more raises it (``apply_topics``)."""
    min_insync_replicas: int | None = Field(default=None, ge=1)
    """Unset: the broker's, but at least 2 where the replication factor is 3 or more."""
    retention_ms: int | None = Field(default=None, ge=-1)
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    segment_ms: int | None = Field(default=None, ge=1)
    """Unset: ``derived_segment_ms`` (at most a day for a topic with retention or compaction)."""
    max_compaction_lag_ms: int | None = Field(default=None, ge=1)
    """Unset: a day on a compacted topic, so a superseded value or a tombstoned key's value is
    compacted away within about a day even when the log is barely dirty."""
    key: str = ""
    description: str = ""
    retention_from_policy: bool = False
    """True while the retention policy has not filled in ``retention_ms`` (a layout loaded only
    to name topics); such a spec is never applied to a broker."""

    @model_validator(mode="before")
    @classmethod
    def _derive_segments(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        policy = str(data.get("cleanup_policy", "delete"))
        out = dict(data)
        if out.get("segment_ms") is None:
            out["segment_ms"] = derived_segment_ms(out.get("retention_ms"), policy)
        if out.get("max_compaction_lag_ms") is None and "compact" in policy:
            out["max_compaction_lag_ms"] = SEGMENT_CAP_MS
        return out

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
        if self.segment_ms is not None:
            out["segment.ms"] = str(self.segment_ms)
        if self.max_compaction_lag_ms is not None:
            out["max.compaction.lag.ms"] = str(self.max_compaction_lag_ms)
        if self.min_insync_replicas is not None:
            out["min.insync.replicas"] = str(self.min_insync_replicas)
        return out

    def on_cluster(self, policy: Replication) -> TopicSpec:
        """This topic as it is created on a cluster with ``policy``: replication factor raised
        to the cluster's default, and ``min.insync.replicas`` set wherever it replicates."""
        factor = max(self.replication_factor, policy.factor)
        if factor == 1:
            return self
        min_isr = self.min_insync_replicas or max(policy.min_insync_replicas,
                                                  min(2, factor - 1))
        return self.model_copy(update={"replication_factor": factor,
                                       "min_insync_replicas": min_isr})


@dataclass(frozen=True)
class Replication:
    """A cluster's replication policy: its brokers' ``default.replication.factor`` and
    ``min.insync.replicas``."""

    factor: int
    min_insync_replicas: int

    @classmethod
    def for_brokers(cls, brokers: int) -> Replication:
        """What the local stack configures for ``brokers`` nodes: replication factor 3 and
        min.insync.replicas 2 from three brokers on, so that one broker can fail without losing
        an acknowledged write or refusing ``acks=all`` producers."""
        factor = min(brokers, 3)
        return cls(factor=factor, min_insync_replicas=max(1, factor - 1))


class TopicFile(BaseModel):
    """The shape of core/topics.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partners: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    defaults: dict[str, Any] = Field(default_factory=dict)
    topics: tuple[dict[str, Any], ...]

    @field_validator("partners", "recipients")
    @classmethod
    def _partner_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for partner in value:
            if not is_partner_id(partner):
                raise ValueError(f"partner id {partner!r} must be a kind (lower-case letters, "
                                 f"digits, '-') or kind:instance")
        return value

    @field_validator("partners")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        instances = [p for p in value if partner_kind(p) != p]
        if instances:
            raise ValueError(f"inbound topics are per kind of partner, not {instances}")
        return value


@dataclass(frozen=True)
class TopicLayout:
    """The expanded spec: every concrete topic, with an optional name prefix for isolation."""

    partners: tuple[str, ...]
    """The kinds of partner with an inbound topic (``signals.in.<kind>``)."""
    topics: tuple[TopicSpec, ...]
    prefix: str = ""
    recipients: tuple[str, ...] = ()
    """Partners whose delivery topic the spec creates; a partner switched on later
    (``ketenlink partners enable``) gets one from ``delivery_spec``."""
    delivery_template: TopicSpec | None = None

    def name(self, logical: str, partner: str | None = None) -> str:
        """The concrete name of a logical topic, e.g. ``name("signals.in.{partner}", "kvk")``
        or ``name("deliveries.{recipient}", "riec:rotterdam")``."""
        concrete = logical.format(partner=partner, recipient=topic_segment(partner)) \
            if partner else logical
        full = self.prefix + concrete
        if full not in {t.name for t in self.topics}:
            raise TopicSpecError(full, "is not in the topic spec (core/topics.yaml)")
        return full

    @property
    def rejected(self) -> str:
        """Records parked with their reason."""
        return self.name("signals.rejected")

    @property
    def normalised(self) -> str:
        """Validated, deduplicated signals (the worker's intake output)."""
        return self.name("signals.normalised")

    @property
    def resolved(self) -> str:
        """Signals with their subjects resolved to entities (the worker's output)."""
        return self.name("signals.resolved")

    @property
    def merges(self) -> str:
        """Entity merges the resolver decided."""
        return self.name("entities.merges")

    @property
    def judgements(self) -> str:
        """Analysts' merge decisions, for the resolver."""
        return self.name("resolver.judgements")

    @property
    def dead_letters(self) -> str:
        """Deliveries a partner's webhook never accepted."""
        return self.name("deliveries.dead")

    @property
    def registry(self) -> str:
        """The partner registry's versions."""
        return self.name("partners.registry")

    @property
    def suppressions(self) -> str:
        """Erased and purged signals and persons."""
        return self.name("suppressions")

    @property
    def alert_proposals(self) -> str:
        """Alerts the engine proposes for review."""
        return self.name("alerts.om.proposed")

    @property
    def alerts_released(self) -> str:
        """Alerts an analyst released to the public prosecutor."""
        return self.name("alerts.om")

    @property
    def audit_log(self) -> str:
        """The tamper-evident audit log."""
        return self.name("audit.log")

    def inbound_of(self, partner: str) -> str:
        """The inbound topic a partner publishes on: its kind's (``riec:rotterdam`` →
        ``signals.in.riec``)."""
        return self.name("signals.in.{partner}", partner_kind(partner))

    def inbound(self) -> list[str]:
        """The per-kind inbound topics."""
        return [self.name("signals.in.{partner}", p) for p in self.partners]

    def kind_of_inbound(self, topic: str) -> str:
        """The kind of partner that publishes on inbound ``topic``."""
        for kind in self.partners:
            if self.inbound_of(kind) == topic:
                return kind
        raise TopicSpecError(topic, "is not an inbound topic of the spec")

    def delivery(self, recipient: str) -> str:
        """The delivery topic of one recipient partner (``deliveries.riec.rotterdam``)."""
        return self.delivery_spec(recipient).name

    def delivery_spec(self, recipient: str) -> TopicSpec:
        """The delivery topic of ``recipient`` as it must exist: the spec's own for a listed
        recipient, else the ``deliveries.{recipient}`` template filled in (a partner switched
        on at run time)."""
        if not is_partner_id(recipient):
            raise TopicSpecError(recipient, "is not a partner id")
        name = self.prefix + "deliveries." + topic_segment(recipient)
        for topic in self.topics:
            if topic.name == name:
                return topic
        if self.delivery_template is None:
            raise TopicSpecError(name, "is not in the topic spec (core/topics.yaml)")
        return self.delivery_template.model_copy(update={"name": name})


class InboundRetention(Protocol):
    """Where a partner's inbound topic takes its ``retention.ms`` from (the retention policy,
    ``policy.retention.RetentionPolicy``)."""

    def inbound_retention_ms(self, partner: str) -> int: ...


def load_layout(path: Path | None = None, prefix: str = "",
                retention: InboundRetention | None = None) -> TopicLayout:
    """Read and expand the topic spec; ``{partner}`` names expand once per inbound partner,
    ``{recipient}`` names once per recipient partner. A ``{partner}`` topic with
    ``retention_from_policy: true`` gets each partner's ``retention.ms`` from ``retention``;
    without one its specs are marked ``retention_from_policy`` and name topics only:
    ``apply_topics`` refuses them (``policy.retention.topic_layout`` builds the full layout)."""
    text = path.read_text() if path else \
        resources.files("core").joinpath("topics.yaml").read_text()
    try:
        spec = TopicFile.model_validate(yaml.safe_load(text))
        topics: list[TopicSpec] = []
        template: TopicSpec | None = None
        for raw in spec.topics:
            entry = {**spec.defaults, **raw}
            from_policy = entry.pop("retention_from_policy", False)
            name = entry["name"]
            if "{partner}" in name:
                overrides = _partner_overrides(name, from_policy, spec.partners, retention)
                topics.extend(TopicSpec.model_validate(
                    {**entry, **overrides[p], "name": prefix + name.format(partner=p)})
                    for p in spec.partners)
                continue
            if from_policy:
                raise TopicSpecError(name, "retention_from_policy needs a {partner} topic")
            if "{recipient}" in name:
                template = TopicSpec.model_validate(
                    {**entry, "name": prefix + name.format(recipient="template")})
            names = [name.format(recipient=topic_segment(r)) for r in spec.recipients] \
                if "{recipient}" in name else [name]
            topics.extend(TopicSpec.model_validate({**entry, "name": prefix + n}) for n in names)
    except ValidationError as exc:
        raise TopicSpecError(str(path or "core/topics.yaml"), f"invalid spec: {exc}") from exc
    _no_duplicates(topics)
    return TopicLayout(partners=spec.partners, topics=tuple(topics), prefix=prefix,
                       recipients=spec.recipients, delivery_template=template)


def topics_of(settings: Settings) -> TopicLayout:
    """The layout of this installation's topics (``settings.topic_prefix``), read once per
    prefix: the handles every service names its topics by."""
    return _layout_with_prefix(settings.topic_prefix)


@functools.cache
def _layout_with_prefix(prefix: str) -> TopicLayout:
    return load_layout(prefix=prefix)


def _partner_overrides(name: str, from_policy: object, partners: Sequence[str],
                       retention: InboundRetention | None) -> dict[str, dict[str, Any]]:
    """Per partner, what its copy of the ``{partner}`` topic ``name`` takes from the retention
    policy (nothing unless ``retention_from_policy`` is true)."""
    if from_policy is False:
        return {p: {} for p in partners}
    if from_policy is not True:
        raise TopicSpecError(name, f"retention_from_policy must be true or false, not "
                             f"{from_policy!r}")
    if retention is None:
        return {p: {"retention_from_policy": True} for p in partners}
    return {p: {"retention_ms": retention.inbound_retention_ms(p)} for p in partners}


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
    so a spec asking for fewer than exist is an error, never a silent mismatch. On a cluster
    every topic gets at least the brokers' replication factor and, where it replicates,
    ``min.insync.replicas`` (``TopicSpec.on_cluster``). A spec still waiting for its retention
    from the retention policy (``retention_from_policy``) is refused before anything changes.
    """
    for topic in topics:
        if topic.retention_from_policy:
            raise TopicSpecError(topic.name, "takes its retention from the retention policy: "
                                 "build the layout with policy.retention.topic_layout")
    policy = cluster_replication(admin)
    topics = [t.on_cluster(policy) for t in topics]
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


def cluster_replication(admin: KafkaAdminClient) -> Replication:
    """The cluster's replication policy, from a broker's configuration (so the same whichever
    brokers are up); from the number of live brokers when that cannot be read."""
    brokers = [b["broker_id"] for b in admin.describe_cluster()["brokers"]
               if not b.get("is_fenced")]
    node = str(min(brokers))
    wanted = {"default.replication.factor": None, "min.insync.replicas": None}
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, node, configs=wanted)],
            config_filter="all")
        values = {key: int(data["value"])
                  for key, data in _configs_by_type(described, "broker")[node].items()}
        return Replication(factor=values["default.replication.factor"],
                           min_insync_replicas=values["min.insync.replicas"])
    except (KafkaError, KeyError, ValueError) as exc:
        log.warning("topics.broker_config_unreadable", broker=node, error=repr(exc),
                    live_brokers=len(brokers))
        return Replication.for_brokers(len(brokers))


def _reconcile(admin: KafkaAdminClient, topics: Sequence[TopicSpec], report: ApplyReport) -> None:
    described = {d["name"]: d for d in admin.describe_topics([t.name for t in topics])}
    resources_ = [ConfigResource(ConfigResourceType.TOPIC, t.name) for t in topics]
    configs = admin.describe_configs(resources_, config_filter="all")
    topic_configs = _configs_by_topic(configs)
    grow: dict[str, NewPartitions] = {}
    alter: list[ConfigResource] = []
    for spec in topics:
        partitions = described[spec.name]["partitions"]
        actual = len(partitions)
        replicas = min((len(p["replica_nodes"]) for p in partitions),
                       default=spec.replication_factor)
        if replicas < spec.replication_factor:  # raising it takes a partition reassignment
            log.warning("topics.under_replicated", topic=spec.name, replication_factor=replicas,
                        wanted=spec.replication_factor)
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
    return {topic: {key: data["value"] for key, data in entries.items()}
            for topic, entries in _configs_by_type(described, "topic").items()}


def _configs_by_type(described: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """kafka-python's describe_configs answer for one resource type (``topic``, ``broker``)."""
    by_type = {str(k).lower(): entries for k, entries in described.items()}
    return dict(by_type.get(kind, {}))
