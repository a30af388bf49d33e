"""Every case of the hand-written corpus (tests/data/deidentify-corpus.yaml) through the real
adapter, deduce included: no reporter or patient identity anywhere in the published signal
(partner_ref aside), every listed subject still extracted."""

from __future__ import annotations

import pytest

from bench.deidentify_eval import (
    DEFAULT_CORPUS,
    Case,
    evaluate,
    load_corpus,
    missing_subjects,
    publish,
    survivors,
    wire,
)
from producers.deidentify import NAME_REMOVED, Deidentifier, Identity, name_finder

CASES = load_corpus(DEFAULT_CORPUS)


def test_the_corpus_is_big_and_varied_enough() -> None:
    assert len(CASES) >= 40
    assert sum(c.kind == "tip" for c in CASES) >= 30 and sum(c.kind == "zorg" for c in CASES) >= 10
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(len(c.keep) for c in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_identity_survives_and_subjects_stay(case: Case) -> None:
    signal = publish(case, Deidentifier())
    assert survivors(wire(signal), case.vanish) == []
    assert missing_subjects(signal, case.keep) == []
    if case.kind == "zorg":
        assert "klinische_notitie" not in wire(signal)
        note = str(case.record.get("klinische_notitie") or "")
        assert not note or note not in wire(signal)


def test_the_check_itself_finds_identities_in_any_spelling() -> None:
    text = '{"narrative": "bel +31 6 1234 5678 of Fatma.Yilmaz@Example.nl, groet FATMA, 1053dx"}'
    assert survivors(text, ["06-12345678", "fatma.yilmaz@example.nl", "Fatma", "1053 DX",
                            "Demir", "06-87654321"]) == ["06-12345678", "fatma.yilmaz@example.nl",
                                                         "Fatma", "1053 DX"]


def test_without_de_identification_the_corpus_would_leak() -> None:
    """The tests above can fail: with nothing removed, most identities reach the wire."""
    score = evaluate(CASES, "none", Deidentifier(rules=False, deduce=False))
    assert score.recall < 0.5


def test_deduce_finds_names_the_rules_do_not_know() -> None:
    text = "Casus besproken met aandachtsfunctionaris Petra Zwart en de wijkagent."
    cleaned = Deidentifier()(text)
    assert "Petra" not in cleaned and "Zwart" not in cleaned and NAME_REMOVED in cleaned


def test_the_name_finder_is_loaded_once_per_process() -> None:
    assert name_finder() is name_finder()
    assert name_finder().spans("Geen namen hier.", Identity()) == []
