"""What of a signal a partner may see, field by field: ``visible_fields`` is the one decision.

It builds on ``may_see`` (the signal as a whole): a partner that may not see the signal gets no
field at all. Of a visible signal, every field is shown except what a sensitive source (healthcare,
anonymous tips) confides only to *cleared enforcement partners* — those whose clearance includes
``amber+strict``:

==================  ===================================================================
field               shown to
==================  ===================================================================
``core``            anyone who may see the signal (ids, times, category, stages,
                    indicators, severity, distribution, purpose, legal basis)
``subjects``        anyone who may see the signal (names, addresses, numbers, roles)
``relations``       anyone who may see the signal
``narrative``       anyone, unless the source is sensitive: then cleared partners only
``identifiers``     passports, id cards, V-numbers and BSN pseudonyms: amber clearance or
                    more; from a sensitive source: cleared partners only. Patient pseudonyms:
                    partners cleared for the ``care`` purpose only
``partner_ref``     anyone, unless the source is anonymous tips: then nobody (a tip's case
                    number must not lead back to its reporter)
==================  ===================================================================

The publisher always sees all of its own signal. Delivery (``streams.recipients``), graph queries,
the explorer and alerts call this module or ``may_see`` under it; none decides on its own.

A signal in the graph is a flat record (a ``Signal`` node's properties). ``GRAPH_KEYS`` names the
field of the table each property belongs to (``partner_id`` and ``revision`` are core); a
property it does not name (``corroborated_by``: it names partners whose signals the caller may
not see) is the platform's bookkeeping and never shown. Every answer that shows a signal's
properties cuts the record with ``record_view`` (``visible_fields`` for the caller's clearance and
the publisher's source kind, ``source_of``); an answer that only aggregates core fields of
visible signals (links, profiles, rings) needs no cut, because ``visible_fields`` holds ``core``
whenever ``may_see`` allows the signal. ``shared_fields`` is what any partner other than the
publisher may ever see: the graph, shared by every analyst, keeps nothing else (``storable``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policy.clearance import DISTRIBUTIONS, PUBLISHER_ONLY, PURPOSES, Clearance, may_see
from policy.registry import SENSITIVE_SOURCES, Registry

CLEARED_LEVEL = "amber+strict"
"""A partner cleared for this level is a cleared enforcement partner."""
FIELDS: tuple[str, ...] = ("core", "subjects", "relations", "narrative", "identifiers",
                           "patient_pseudonyms", "partner_ref")
ALWAYS: frozenset[str] = frozenset({"core", "subjects", "relations"})
DOCUMENT_LEVELS = frozenset({"amber", "amber+strict"})
"""Clearance levels that may read identity documents and BSN pseudonyms."""
PATIENT_PSEUDONYM = "patient-pseudonym"
CORE_KEYS = ("schema_version", "signal_id", "partner", "observed_at", "reported_at", "category",
             "barrier_stages", "indicators", "severity", "distribution", "purpose",
             "legal_basis")


UNKNOWN_SOURCE = "anonymous-tips"
"""How a publisher missing from the registry is treated: as the most sensitive source."""
ANYONE_ELSE = Clearance("(anyone but the publisher)",
                        frozenset(DISTRIBUTIONS) - {PUBLISHER_ONLY}, frozenset(PURPOSES))
"""The widest clearance a partner other than a signal's publisher can hold."""
GRAPH_KEYS: Mapping[str, str] = {**{key: "core" for key in CORE_KEYS},
                                 "partner_id": "core", "revision": "core",
                                 "narrative": "narrative", "partner_ref": "partner_ref"}
"""Each property of a signal as a flat record (a ``Signal`` node) → its field in the table."""


def cleared(clearance: Clearance) -> bool:
    """Whether the partner is a cleared enforcement partner (``amber+strict``)."""
    return CLEARED_LEVEL in clearance.distributions


def visible_fields(clearance: Clearance, distribution: str, purpose: str, *, publisher: str,
                   publisher_source: str) -> frozenset[str]:
    """The fields of a signal (see the module table) the partner holding ``clearance`` may see;
    empty when it may not see the signal at all."""
    if publisher == clearance.partner_id:
        return frozenset(FIELDS)
    if not may_see(clearance, distribution, purpose, publisher=publisher):
        return frozenset()
    sensitive = publisher_source in SENSITIVE_SOURCES
    fields = set(ALWAYS)
    if not sensitive or cleared(clearance):
        fields.add("narrative")
    if (cleared(clearance) if sensitive else bool(clearance.distributions & DOCUMENT_LEVELS)):
        fields.add("identifiers")
    if "care" in clearance.purposes:
        fields.add("patient_pseudonyms")
    if publisher_source != "anonymous-tips":
        fields.add("partner_ref")
    return frozenset(fields)


def source_of(registry: Registry, partner: str) -> str:
    """The source kind of a publisher (``UNKNOWN_SOURCE`` when the registry lacks it)."""
    entry = registry.entries.get(partner)
    return entry.source if entry is not None else UNKNOWN_SOURCE


def shared_fields(publisher_source: str) -> frozenset[str]:
    """The fields of a signal from a source of this kind that *some* partner other than its
    publisher may see (with the widest clearance): what a store shared by all partners may
    keep. An anonymous tip's ``partner_ref`` is not among them."""
    return visible_fields(ANYONE_ELSE, DISTRIBUTIONS[0], PURPOSES[0],
                          publisher="(the publisher)", publisher_source=publisher_source)


def storable(record: Mapping[str, Any], publisher_source: str) -> dict[str, Any]:
    """``record`` (a signal as a flat record) without the properties nobody but the publisher
    may see; properties ``GRAPH_KEYS`` does not name are bookkeeping and kept (never shown)."""
    keep = shared_fields(publisher_source)
    return {k: v for k, v in record.items() if k not in GRAPH_KEYS or GRAPH_KEYS[k] in keep}


def record_fields(clearance: Clearance, record: Mapping[str, Any], registry: Registry
                  ) -> frozenset[str]:
    """``visible_fields`` of a signal given as a flat record (publisher in ``partner_id``)."""
    publisher = str(record.get("partner_id") or "")
    return visible_fields(clearance, str(record.get("distribution") or ""),
                          str(record.get("purpose") or ""), publisher=publisher,
                          publisher_source=source_of(registry, publisher))


def shown_record(record: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """``record`` with only the properties whose field (``GRAPH_KEYS``) is in ``fields``."""
    return {k: v for k, v in record.items() if GRAPH_KEYS.get(k) in fields}


def record_view(clearance: Clearance, record: Mapping[str, Any], registry: Registry
                ) -> dict[str, Any] | None:
    """The flat record as the partner holding ``clearance`` may see it; None when it may not
    see the signal at all."""
    fields = record_fields(clearance, record, registry)
    return shown_record(record, fields) if fields else None


@dataclass(frozen=True)
class RedactedSignal:
    """A Signal v1 document cut to what one partner may see, and the paths taken out."""

    doc: dict[str, Any]
    removed: tuple[str, ...]


def redact(signal: dict[str, Any], fields: frozenset[str]) -> RedactedSignal:
    """``signal`` (a Signal v1 JSON document) with only ``fields``; ``removed`` names each path
    taken out, e.g. ``narrative`` or ``subjects[p1].identifiers[0]``."""
    if not fields:
        raise ValueError("nothing of this signal is visible: do not build a copy")
    doc = {k: copy.deepcopy(signal[k]) for k in CORE_KEYS if k in signal}
    removed: list[str] = []
    for key, field in (("narrative", "narrative"), ("partner_ref", "partner_ref")):
        if signal.get(key) is not None:
            if field in fields:
                doc[key] = signal[key]
            else:
                removed.append(key)
    doc["subjects"] = []
    for subject in signal.get("subjects") or ():
        kept = copy.deepcopy(subject)
        identifiers = kept.pop("identifiers", None) or []
        allowed = []
        for i, identifier in enumerate(identifiers):
            need = "patient_pseudonyms" if identifier.get("scheme") == PATIENT_PSEUDONYM \
                else "identifiers"
            if need in fields:
                allowed.append(identifier)
            else:
                removed.append(f"subjects[{subject.get('ref')}].identifiers[{i}]")
        if allowed or "identifiers" in subject:
            kept["identifiers"] = allowed
        doc["subjects"].append(kept)
    doc["relations"] = copy.deepcopy(signal.get("relations") or [])
    return RedactedSignal(doc, tuple(removed))
