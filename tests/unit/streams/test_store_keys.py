"""The stored format is pinned: a worker recovers its tables from changelogs written before, so
a key or field that changes makes the old state unreadable."""

from __future__ import annotations

import json
from typing import Any

from schemas.signal import Signal
from streams import store_keys as sk
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc


def test_resolver_store_keys_and_fields_are_pinned() -> None:
    assert (sk.RECORD, sk.PROFILE, sk.REDIRECT, sk.STRONG, sk.BLOCK, sk.HOLDERS, sk.JUDGEMENTS,
            sk.ENTITY_COUNT) == ("r:", "e:", "m:", "k:", "b:", "g:", "j:", "n:entities")
    assert (sk.RECORD_ENTITY, sk.RECORD_KIND, sk.RECORD_METHOD, sk.RECORD_MATCHED_ON,
            sk.RECORD_SCORE) == ("e", "k", "m", "o", "s")
    assert (sk.PROFILE_KIND, sk.PROFILE_ORDINAL, sk.GIVEN_NAMES, sk.FAMILY_NAMES, sk.BIRTH_DATES,
            sk.NATIONALITIES, sk.ADDRESSES, sk.IDENTIFIERS, sk.TRADE_NAMES, sk.KVK_NUMBERS,
            sk.SBI_CODES, sk.REJECTED) == ("k", "o", "g", "f", "d", "n", "a", "i", "nm", "kvk",
                                           "sbi", "x")
    assert sk.LIST_FIELDS == ("g", "f", "d", "n", "a", "nm", "kvk", "sbi", "x")
    assert (sk.BY_BIRTH_DATE, sk.BY_YEAR_SOUND, sk.BY_INITIAL_SOUND, sk.BY_KVK, sk.BY_TRADE_NAME,
            sk.BY_TRADE_WORD, sk.BY_ADDRESS) == ("d|", "y|", "n|", "k|", "t|", "w|", "a|")


def test_signals_store_keys_are_pinned() -> None:
    assert (sk.REFERENCE, sk.CONTENT, sk.VERDICT, sk.MERGES, sk.FACTS) == \
        ("k:", "f:", "s:", "m:", "en:")


def test_whole_keys_are_pinned() -> None:
    assert sk.record_key("S-1/2/s3") == ("r:S-1/2", "s3")
    assert sk.record_key("no-slash") == ("r:no-slash", "")
    assert sk.strong_key("person", sk.identifier_key("bsn-pseudonym", "ps1:ab")) == \
        "k:person:bsn-pseudonym:ps1:ab"
    assert sk.strong_key("business", sk.kvk_key("12345678", "bakkerij jansen")) == \
        "k:business:kvk:12345678|bakkerij jansen"
    assert sk.block_key("person", "d|1980-01-31") == "b:person:d|1980-01-31"
    assert sk.holders_key("person", "NL|1234AB|5|") == "g:person:NL|1234AB|5|"
    assert sk.judgements_key("P-b", "P-a") == sk.judgements_key("P-a", "P-b") == "j:P-a|P-b"
    assert sk.content_key("riec", "ff00") == "f:riec/ff00"


def test_a_processed_signal_writes_the_pinned_format() -> None:
    """Every key a signal writes starts with a pinned prefix, and the values use the pinned
    fields: what a changelog written before holds is what the code reads."""
    signals: dict[str, Any] = {}
    resolver_store: dict[str, Any] = {}
    signal = Signal.model_validate_json(json.dumps(valid_doc()))
    out = process(signal, {"topic": "in", "partition": 0, "offset": 1}, signals,
                  Resolver(resolver_store))
    assert out.resolved is not None
    assert {k.split(":", 1)[0] + ":" for k in signals} == {"k:", "f:", "s:", "en:"}
    assert {k.split(":", 1)[0] + ":" for k in resolver_store} <= {"r:", "e:", "k:", "b:", "g:", "n:"}
    assert resolver_store["n:entities"] >= 1
    records = resolver_store[f"r:{out.dedup.signal_id}/1"]
    for record in records.values():
        assert set(record) == {"e", "k", "m", "o", "s"}
        assert record["e"] in {e["entity_id"] for e in out.resolved["entities"]}
    profiles = [v for k, v in resolver_store.items() if k.startswith("e:")]
    assert profiles and all({"k", "o"} <= set(p) for p in profiles)
    assert all(set(p) <= {"k", "o", *sk.LIST_FIELDS, "i"} for p in profiles)
