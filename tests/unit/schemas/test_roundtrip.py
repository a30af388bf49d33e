"""Any valid Signal survives JSON unchanged (property-based)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.indicators import catalogue
from schemas.signal import BarrierStage, Category, Distribution, Purpose, Severity, Signal

names = st.text(alphabet=st.sampled_from("abcdeéfghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'-. ёжЖ"),
                min_size=1, max_size=30).filter(lambda s: s.strip(" ") == s and s.strip())
refs = st.from_regex(r"[a-z0-9_\-]{1,8}", fullmatch=True)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1),
                     timezones=st.just(UTC))


@st.composite
def subjects(draw: st.DrawFn, ref: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["person", "business", "phone", "bank_account", "vehicle",
                                 "email", "location"]))
    base = {"ref": ref, "role": draw(st.sampled_from(["suspect", "victim", "owner", "other"]))}
    address = {"street": draw(names), "house_number": draw(st.integers(1, 9999)),
               "postcode": draw(st.sampled_from(["1012 AB", "4811 AB", "9999 ZZ", "3511 AA"])),
               "city": draw(st.sampled_from(["Amsterdam", "Breda", "Utrecht"]))}
    if kind == "person":
        return {**base, "type": "person", "given_name": draw(names), "family_name": draw(names),
                "name_prefix": draw(st.sampled_from([None, "van", "van der", "de"])),
                "nationality": draw(st.sampled_from([None, "NL", "RO", "BG", "PL"]))}
    if kind == "business":
        return {**base, "type": "business", "kvk_number": draw(st.from_regex(r"\d{8}",
                                                                             fullmatch=True)),
                "trade_name": draw(names), "address": address}
    if kind == "phone":
        return {**base, "type": "phone", "number": draw(st.sampled_from(
            ["+31612345678", "+31201234567", "+40712345678"]))}
    if kind == "bank_account":
        return {**base, "type": "bank_account", "iban": draw(st.sampled_from(
            ["NL91ABNA0417164300", "GB82WEST12345698765432", "DE89370400440532013000"]))}
    if kind == "vehicle":
        return {**base, "type": "vehicle", "plate": draw(st.from_regex(r"[A-Z0-9]{6}",
                                                                       fullmatch=True))}
    if kind == "email":
        return {**base, "type": "email", "address": draw(st.sampled_from(
            ["info@example.nl", "a.b@example.com"]))}
    return {**base, "type": "location", "address": address}


@st.composite
def signals(draw: st.DrawFn) -> Signal:
    observed = draw(times)
    ref_list = draw(st.lists(refs, max_size=6, unique=True))
    codes = draw(st.lists(st.sampled_from(sorted(catalogue())), max_size=5, unique=True))
    doc = {
        "partner": draw(st.sampled_from(["kvk", "riec", "zorg", "stichting-m"])),
        "partner_ref": draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s
                                                                     and s)),
        "observed_at": observed,
        "reported_at": observed + draw(st.timedeltas(timedelta(0), timedelta(days=30))),
        "category": draw(st.sampled_from(list(Category))),
        "barrier_stages": draw(st.lists(st.sampled_from(list(BarrierStage)), unique=True)),
        "indicators": codes,
        "severity": draw(st.sampled_from(list(Severity))),
        "distribution": draw(st.sampled_from(list(Distribution))),
        "purpose": draw(st.sampled_from(list(Purpose))),
        "legal_basis": "Convenant RIEC/LIEC 2019",
        "subjects": [draw(subjects(ref)) for ref in ref_list],
        "narrative": draw(st.none() | st.text(max_size=200)),
    }
    return Signal.model_validate(doc, strict=False)


@settings(max_examples=200, deadline=None)
@given(signals())
def test_any_valid_signal_round_trips_json_unchanged(signal: Signal) -> None:
    text = signal.model_dump_json()
    again = Signal.model_validate_json(text)
    assert again == signal
    assert again.model_dump_json() == text
