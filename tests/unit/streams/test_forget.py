"""The resolve stage forgets an erased person: the keys holding their values are deleted, the
rest of the state is untouched, and the pseudonym no longer leads to the old entity."""

from __future__ import annotations

import json
from typing import Any

from streams.forget import forget
from streams.resolve import Resolver
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

PS = "ps1:" + "a" * 64


def _world() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Two signals about Jan van der Berg (pseudonym PS) and one about someone else."""
    signals: dict[str, Any] = {}
    store: dict[str, Any] = {}
    other = {"type": "person", "ref": "p1", "role": "suspect", "given_name": "Piet",
             "family_name": "Smit", "birth_date": "1975-05-05"}
    records = resolve_docs([
        valid_doc(partner_ref="r-1"),
        valid_doc(partner="kvk", partner_ref="k-1", severity="low"),
        valid_doc(partner_ref="r-2", subjects=[other], relations=[]),
    ], signals, Resolver(store))
    return signals, store, records


def _values(store: dict[str, Any]) -> str:
    return json.dumps(store, sort_keys=True)


def test_forgetting_a_pseudonym_deletes_the_profile_strong_keys_blocks_and_evidence() -> None:
    signals, store, records = _world()
    person = records[0]["entities"][0]["entity_id"]
    assert records[1]["entities"][0]["entity_id"] == person  # one person, by pseudonym
    smit = records[2]["entities"][0]["entity_id"]
    before = dict(store)
    assert PS in _values(store) and "1980-01-31" in _values(store) and f"en:{person}" in signals

    done = forget("pseudonym", PS, signals, store)
    assert done.entities == [person]
    assert PS not in _values(store)
    assert "1980-01-31" not in _values(store)  # birth date: profile and the d| block key
    assert "berg" not in _values(store).lower()
    assert f"e:{person}" not in store and f"en:{person}" not in signals
    assert not any(person in json.dumps(v) for k, v in store.items() if k.startswith("b:"))
    # the other person and the non-person entities are untouched
    assert store[f"e:{smit}"] == before[f"e:{smit}"]
    assert all(store[k] == v for k, v in before.items()
               if k not in done.keys and k in store)
    assert set(before) - set(store) <= set(done.keys)

    again = forget("pseudonym", PS, signals, store)
    assert again.keys == [] and again.entities == []


def test_after_forgetting_the_pseudonym_starts_a_new_entity() -> None:
    signals, store, records = _world()
    person = records[0]["entities"][0]["entity_id"]
    forget("pseudonym", PS, signals, store)
    (later,) = resolve_docs([valid_doc(partner_ref="r-9", subjects=valid_doc()["subjects"][:1],
                                       relations=[])], signals, Resolver(store))
    new = later["entities"][0]["entity_id"]
    assert new != person and later["entities"][0]["method"] == "new"
    assert later["corroborated_by"] == []  # kvk mentioned the old person: forgotten


def test_forgetting_an_entity_takes_the_nodes_merged_into_it_out_of_its_blocks() -> None:
    signals: dict[str, Any] = {}
    store: dict[str, Any] = {}
    resolver = Resolver(store)
    jan = {"type": "person", "ref": "p1", "role": "suspect", "given_name": "Jan",
           "family_name": "Visser", "birth_date": "1970-02-02"}
    first, second = resolve_docs([
        valid_doc(partner_ref="a", subjects=[jan], relations=[]),
        valid_doc(partner_ref="b", subjects=[{**jan, "ref": "p1", "identifiers": [
            {"scheme": "bsn-pseudonym", "value": PS}]}], relations=[]),
    ], signals, resolver)
    a = first["entities"][0]["entity_id"]
    assert second["entities"][0]["entity_id"] == a
    # an analyst-confirmed merge of a younger node into it
    (third,) = resolve_docs([valid_doc(partner_ref="c", subjects=[
        {**jan, "birth_date": "1985-07-07"}], relations=[])], signals, resolver)
    younger = third["entities"][0]["entity_id"]
    assert younger != a and third["entities"][0]["method"] == "new"
    assert resolver.judge(a, younger, "confirm", "analyst-a")[0].merged == younger
    assert store[f"m:{younger}"] == a and "b:person:d|1985-07-07" in store
    forget("entity", a, signals, store)
    assert "visser" not in _values(store).lower()
    assert "1970-02-02" not in _values(store) and "1985-07-07" not in _values(store)
    assert f"m:{younger}" not in store and f"en:{younger}" not in signals
    assert not any(k.startswith("m:") and v == a for k, v in store.items())
    assert f"e:{a}" not in store


def test_a_suppressed_signal_changes_nothing_here() -> None:
    signals, store, records = _world()
    before_signals, before = dict(signals), dict(store)
    assert forget("signal", records[0]["signal_id"], signals, store).keys == []
    assert (signals, store) == (before_signals, before)
