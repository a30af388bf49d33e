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

The publisher always sees all of its own signal. Delivery (``streams.route``), graph queries,
the explorer and alerts call this module or ``may_see`` under it; none decides on its own.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from policy.clearance import Clearance, may_see
from policy.registry import SENSITIVE_SOURCES

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
