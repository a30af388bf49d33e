from __future__ import annotations

import math

from streams.resolve import scoring
from streams.resolve.scoring import M_U, WEIGHTS


def test_weights_are_log_likelihood_ratios() -> None:
    m, u = M_U["dob"]["exact"]
    assert math.isclose(WEIGHTS["dob"]["exact"], math.log2(m / u))
    for levels in WEIGHTS.values():
        assert levels["exact"] > 0 > levels["disagree"]


def test_levels() -> None:
    assert scoring.given_level("jan", "jan peter") == "exact"
    assert scoring.given_level("j p", "jan peter") == "initials"
    assert scoring.given_level("daan", "johannes daan") == "initials"
    assert scoring.given_level("yulia", "yukia") == "close"
    assert scoring.given_level("jan", "kees") == "disagree"
    assert scoring.family_level("jansen", "jansen vries") == "partial"
    assert scoring.family_level("jansen", "janssen") == "close"
    assert scoring.family_level("jansen", "bakker") == "disagree"
    assert scoring.dob_level("1990-03-04", "1990-04-03") == "close"  # day and month swapped
    assert scoring.dob_level("1990-03-14", "1990-03-41") == "close"  # digits transposed
    assert scoring.dob_level("1990-03-04", "1971-08-22") == "disagree"
    assert scoring.address_level("NL|1234AB|12|A", "NL|1234AB|12|") == "close"
    assert scoring.name_level("cleanpro", "cleanpro s hertogenbosch") == "partial"


def test_missing_fields_weigh_nothing() -> None:
    assert scoring.person({"g": ["jan"]}, {"f": ["jansen"]}) == 0.0


def test_person_scores_order_by_evidence() -> None:
    entity = {"g": ["jan"], "f": ["jansen"], "d": ["1980-01-02"], "n": ["NL"]}
    same = scoring.person({"g": ["jan"], "f": ["jansen"], "d": ["1980-01-02"]}, entity)
    typo = scoring.person({"g": ["jan"], "f": ["jnasen"], "d": ["1980-01-02"]}, entity)
    name_only = scoring.person({"g": ["jan"], "f": ["jansen"]}, entity)
    other = scoring.person({"g": ["jan"], "f": ["jansen"], "d": ["1955-07-30"]}, entity)
    assert same > typo > name_only > other


def test_swapped_given_and_family_name_still_match() -> None:
    entity = {"g": ["wei"], "f": ["zhou"], "d": ["1978-05-24"]}
    assert scoring.person({"g": ["zhou"], "f": ["wei"], "d": ["1978-05-24"]}, entity) \
        == scoring.person({"g": ["wei"], "f": ["zhou"], "d": ["1978-05-24"]}, entity)


def test_generic_address_gives_no_weight() -> None:
    record, entity = {"a": ["NL|1234AB|1|"]}, {"a": ["NL|1234AB|1|"]}
    assert scoring.person(record, entity) > 0
    assert scoring.person(record, entity, frozenset({"NL|1234AB|1|"})) == 0.0
    assert scoring.business(record, entity, frozenset({"NL|1234AB|1|"})) == 0.0
