"""Each scenario signal kind becomes its partner's native record: every produced line is read by
that partner's own adapter and the parsed Signal checked. Partners the platform lacks are not
sent, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from ketenlink.scenario.model import load_scenario
from ketenlink.scenario.partners import map_partner
from ketenlink.scenario.publish import native_files
from ketenlink.scenario.translate import Translation, Translator, kvk_number
from policy.registry import load_registry
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal

SCENARIO = (Path(__file__).parents[2] / "data" / "scenarios" / "translate-me.yaml").read_text(
    encoding="utf-8")


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Translation, dict[str, list[Signal]]]:
    folder = tmp_path_factory.mktemp("translate")
    path = folder / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    registry = load_registry()
    translation = Translator(load_scenario(path), "run1",
                             lambda p: map_partner(p, registry)).translate()
    parsed: dict[str, list[Signal]] = {}
    pseudonyms = Pseudonymiser(SecretStr("k" * 32))
    for partner, file, batch in native_files(translation.records, folder):
        first = 2 if partner == "kvk" else 1
        for result in adapter_for(partner, pseudonyms).read(file):
            assert isinstance(result, Parsed), result
            record = batch[result.line - first]
            parsed.setdefault(record.signal or record.ref, []).append(result.signal)
    return translation, parsed


def test_kvk_events_become_mutation_rows(translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    (registration,), (closure,) = parsed["S1"], parsed["S6"]
    assert registration.partner == "kvk" and registration.partner_ref == "S1-translate-me-run1"
    business = next(s for s in registration.subjects if s.type == "business")
    assert business.kvk_number == kvk_number("12345678", "translate-me-run1") != "12345678"
    assert business.trade_name == "Bos Massage"
    assert "BUS-HIGH-RISK-SECTOR" in registration.indicators
    director = next(s for s in registration.subjects if s.type == "person")
    assert (director.given_name, director.name_prefix, director.family_name) == ("Kees", "van", "Bos")
    assert closure.narrative.startswith("KvK opheffing")
    assert dict(next(r for r in translation.records if r.signal == "S1").mentions) == \
        {"B1": "b1", "L1": "l1", "P1": "p1"}


def test_background_records_are_invented_and_deterministic(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    background = [r for r in translation.records if r.signal is None]
    assert len(background) == 3
    assert all(r.ref.endswith("-translate-me-run1") for r in background)
    assert [r.partner for r in translation.records[:3]] == ["kvk"] * 3  # 2020: before S1
    assert all(ref in parsed for ref in (r.ref for r in background))  # many at one address



def test_the_translation_is_deterministic(tmp_path: Path,
                                          translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    registry = load_registry()
    again = Translator(load_scenario(path), "run1", lambda p: map_partner(p, registry)).translate()
    assert again.records == translated[0].records
    other_run = Translator(load_scenario(path), "run2", lambda p: map_partner(p, registry)).translate()
    assert {r.ref for r in other_run.records}.isdisjoint({r.ref for r in again.records})


def test_a_riec_signal_becomes_a_case_signal(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    (case,) = parsed["S2"]
    assert case.partner == "riec:limburg" and case.category == "sexual" and case.severity == "high"
    assert case.purpose == "criminal-law" and case.narrative == "Regio: limburg"
    suspect = next(s for s in case.subjects if s.role == "suspect")
    assert suspect.given_name == "K." and suspect.family_name == "Bos"  # as the partner wrote it
    assert suspect.identifiers[0].scheme == "bsn-pseudonym"
    assert "111222333" not in case.model_dump_json()
    assert {s.type for s in case.subjects} == {"person", "business", "phone"}
    assert {r.type for r in case.relations} == {"USES", "ASSOCIATED_WITH"}
    assert list(case.indicators) == ["SIT-CONTROLLER", "SIT-UNDERAGE"]  # P2 is 17 that day
    assert any("advertised_online" in n for n in translation.notes["S2"])
    assert any("recruited" in n for n in translation.notes["S2"])


def test_a_revision_reuses_the_reference_with_changed_facts(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    _, parsed = translated
    (first,), (revision,) = parsed["S2"], parsed["S5"]
    assert revision.partner_ref == first.partner_ref and revision.signal_id == first.signal_id
    assert revision.indicators != first.indicators


def test_a_zorg_report_becomes_a_care_report(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    _, parsed = translated
    (report,) = parsed["S3"]
    assert report.partner == "zorg:ggd-test" and report.distribution == "tlp:amber+strict"
    victim = next(s for s in report.subjects if s.role == "victim")
    assert {i.scheme for i in victim.identifiers} == {"patient-pseudonym", "bsn-pseudonym"}
    assert any(s.type == "phone" for s in report.subjects)  # the escort's phone
    assert list(report.indicators) == ["SIT-INJURIES", "SIT-UNDERAGE"]  # age 17
    assert report.observed_at.isoformat() == "2026-02-10T23:40:00+01:00"
    assert "123456782" not in report.model_dump_json()


def test_a_tip_becomes_an_anonymous_tip_without_its_reporter(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    _, parsed = translated
    (tip,), (resend,) = parsed["S4"], parsed["S9"]
    text = tip.model_dump_json()
    assert "Henk" not in text and "22334455" not in text
    assert {s.type for s in tip.subjects} >= {"phone", "vehicle"}
    assert resend.model_dump_json() == text  # the same record again


def test_a_municipal_finding_becomes_a_gemeente_record(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    (finding,) = parsed["S7"]
    assert finding.partner == "gemeente:GM0983" and finding.purpose == "administrative"
    assert {"ADM-OVERCROWDING", "ADM-NO-PERMIT", "SIT-MANY-RESIDENTS"} <= set(finding.indicators)
    location = next(s for s in finding.subjects if s.type == "location")
    assert location.address.municipality == "Venlo"  # GM0983, written by its name
    assert {r.type for r in finding.relations} >= {"OWNS"}
    assert dict(next(r for r in translation.records if r.signal == "S7").mentions)["L1"] == "adres"


def test_a_labour_inspection_names_business_place_and_workers(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    _, parsed = translated
    (inspection,) = parsed["S10"]
    assert inspection.partner == "inspectie-szw" and inspection.category == "labour"
    worker = next(s for s in inspection.subjects if s.type == "person")
    assert worker.role == "victim"  # no id documents: a freedom indicator
    assert "123456782" not in inspection.model_dump_json()
    assert {"FRE-NO-ID", "CON-LONG-HOURS"} <= set(inspection.indicators)


def test_a_probation_watch_names_the_person_and_the_conditions(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    (watch,) = parsed["S8"]
    assert watch.partner == "reclassering" and watch.distribution == "tlp:amber+strict"
    assert "tot 2027-01-01" in (watch.narrative or "") and "SBI 96" in (watch.narrative or "")
    assert "111222333" not in watch.model_dump_json()
    assert dict(next(r for r in translation.records if r.signal == "S8").mentions) == \
        {"P1": "p1", "P2": "c1"}


def test_partners_the_platform_lacks_are_not_sent(
        translated: tuple[Translation, dict[str, list[Signal]]]) -> None:
    translation, parsed = translated
    assert translation.not_sent == {
        "S11": "cannot express: gemeente:GM0001: not a CBS municipality code of "
               "schemas/municipalities.csv",
        "S12": "cannot express: no partner/format for politie"}
    assert "S11" not in parsed and "S12" not in parsed


def test_partner_mapping() -> None:
    registry = load_registry()
    assert map_partner("kvk", registry).platform == "kvk"
    riec = map_partner("riec:den-haag", registry)
    assert riec.platform == "riec:den-haag" and not riec.switch_on  # on from the start
    zorg = map_partner("zorg:ggd-x", registry)
    assert zorg.can_publish and zorg.switch_on
    assert map_partner("gemeente:GM0794", registry).switch_on
    assert map_partner("riec:atlantis", registry).platform is None
    assert map_partner("inspectie-szw", registry).can_publish
    assert map_partner("om", registry).platform == "om"
    assert not map_partner("om", registry).can_publish  # no input format
