"""Run-time changes to the partner registry, as ``ketenlink partners`` and the scenario runner
make them: each is audited with who made it, then published on ``partners.registry``."""

from __future__ import annotations

from dataclasses import dataclass

from core.audit import AuditLog
from core.kafka_clients import admin_client
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from policy.live import publish_change
from policy.registry import PartnerEntry, Registry
from policy.retention import topic_layout


@dataclass(frozen=True)
class SwitchedOn:
    entry: PartnerEntry
    version: int
    topic_created: bool


def record_change(settings: Settings, partner: str, by: str, action: str,
                  new: PartnerEntry | None) -> int:
    """Audit, then publish, a partner's new entry (None: back to its entry in the file); the
    registry version it becomes."""
    layout = topic_layout(settings.topic_prefix)
    with AuditLog.open(settings) as audit, Publisher(settings.kafka) as publisher:
        audit.record(by, partner, f"registry.{action}",
                     {"entry": None if new is None else new.model_dump(mode="json")}, 1)
        return publish_change(publisher, layout, partner, new)


def switch_on(settings: Settings, registry: Registry, partner: str, by: str) -> SwitchedOn:
    """Switch on ``partner`` (``kind:instance``, not on yet): its entry from its kind's template,
    its delivery topic created before any router can route to it."""
    entry = registry.instance_entry(partner)
    spec = topic_layout(settings.topic_prefix).delivery_spec(partner)
    with admin_client(settings.kafka, "ketenlink-partners") as admin:
        created = bool(apply_topics(admin, [spec]).created)
    version = record_change(settings, partner, by, "enable", entry)
    return SwitchedOn(entry, version, created)
