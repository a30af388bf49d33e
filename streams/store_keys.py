"""The stored format of the worker's two stores (the faust tables ``resolver`` and ``signals``):
key prefixes, the builders of whole keys, and the short field names of stored values.

The values are short because every key and field is written to a changelog once per change.
They are a format on disk: a worker recovers its tables from the changelogs written before, so
no value here may change (``tests/unit/streams/test_store_keys.py`` pins each one). A prefix may
stand in both stores with different meanings (``k:``, ``m:``): the stores are separate tables.
"""

from __future__ import annotations

from typing import Final

# -- the resolver store (streams.resolve.state; forgotten by streams.forget) ------------------

RECORD: Final = "r:"
"""``r:<signal id>/<revision>`` -> ``{<ref>: record}``: how each subject of a record resolved
(``RECORD_*`` fields); the record id of a subject is ``<signal id>/<revision>/<ref>``."""
PROFILE: Final = "e:"
"""``e:<entity id>`` -> the entity's profile (``PROFILE_*`` fields); deleted when merged."""
REDIRECT: Final = "m:"
"""``m:<entity id>`` -> the entity it was merged into."""
STRONG: Final = "k:"
"""``k:<kind>:<strong key>`` -> the entity that first held the key (``streams.resolve.features``:
``identifier_key``, ``kvk_key``, an address key, a phone number, ...)."""
BLOCK: Final = "b:"
"""``b:<kind>:<blocking key>`` -> the entity ids filed under it (at most ``block_cap``)."""
HOLDERS: Final = "g:"
"""``g:<kind>:<address key>`` -> distinct holders of the address (up to ``generic_limit + 1``)."""
JUDGEMENTS: Final = "j:"
"""``j:<id>|<id>`` (ids sorted) -> the analysts' judgements on the pair, oldest first:
``{"verdict", "analyst", "at", "a", "b"}`` (``a``, ``b``: the ids as the analyst gave them)."""
ENTITY_COUNT: Final = "n:entities"
"""-> the number of entities created so far (the ordinal source: the older survives a merge)."""

# fields of a record (the value under ``r:``, one per subject)
RECORD_ENTITY: Final = "e"
"""The entity id the subject resolved to (as it was then; merge redirects followed on read)."""
RECORD_KIND: Final = "k"
"""The subject type (``person``, ``business``, ...)."""
RECORD_METHOD: Final = "m"
"""How it resolved: ``strong``, ``probable`` or ``new``."""
RECORD_MATCHED_ON: Final = "o"
"""What matched: a strong key's label, ``score`` or ``score:vague``; None for a new entity."""
RECORD_SCORE: Final = "s"
"""The link score in bits, for a probable match."""

# fields of a profile (the value under ``e:``); lists hold at most ``value_cap`` values
PROFILE_KIND: Final = "k"
"""The entity's kind (the subject type)."""
PROFILE_ORDINAL: Final = "o"
"""Its creation ordinal (``ENTITY_COUNT`` then)."""
GIVEN_NAMES: Final = "g"
"""Given names seen, normalised (``names.given``, tokens joined by spaces)."""
FAMILY_NAMES: Final = "f"
"""Family-name cores seen (``names.family``)."""
BIRTH_DATES: Final = "d"
"""Birth dates seen, ISO."""
NATIONALITIES: Final = "n"
"""Nationalities seen."""
ADDRESSES: Final = "a"
"""Address keys seen (``features.address_key``)."""
IDENTIFIERS: Final = "i"
"""Identifiers seen: ``{scheme: [values]}`` (pseudonyms for BSN and patient numbers)."""
TRADE_NAMES: Final = "nm"
"""Trade names seen, normalised (``names.trade_name``)."""
KVK_NUMBERS: Final = "kvk"
"""KvK numbers seen."""
SBI_CODES: Final = "sbi"
"""SBI codes seen."""
REJECTED: Final = "x"
"""Entities an analyst rejected as this one (not capped)."""

LIST_FIELDS: Final = (GIVEN_NAMES, FAMILY_NAMES, BIRTH_DATES, NATIONALITIES, ADDRESSES,
                      TRADE_NAMES, KVK_NUMBERS, SBI_CODES, REJECTED)
"""Profile fields that hold lists of values."""

# tags that open a blocking key (the part of a ``b:`` key after the kind)
BY_BIRTH_DATE: Final = "d|"
"""Persons: ``d|<birth date>``."""
BY_YEAR_SOUND: Final = "y|"
"""Persons: ``y|<birth year>|<sound of a family-name part>``."""
BY_INITIAL_SOUND: Final = "n|"
"""Persons: ``n|<first initial>|<sound of a family-name part>``."""
BY_KVK: Final = "k|"
"""Businesses: ``k|<KvK number>``."""
BY_TRADE_NAME: Final = "t|"
"""Businesses: ``t|<whole trade name>``."""
BY_TRADE_WORD: Final = "w|"
"""Businesses: ``w|<one word of the trade name>`` (searched only when the others find none)."""
BY_ADDRESS: Final = "a|"
"""Businesses: ``a|<address key>``."""

# -- the signals store (streams.dedupe, streams.pipeline) -------------------------------------

REFERENCE: Final = "k:"
"""``k:<partner>/<partner ref>`` -> ``{"revision", "fingerprints", "origin"}``: the contents
seen under one idempotency key, its latest revision, the inbound record that brought each."""
CONTENT: Final = "f:"
"""``f:<partner>/<fingerprint>`` -> the ``<partner>/<ref>`` that first had this content."""
VERDICT: Final = "s:"
"""``s:<topic>/<partition>/<offset>`` -> ``[verdict, revision, duplicate_of]`` of that record."""
MERGES: Final = "m:"
"""``m:<topic>/<partition>/<offset>`` -> the merges that record caused (emitted again on replay)."""
FACTS: Final = "en:"
"""``en:<entity id>`` -> ``{"partners", "evidence"}``: every partner that mentioned the entity
(corroboration) and the newest signals about it (its risk score)."""


# -- keys of several parts (a key of one id is the prefix and the id: ``PROFILE + entity_id``) --


def record_key(record_id: str) -> tuple[str, str]:
    """The key that holds a subject's record id ``<signal id>/<revision>/<ref>``, and the ref
    it is filed under in the value."""
    group, slash, ref = record_id.rpartition("/")
    return (f"{RECORD}{group}", ref) if slash else (f"{RECORD}{record_id}", "")


def strong_key(kind: str, key: str) -> str:
    return f"{STRONG}{kind}:{key}"


def identifier_key(scheme: str, value: str) -> str:
    """The strong key of a person's identifier: ``<scheme>:<value>``."""
    return f"{scheme}:{value}"


def kvk_key(kvk_number: str, trade_name: str) -> str:
    """The strong key of a business: ``kvk:<number>|<normalised trade name>``."""
    return f"kvk:{kvk_number}|{trade_name}"


def block_key(kind: str, key: str) -> str:
    return f"{BLOCK}{kind}:{key}"


def holders_key(kind: str, address: str) -> str:
    return f"{HOLDERS}{kind}:{address}"


def judgements_key(a: str, b: str) -> str:
    """The key of a pair of entities, the same either way round."""
    x, y = sorted((a, b))
    return f"{JUDGEMENTS}{x}|{y}"


def content_key(partner: str, fingerprint: str) -> str:
    return f"{CONTENT}{partner}/{fingerprint}"
