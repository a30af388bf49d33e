from __future__ import annotations

import hashlib
import json
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

import pytest

from streams.exceptions import StreamError
from streams.resolve import Merge, Resolution, Resolver, ResolverConfig
from streams.resolve.exceptions import AlreadyMerged, MergeRefused, UnknownEntity
from tests.unit.streams.resolve.subjects import (
    ShadowStore,
    address,
    bsn,
    business,
    passport,
    person,
    snapshot,
    subject,
)

JAN = {"given_name": "Jan", "family_name": "Jansen", "birth_date": "1980-01-02", "nationality": "NL"}


def _clock() -> datetime:
    return datetime(2026, 3, 5, 9, 30, tzinfo=UTC)


def _resolver(store: dict[str, Any] | None = None, **config: Any) -> Resolver:
    return Resolver(store if store is not None else ShadowStore(), ResolverConfig(**config), clock=_clock)


# -- strong keys ---------------------------------------------------------------------------------


def test_entity_id_is_derived_from_the_first_record() -> None:
    r = _resolver().resolve("sig/1/p1", person(**JAN))
    digest = hashlib.sha256(b"person\x1fsig/1/p1").hexdigest()[:16]
    assert (r.entity_id, r.method, r.kind) == (f"P-{digest}", "new", "person")


def test_strong_person_identifier_links_whatever_the_name() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(given_name="Jan", family_name="Jansen", identifiers=[bsn(1)]))
    second = resolver.resolve("r2", person(given_name="Kees", identifiers=[bsn(1)]))
    assert second.entity_id == first.entity_id
    assert (second.method, second.matched_on) == ("strong", "bsn-pseudonym")


@pytest.mark.parametrize(("a", "b", "same"), [
    (("phone", {"number": "06-12345678"}), ("phone", {"number": "+31 6 1234 5678"}), True),
    (("email", {"address": "Info@Example.nl"}), ("email", {"address": "info@example.nl"}), True),
    (("bank_account", {"iban": "NL91 ABNA 0417 1643 00"}), ("bank_account", {"iban": "nl91abna0417164300"}),
     True),
    (("vehicle", {"plate": "12-ABC-3"}), ("vehicle", {"plate": "12abc3"}), True),
    (("website", {"url": "https://www.example.nl/Shop/"}), ("website", {"url": "http://example.nl/shop"}),
     True),
    (("location", {"address": address("1234AB", 5, house_number_addition="a")}),
     ("location", {"address": address("1234 ab", 5, house_number_addition="A", street="Other")}), True),
    (("location", {"address": address(number=5, house_number_addition="A")}),
     ("location", {"address": address(number=5, house_number_addition="B")}), False),
    (("location", {"address": {"country": "DE", "street": "Hauptstraße", "house_number": 3,
                               "city": "Köln"}}),
     ("location", {"address": {"country": "DE", "street": "HAUPTSTRASSE", "house_number": 3,
                               "city": "koln"}}), True),
])
def test_strong_keys_of_other_subjects(a: tuple[str, dict[str, Any]], b: tuple[str, dict[str, Any]],
                                       same: bool) -> None:
    resolver = _resolver()
    ra = resolver.resolve("r1", subject(a[0], **a[1]))
    rb = resolver.resolve("r2", subject(b[0], **b[1]))
    assert (ra.entity_id == rb.entity_id) is same
    assert rb.method == ("strong" if same else "new")


def test_business_kvk_and_trade_name() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", business(kvk_number="12345678", trade_name="Bakkerij De Zon B.V."))
    same = resolver.resolve("r2", business(kvk_number="1234 5678", trade_name="bakkerij de zon"))
    assert (same.entity_id, same.method, same.matched_on) == (first.entity_id, "strong", "kvk+name")
    renamed = resolver.resolve("r3", business(kvk_number="12345678", trade_name="Nagelstudio Lotus"))
    assert renamed.entity_id != first.entity_id  # the same number under a clearly different name


def test_a_new_kvk_number_at_the_same_name_and_address_is_a_new_business() -> None:
    resolver = _resolver()
    old = resolver.resolve("r1", business(kvk_number="12345678", trade_name="Hotel Centrum",
                                          sbi_code="5510", address=address()))
    successor = resolver.resolve("r2", business(kvk_number="87654321", trade_name="Hotel Centrum",
                                                sbi_code="5510", address=address()))
    assert successor.entity_id != old.entity_id
    unregistered = resolver.resolve("r3", business(trade_name="Hotel Centrum", address=address()))
    assert unregistered.method == "new"  # fits both: it cannot tell which
    assert {c.candidate for c in unregistered.review} == {old.entity_id, successor.entity_id}


# -- scoring -------------------------------------------------------------------------------------


def test_typo_in_a_name_links_probably() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN))
    typo = resolver.resolve("r2", person(**{**JAN, "family_name": "Jnasen", "nationality": None}))
    assert (typo.entity_id, typo.method, typo.matched_on) == (first.entity_id, "probable", "score")
    assert typo.score is not None and typo.score >= ResolverConfig().link_threshold


def test_tussenvoegsel_initials_and_case_variants_link() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(given_name="Jan Peter", name_prefix="van der",
                                          family_name="Berg", birth_date="1970-05-06"))
    for i, variant in enumerate([
        {"given_name": "J.P.", "family_name": "V/D BERG"},
        {"given_name": "jan", "family_name": "Berg"},
        {"given_name": "Jan", "name_prefix": "vd", "family_name": "Berg"},
    ]):
        r = resolver.resolve(f"v{i}", person(birth_date="1970-05-06", **variant))
        assert r.entity_id == first.entity_id, variant


def test_swapped_given_and_family_name_link() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(given_name="Wei", family_name="Zhou", birth_date="1978-05-24"))
    swapped = resolver.resolve("r2", person(given_name="Zhou", family_name="Wei", birth_date="1978-05-24"))
    assert swapped.entity_id == first.entity_id


def test_same_name_other_birth_date_is_another_person() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN))
    other = resolver.resolve("r2", person(**{**JAN, "birth_date": "1955-07-30"}))
    assert other.entity_id != first.entity_id and other.method == "new"


def test_same_name_and_address_other_birth_date_is_another_person() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN, address=address()))
    other = resolver.resolve("r2", person(**{**JAN, "birth_date": "2004-03-09"}, address=address()))
    assert other.entity_id != first.entity_id and other.method == "new"  # father and son


def test_initials_and_family_name_link_when_no_other_entity_fits() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN))
    initials = resolver.resolve("r2", person(given_name="J.", family_name="Jansen"))
    assert (initials.entity_id, initials.method) == (first.entity_id, "probable")


def test_review_band_gives_a_new_entity_and_a_candidate() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN))
    weak = resolver.resolve("r2", person(given_name="J.", family_name="Janssen"))
    config = ResolverConfig()
    assert weak.method == "new" and weak.entity_id != first.entity_id
    assert len(weak.review) == 1
    candidate = weak.review[0]
    assert (candidate.entity_id, candidate.candidate) == (weak.entity_id, first.entity_id)
    assert config.review_threshold <= candidate.score < config.link_threshold


def test_an_ambiguous_name_links_to_neither_and_name_only_mentions_gather() -> None:
    resolver = _resolver()
    older = resolver.resolve("r1", person(**JAN))
    younger = resolver.resolve("r2", person(**{**JAN, "birth_date": "1999-12-31"}))
    first = resolver.resolve("r3", person(given_name="Jan", family_name="Jansen"))
    assert first.method == "new"
    assert {c.candidate for c in first.review} == {older.entity_id, younger.entity_id}
    second = resolver.resolve("r4", person(given_name="jan", family_name="JANSEN", nationality="NL"))
    assert (second.entity_id, second.matched_on) == (first.entity_id, "score:vague")
    specific = resolver.resolve("r5", person(**{**JAN, "birth_date": "1999-12-31"}))
    assert specific.entity_id == younger.entity_id


def test_a_different_identifier_of_one_scheme_never_links_by_score() -> None:
    resolver = _resolver()
    first = resolver.resolve("r1", person(**JAN, identifiers=[bsn(1)]))
    twin = resolver.resolve("r2", person(**JAN, identifiers=[bsn(2)]))
    assert twin.entity_id != first.entity_id


def test_generic_address_does_not_link() -> None:
    def run(others: int) -> Resolution:
        resolver = _resolver(generic_limit=2)
        for i, name in enumerate(["Pieters", "Bakker", "Visser"][:others]):
            resolver.resolve(f"o{i}", person(given_name="Kees", family_name=name, address=address()))
        resolver.resolve("jan", person(given_name="Jan", family_name="Jansen", address=address()))
        return resolver.resolve("probe", person(given_name="J.", family_name="Janssen", address=address()))

    assert run(others=0).method == "probable"  # the shared address is evidence
    shelter = run(others=3)  # four persons at one address: a shelter, not evidence
    assert shelter.method == "new"


def test_over_large_block_is_not_searched() -> None:
    resolver = _resolver(block_cap=3)
    for i in range(3):
        born = f"19{50 + 12 * i}-0{i + 1}-1{i}"
        resolver.resolve(f"r{i}", person(given_name="Jan", family_name="Jansen", birth_date=born))
    late = resolver.resolve("late", person(given_name="Jan", family_name="Jansen", nationality="NL"))
    assert late.method == "new" and late.review == ()


# -- merges and judgements -----------------------------------------------------------------------


def test_record_tying_two_entities_merges_younger_into_older() -> None:
    resolver = _resolver()
    older = resolver.resolve("r1", person(given_name="Ana", identifiers=[bsn(7)]))
    younger = resolver.resolve("r2", person(given_name="Ana", identifiers=[passport("NX12345")]))
    assert older.entity_id != younger.entity_id
    tie = resolver.resolve("r3", person(given_name="Ana", identifiers=[passport("NX12345"), bsn(7)]))
    assert tie.merges == (Merge(younger.entity_id, older.entity_id, "strong:passport", "r3"),)
    assert tie.entity_id == older.entity_id
    assert resolver.current(younger.entity_id) == older.entity_id
    assert resolver.resolve("r4", person(identifiers=[passport("NX 12345")])).entity_id == older.entity_id


def test_strong_key_of_one_entity_scoring_as_another_merges() -> None:
    resolver = _resolver()
    named = resolver.resolve("r1", person(**JAN))
    patient = resolver.resolve("r2", person(nationality="NL", identifiers=[bsn(3)]))
    both = resolver.resolve("r3", person(**JAN, identifiers=[bsn(3)]))
    assert both.merges and both.merges[0].reason == "score"
    assert resolver.current(patient.entity_id) == resolver.current(named.entity_id) == both.entity_id


def test_entities_with_different_identifiers_of_one_scheme_are_never_merged() -> None:
    resolver = _resolver()
    a = resolver.resolve("r1", person(given_name="Ana", identifiers=[bsn(1)]))
    b = resolver.resolve("r2", person(given_name="Ana", identifiers=[bsn(2), passport("P1")]))
    tie = resolver.resolve("r3", person(given_name="Ana", identifiers=[bsn(1), passport("P1")]))
    assert tie.merges == ()
    assert resolver.current(a.entity_id) != resolver.current(b.entity_id)
    with pytest.raises(MergeRefused) as refused:
        resolver.judge(a.entity_id, b.entity_id, "confirm", "analyst-1")
    assert isinstance(refused.value, StreamError) and isinstance(refused.value, ValueError)


def test_rejected_pair_is_never_merged_again() -> None:
    store = ShadowStore()
    resolver = _resolver(store)
    a = resolver.resolve("r1", person(**JAN, identifiers=[bsn(1)]))
    b = resolver.resolve("r2", person(given_name="J.", family_name="Janssen", identifiers=[passport("P1")]))
    assert resolver.judge(b.entity_id, a.entity_id, "reject", "analyst-1") == ()
    tie = resolver.resolve("r3", person(**JAN, identifiers=[bsn(1), passport("P1")]))
    assert tie.merges == () and tie.entity_id == a.entity_id
    assert resolver.current(b.entity_id) == b.entity_id
    key = "j:" + "|".join(sorted((a.entity_id, b.entity_id)))
    assert store[key] == [{"verdict": "reject", "analyst": "analyst-1", "at": "2026-03-05T09:30:00+00:00",
                           "a": b.entity_id, "b": a.entity_id}]


def test_rejected_pair_is_not_linked_by_score_through_a_merge() -> None:
    resolver = _resolver()
    a = resolver.resolve("r1", person(**JAN))
    b = resolver.resolve("r2", person(nationality="NL", identifiers=[bsn(3)]))
    resolver.judge(a.entity_id, b.entity_id, "reject", "analyst-1")
    tie = resolver.resolve("r3", person(**JAN, identifiers=[bsn(3)]))
    assert tie.merges == () and tie.entity_id == b.entity_id
    assert a.entity_id not in {c.candidate for c in tie.review}


def test_confirm_merges_and_is_logged() -> None:
    store = ShadowStore()
    resolver = _resolver(store)
    a = resolver.resolve("r1", person(**JAN))
    b = resolver.resolve("r2", person(given_name="J.", family_name="Janssen"))
    merges = resolver.judge(b.entity_id, a.entity_id, "confirm", "analyst-2")
    assert merges == (Merge(b.entity_id, a.entity_id, "analyst:analyst-2", None),)
    assert resolver.current(b.entity_id) == a.entity_id
    assert resolver.judge(a.entity_id, b.entity_id, "confirm", "analyst-2") == ()  # already one
    assert resolver.resolve("r2", person(given_name="J.", family_name="Janssen")).entity_id == a.entity_id
    assert len(store["j:" + "|".join(sorted((a.entity_id, b.entity_id)))]) == 1


def test_judging_an_unknown_entity_is_an_error() -> None:
    resolver = _resolver()
    a = resolver.resolve("r1", person(**JAN))
    with pytest.raises(UnknownEntity):
        resolver.judge(a.entity_id, "P-0000000000000000", "reject", "analyst-1")


# -- replay, determinism, restart ----------------------------------------------------------------


def _stream() -> list[tuple[str, Any]]:
    return [
        ("s1/p1", person(**JAN)),
        ("s1/t1", subject("phone", number="0612345678")),
        ("s2/p1", person(given_name="J.", family_name="Janssen", nationality="BE")),
        ("s3/p1", person(**{**JAN, "family_name": "Janssen"}, identifiers=[bsn(1)])),
        ("s4/p1", person(given_name="Ana", identifiers=[passport("X1")])),
        ("s5/p1", person(given_name="Ana", identifiers=[passport("X1"), bsn(1)])),
        ("s6/b1", business(trade_name="Angel Cleaning", kvk_number="11111111", address=address())),
        ("s7/b1", business(trade_name="Angel Claening", address=address())),
        ("s8/b1", business(trade_name="Angel Cleaning")),
    ]


def _run(resolver: Resolver, records: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [resolver.resolve(rid, s).to_json() for rid, s in records]


def test_replay_returns_the_stored_answer_and_changes_nothing() -> None:
    store = ShadowStore()
    resolver = _resolver(store)
    first = _run(resolver, _stream())
    before, writes = snapshot(store), store.writes
    again = [resolver.resolve(rid, s) for rid, s in _stream()]
    assert all(r.method == "replay" and r.merges == () and r.review == () for r in again)
    assert [r.entity_id for r in again] == [resolver.current(r["entity_id"]) for r in first]
    assert snapshot(store) == before and store.writes == writes


def test_replay_follows_redirects() -> None:
    resolver = _resolver()
    ana = resolver.resolve("a", person(given_name="Ana", identifiers=[passport("X1")]))
    bsn_only = resolver.resolve("b", person(identifiers=[bsn(5)]))
    resolver.judge(bsn_only.entity_id, ana.entity_id, "confirm", "analyst-1")
    assert resolver.resolve("b", person(identifiers=[bsn(5)])).entity_id == ana.entity_id


def test_same_input_same_decisions() -> None:
    assert _run(_resolver(), _stream()) == _run(_resolver(), _stream())


def test_restart_from_a_copy_of_the_store_decides_the_same() -> None:
    records = _stream()
    live = _resolver()
    store = ShadowStore()
    original = _resolver(store)
    _run(original, records[:4])
    restarted = _resolver(deepcopy(dict(store)))
    assert _run(restarted, records[4:]) == _run(original, records[4:])
    _run(live, records)
    assert not store.drifted


def test_store_values_are_json_and_never_changed_in_place() -> None:
    store = ShadowStore()
    resolver = _resolver(store)
    _run(resolver, _stream())
    jan = resolver.resolve("x1", person(**JAN)).entity_id
    initial_only, ana = (resolver.current("P-" + hashlib.sha256(f"person\x1f{r}".encode()).hexdigest()[:16])
                         for r in ("s2/p1", "s4/p1"))
    resolver.judge(jan, initial_only, "reject", "analyst-1")
    with pytest.raises(AlreadyMerged):  # s5 tied Ana's passport to Jan's BSN
        resolver.judge(jan, ana, "reject", "analyst-1")
    assert not store.drifted
    assert json.loads(json.dumps(store)) == dict(store)


def test_resolution_to_json() -> None:
    r = _resolver().resolve("r1", person(**JAN))
    assert r.to_json() == {"record_id": "r1", "kind": "person", "entity_id": r.entity_id, "method": "new",
                           "matched_on": None, "score": None, "review": [], "merges": []}


def test_config_rejects_review_above_link() -> None:
    with pytest.raises(ValueError, match="review threshold"):
        ResolverConfig(link_threshold=5, review_threshold=6)
