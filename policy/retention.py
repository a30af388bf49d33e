"""Retention of signals per source partner and purpose (``policy/retention.yaml``), and the one
pure decision the graph purge applies: is this signal expired at time T?

A rule gives a number of days; a signal lives while ``now < start + days``, ``start`` being its
``reported_at`` (or ``observed_at``, per the file's ``counted_from``). A signal that is evidence
of an alert has no expiry: it is kept while the alert exists. Each partner's rule also gives the
Kafka retention of its inbound topic (``inbound_days``), which ``core/topics.py`` applies; it
may not exceed any graph retention of that partner, so a raw record never outlives the signal
made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.partner_ids import partner_kind
from core.topics import TopicLayout, load_layout
from policy.exceptions import RetentionPolicyError
from schemas.signal import Purpose

DAY_MS = 86_400_000
"""Milliseconds per day (Kafka's ``retention.ms``)."""


class PartnerRetention(BaseModel):
    """How long one partner's signals live: ``days`` unless its purpose has its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inbound_days: int = Field(ge=1)
    days: int = Field(ge=1)
    purposes: dict[Purpose, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _inbound_within_graph(self) -> PartnerRetention:
        for purpose, days in self.purposes.items():
            if days < 1:
                raise ValueError(f"purpose {purpose.value}: days must be at least 1")
        shortest = min([self.days, *self.purposes.values()])
        if self.inbound_days > shortest:
            raise ValueError(f"inbound_days {self.inbound_days} exceeds the shortest graph "
                             f"retention ({shortest} days): a raw record would outlive its signal")
        return self

    def days_for(self, purpose: str) -> int:
        """The days a signal of ``purpose`` lives (the partner's ``days`` when not listed)."""
        for listed, days in self.purposes.items():
            if listed.value == purpose:
                return days
        return self.days


class RetentionPolicy(BaseModel):
    """The whole policy file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    counted_from: Literal["reported_at", "observed_at"] = "reported_at"
    default: PartnerRetention
    partners: dict[str, PartnerRetention] = Field(default_factory=dict)

    def rule(self, partner: str) -> PartnerRetention:
        """The partner's rule, else its kind's (``riec`` for ``riec:rotterdam``), else the
        default."""
        return self.partners.get(partner) or self.partners.get(partner_kind(partner),
                                                               self.default)

    def inbound_retention_ms(self, partner: str) -> int:
        """Kafka ``retention.ms`` of the partner's inbound topic."""
        return self.rule(partner).inbound_days * DAY_MS

    def shortest_days(self) -> int:
        """The shortest graph retention of any rule: nothing younger can be expired."""
        rules = [self.default, *self.partners.values()]
        return min(days for r in rules for days in [r.days, *r.purposes.values()])


@dataclass(frozen=True)
class SignalFacts:
    """What the decision needs to know about one signal."""

    partner: str
    purpose: str
    observed_at: datetime
    reported_at: datetime
    linked_to_alert: bool = False


def expires_at(policy: RetentionPolicy, signal: SignalFacts) -> datetime | None:
    """When ``signal`` expires; ``None`` while it is evidence of an alert (kept with it)."""
    if signal.linked_to_alert:
        return None
    start = signal.reported_at if policy.counted_from == "reported_at" else signal.observed_at
    if start.tzinfo is None:
        raise ValueError(f"{policy.counted_from} must carry a time zone")
    return start + timedelta(days=policy.rule(signal.partner).days_for(signal.purpose))


def is_expired(policy: RetentionPolicy, signal: SignalFacts, now: datetime) -> bool:
    """Whether ``signal`` has expired at ``now`` (expiry instant included)."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    end = expires_at(policy, signal)
    return end is not None and now >= end


def load_retention(path: Path | None = None) -> RetentionPolicy:
    """Read and check the policy file (default: the shipped ``policy/retention.yaml``)."""
    where = str(path or "policy/retention.yaml")
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("policy").joinpath("retention.yaml").read_text(encoding="utf-8")
    try:
        return RetentionPolicy.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise RetentionPolicyError(where, f"not YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}"
                             for e in exc.errors())
        raise RetentionPolicyError(where, problems) from exc


def topic_layout(prefix: str = "", policy: RetentionPolicy | None = None) -> TopicLayout:
    """The full topic layout, each partner's inbound topic with its retention from ``policy``
    (default: the shipped retention policy): the layout to apply to a broker."""
    return load_layout(prefix=prefix, retention=policy or load_retention())
