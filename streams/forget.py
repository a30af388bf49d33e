"""Forgetting an erased person in the resolve stage: the keys of the tables that hold them.

The resolve agent reads the compacted ``suppressions`` topic (``policy.suppression``) beside
``signals.normalised`` and ``resolver.judgements``; for each ``entity:<id>`` and
``pseudonym:<ps>`` written by ``ketenlink erase`` it deletes, through the same write-behind
views, every key that holds the person's values, so faust writes a tombstone per key to the
table's changelog (compacted within a day: ``core.topics.derived_segment_ms``). The worker
itself does it — not a separate command — because only the worker that owns the tables'
partition may write their changelogs; a second writer would race it and be overwritten on its
next recovery. The topic is read from its start by a new worker, so a worker started on an
empty state forgets again what it would otherwise rebuild from ``signals.normalised``.

Keys deleted (``streams.store_keys`` documents the scheme), for an entity ``E``:

- ``resolver`` ``e:E`` — the profile: names, birth dates, nationalities, address keys,
  identifiers (pseudonyms), trade names;
- ``resolver`` ``k:<kind>:<scheme>:<value>`` for every identifier in the profile (and, for a
  pseudonym, ``k:person:bsn-pseudonym:<ps>`` and ``k:person:patient-pseudonym:<ps>``), when it
  points at ``E``: a new signal with the pseudonym then starts a new entity, not the old one;
- ``resolver`` ``b:<kind>:<blocking key>`` — ``E`` taken out of each list (the key itself, e.g.
  ``d|<birth date>`` or ``y|<year>|<sound of the family name>``, deleted when no entity is left
  under it); ``g:<kind>:<address key>`` likewise;
- ``resolver`` ``m:E`` — the redirect of a merged node of the person;
- ``signals`` ``en:E`` — the partners and risk evidence of the person.

Left as they are, holding no value of the person: ``r:<signal>/<revision>`` (the entity id each
subject resolved to), ``j:<pair>`` (ids, analyst, time), other entities' rejected lists ``x``,
the dedupe keys (fingerprints and references of signals, no content), ``m:<inbound record>``
(merge events as entity ids), ``n:entities``. A suppressed ``signal:<id>`` changes nothing here:
dedupe keeps its fingerprint so that a resend of it is still recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from streams.resolve import features
from streams.resolve.state import State
from streams.store_keys import (
    ADDRESSES,
    FACTS,
    IDENTIFIERS,
    PROFILE,
    PROFILE_KIND,
    REDIRECT,
    block_key,
    holders_key,
    identifier_key,
    strong_key,
)

PSEUDONYM_SCHEMES = ("bsn-pseudonym", "patient-pseudonym")


@dataclass
class Forgotten:
    """What one suppression removed: the entities and the store keys deleted or rewritten."""

    entities: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def forget(kind: str, ident: str, signals: MutableMapping[str, Any],
           resolver: MutableMapping[str, Any]) -> Forgotten:
    """Forget what the stores hold of a suppressed ``entity`` or ``pseudonym``; a ``signal``
    (or anything else) is nothing to forget here."""
    out = Forgotten()
    if kind == "entity":
        _forget_entity(ident, signals, resolver, out)
    elif kind == "pseudonym":
        state = State(resolver)
        for scheme in PSEUDONYM_SCHEMES:
            key = strong_key("person", identifier_key(scheme, ident))
            holder = resolver.get(key)
            if holder is None:
                continue
            for entity in dict.fromkeys((state.current(holder), holder)):  # survivor first
                _forget_entity(entity, signals, resolver, out)
            _delete(resolver, key, out)
    return out


def _forget_entity(entity: str, signals: MutableMapping[str, Any],
                   resolver: MutableMapping[str, Any], out: Forgotten) -> None:
    """Forget ``entity``; when it is a survivor, also the nodes merged into it that its block
    lists still name (their values were merged into its profile, so they sit under its keys)."""
    state = State(resolver)
    profile = state.profile(entity)
    before = len(out.keys)
    members: set[str] = set()
    if profile is not None:
        kind = str(profile.get(PROFILE_KIND))
        for scheme, values in (profile.get(IDENTIFIERS) or {}).items():
            for value in values:
                key = strong_key(kind, identifier_key(scheme, value))
                if resolver.get(key) is not None and state.current(resolver[key]) == entity:
                    _delete(resolver, key, out)
        blocks = features.person_blocks if kind == "person" else \
            features.business_blocks if kind == "business" else None
        if blocks is not None:
            keys = [*(block_key(kind, k) for k in blocks(profile)),
                    *(holders_key(kind, a) for a in profile.get(ADDRESSES) or ())]
            members = _unfile(resolver, state, keys, entity, out)
        _delete(resolver, PROFILE + entity, out)
    for node in sorted(members | {entity}):
        _delete(resolver, REDIRECT + node, out)
        _delete(signals, FACTS + node, out)
    if len(out.keys) > before:
        out.entities.extend(sorted(members | {entity}))


def _unfile(store: MutableMapping[str, Any], state: State, keys: Iterable[str], entity: str,
            out: Forgotten) -> set[str]:
    """Take ``entity`` and the nodes merged into it out of the id lists under ``keys`` (a list
    left empty goes); the merged nodes found."""
    members: set[str] = set()
    for key in dict.fromkeys(keys):
        value = store.get(key)
        if not value:
            continue
        mine = {e for e in value if e == entity or state.current(e) == entity}
        if not mine:
            continue
        members |= mine - {entity}
        rest = [e for e in value if e not in mine]
        if rest:
            store[key] = rest
            out.keys.append(key)
        else:
            _delete(store, key, out)
    return members


def _delete(store: MutableMapping[str, Any], key: str, out: Forgotten) -> None:
    if key in store:
        del store[key]
        out.keys.append(key)
