"""Ages from birth dates: a minor victim or worker, and under 21 in sexual exploitation (Wrp),
raise SIT-UNDERAGE at the observation date; a suspect's age or an adult's does not."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from producers.adapters.base import AMSTERDAM, age_indicators, age_on, build_signal
from producers.adapters.riec import riec_signal
from producers.pseudonym import Pseudonymiser

SEEN = datetime(2026, 3, 2, tzinfo=AMSTERDAM)


def _person(role: str, birth: str | None) -> dict[str, Any]:
    return {"type": "person", "ref": "p", "role": role, "birth_date": birth}


def test_age_counts_whole_years_up_to_the_birthday() -> None:
    assert age_on(date(2008, 3, 2), date(2026, 3, 2)) == 18
    assert age_on(date(2008, 3, 3), date(2026, 3, 2)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17


@pytest.mark.parametrize(("role", "birth", "category", "flagged"), [
    ("victim", "2009-05-03", "labour", True),        # 16
    ("employee", "2008-03-03", "labour", True),      # 17, one day short of 18
    ("victim", "2008-03-02", "labour", False),       # 18 that day
    ("victim", "2006-01-01", "sexual", True),        # 20: under 21 in sex work
    ("victim", "2006-01-01", "labour", False),
    ("victim", "2004-01-01", "sexual", False),       # 22
    ("suspect", "2010-01-01", "sexual", False),      # a suspect's age is no victim indicator
    ("victim", None, "sexual", False),
])
def test_under_age_victims_and_workers(role: str, birth: str | None, category: str,
                                       flagged: bool) -> None:
    assert (age_indicators([_person(role, birth)], SEEN, category) == ["SIT-UNDERAGE"]) is flagged


def test_a_riec_case_about_a_16_year_old_carries_the_indicator() -> None:
    doc = {"casus_ref": "R-1", "datum_constatering": "2026-03-02",
           "datum_melding": "2026-03-03T10:00:00+01:00", "uitbuitingsvorm": "seksueel",
           "ernst": "hoog", "doel": "strafrechtelijk",
           "subjecten": [{"id": "s1", "soort": "persoon", "rol": "slachtoffer", "voornaam": "Lisa",
                          "achternaam": "Verbeek", "geboortedatum": "2009-05-03"}]}
    signal = build_signal(riec_signal(doc, Pseudonymiser(SecretStr("k" * 32))))
    assert "SIT-UNDERAGE" in signal.indicators
