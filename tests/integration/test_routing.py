"""The router as a real process on the real broker: the routing matrix (who receives which
signal, with what taken out), a subscription changed at run time applying to the next signal,
and records that are not resolved records parked with their reason."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from core.partner_ids import partner_kind
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from policy.live import publish_change
from policy.registry import load_registry, parse_entry
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

PATIENT = {"scheme": "patient-pseudonym", "value": "ps1:" + "b" * 64}
BSN = {"scheme": "bsn-pseudonym", "value": "ps1:" + "a" * 64}
ROTTERDAM = {"street": "Coolsingel", "house_number": 40, "postcode": "3011AD", "city": "Rotterdam"}
BREDA = {"street": "Hoogstraat", "house_number": 12, "postcode": "4811AB", "city": "Breda"}
EINDHOVEN = {"street": "Stratumseind", "house_number": 9, "postcode": "5611ER",
             "city": "Eindhoven", "municipality": "GM0772"}
RIECS = {p for p in load_registry().entries if partner_kind(p) == "riec"}
"""The generated world's one RIEC and the ten regional RIECs: the same clearance."""


def _env(uid: str, var: Path) -> dict[str, str]:
    return {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
            "KETENLINK_VAR_DIR": str(var)}


def _catch_all(settings: Settings, layout: TopicLayout) -> None:
    """Every subscriber gets one subscription without filters: who receives what is then
    decided by the clearance and field policy alone."""
    seed = load_registry()
    with Publisher(settings.kafka) as publisher:
        for partner, entry in seed.entries.items():
            if "subscriber" in entry.roles:
                doc = entry.model_dump(mode="json")
                doc["subscriptions"] = [{"name": "all"}]
                doc.pop("partner_id")
                publish_change(publisher, layout, partner, parse_entry(partner, doc))


def _person(ref: str, family: str, *identifiers: dict[str, str]) -> dict[str, Any]:
    return {"type": "person", "ref": ref, "role": "victim", "family_name": family,
            "identifiers": list(identifiers)}


def _publish_resolved(settings: Settings, layout: TopicLayout, records: list[dict[str, Any]]
                      ) -> None:
    with Publisher(settings.kafka) as publisher:
        publisher.publish_many(layout.resolved,
                               [(r["signal_id"].encode(), json.dumps(r).encode())
                                for r in records])


def _deliveries(settings: Settings, layout: TopicLayout, expected: int, timeout: float = 90
                ) -> dict[tuple[str, str], dict[str, Any]]:
    """(recipient, partner_ref suffix) → delivery, once ``expected`` arrived (and 2 s more, to
    see any that should not)."""
    consumer = KafkaConsumer(*[layout.delivery(p) for p in layout.recipients],
                             bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    got: dict[tuple[str, str], dict[str, Any]] = {}
    deadline, settle = time.monotonic() + timeout, None
    try:
        while time.monotonic() < (settle or deadline):
            for batch in consumer.poll(timeout_ms=300).values():
                for record in batch:
                    value = json.loads(record.value)
                    assert record.topic == layout.delivery(value["recipient"])
                    key = (value["recipient"], value["signal_id"])
                    assert key not in got, f"delivered twice: {key}"
                    got[key] = value
            if len(got) >= expected and settle is None:
                settle = time.monotonic() + 2
    finally:
        consumer.close()
    return got


def test_each_partner_receives_exactly_what_it_may_see(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path) -> None:
    _catch_all(settings, layout)
    docs = {
        "kvk-green-admin": valid_doc(partner="kvk", partner_ref=f"{uid}-1",
                                     distribution="tlp:green", purpose="administrative"),
        "riec-amber-criminal": valid_doc(partner_ref=f"{uid}-2", distribution="tlp:amber",
                                         purpose="criminal-law", narrative="Findings."),
        "zorg-strict-care": valid_doc(partner="zorg", partner_ref=f"{uid}-3",
                                      distribution="tlp:amber+strict", purpose="care",
                                      subjects=[_person("p1", "Kowalska", PATIENT)], relations=[]),
        "zorg-amber-prevention": valid_doc(
            partner="zorg", partner_ref=f"{uid}-4", distribution="tlp:amber", purpose="prevention",
            narrative="Patient says her papers are kept by the employer.",
            subjects=[_person("p1", "Nowak", PATIENT, BSN)], relations=[]),
        "tip-amber-criminal": valid_doc(partner="stichting-m", partner_ref=f"{uid}-5",
                                        distribution="tlp:amber", purpose="criminal-law",
                                        narrative="Anonymous: men sleep in the warehouse."),
        "riec-red": valid_doc(partner_ref=f"{uid}-6", distribution="tlp:red",
                              purpose="criminal-law"),
        "kvk-clear-prevention": valid_doc(partner="kvk", partner_ref=f"{uid}-7",
                                          distribution="tlp:clear", purpose="prevention"),
    }
    records = dict(zip(docs, resolve_docs(list(docs.values())), strict=True))
    expected = {
        "kvk-green-admin": RIECS | {"gemeente:GM0599", "inspectie-szw"},
        "riec-amber-criminal": (RIECS - {"riec"}) | {"om", "inspectie-szw", "reclassering"},
        "zorg-strict-care": set(),
        "zorg-amber-prevention": RIECS | {"gemeente:GM0599", "inspectie-szw"},
        "tip-amber-criminal": RIECS | {"om", "inspectie-szw", "reclassering"},
        "riec-red": set(),
        "kvk-clear-prevention": RIECS | {"zorg", "gemeente:GM0599", "inspectie-szw"},
    }
    with ServiceProcess("router", tmp_path / "router.log", env=_env(uid, tmp_path)) as router:
        _publish_resolved(settings, layout, list(records.values()))
        got = _deliveries(settings, layout, sum(len(v) for v in expected.values()))
        assert router.returncode is None, (tmp_path / "router.log").read_text()[-2000:]
    name_of = {r["signal_id"]: name for name, r in records.items()}
    delivered: dict[str, set[str]] = {name: set() for name in docs}
    for recipient, signal_id in got:
        delivered[name_of[signal_id]].add(recipient)
    assert delivered == expected

    def copy(name: str, recipient: str) -> dict[str, Any]:
        return got[(recipient, records[name]["signal_id"])]

    # healthcare narrative: the cleared enforcement partner reads it, the municipality does not;
    # a patient pseudonym goes to neither (no care purpose), a BSN pseudonym only to the cleared
    riec = copy("zorg-amber-prevention", "riec:den-haag")
    gemeente = copy("zorg-amber-prevention", "gemeente:GM0599")
    assert riec["signal"]["narrative"].startswith("Patient says")
    assert riec["signal"]["subjects"][0]["identifiers"] == [BSN]
    assert riec["redacted"] == ["subjects[p1].identifiers[0]"]
    assert "narrative" not in gemeente["signal"] and gemeente["signal"]["subjects"][0][
        "identifiers"] == []
    assert gemeente["redacted"] == ["narrative", "subjects[p1].identifiers[0]",
                                    "subjects[p1].identifiers[1]"]
    # an anonymous tip: its text to cleared partners, its case number to nobody
    for recipient in ("riec", "riec:limburg", "om"):
        tip = copy("tip-amber-criminal", recipient)
        assert tip["signal"]["narrative"].startswith("Anonymous")
        assert "partner_ref" not in tip["signal"] and tip["redacted"] == ["partner_ref"]
    for recipient in ("inspectie-szw", "reclassering"):  # not cleared for amber+strict
        assert "narrative" not in copy("tip-amber-criminal", recipient)["signal"]
    # a copy names its subscription, its registry version and a stable delivery id
    green = copy("kvk-green-admin", "riec")
    assert green["subscriptions"] == ["all"] and green["registry_version"] >= 1
    assert green["entities"] == [{k: e[k] for k in ("ref", "type", "role", "entity_id")}
                                 for e in records["kvk-green-admin"]["entities"]]
    # nothing sensitive in it: the copy is the signal as published
    assert green["redacted"] == [] and green["signal"]["subjects"] == \
        records["kvk-green-admin"]["signal"]["subjects"]
    assert green["signal"]["partner_ref"] == f"{uid}-1"


def _located(uid: str, ref: str, address: dict[str, Any]) -> dict[str, Any]:
    return valid_doc(partner="kvk", partner_ref=f"{uid}-{ref}", distribution="tlp:clear",
                     purpose="prevention",
                     subjects=[{"type": "location", "ref": "l1", "role": "location",
                                "address": address}], relations=[])


def test_a_subscription_changed_at_run_time_applies_to_the_next_signal(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path) -> None:
    first, breda, rotterdam = resolve_docs([_located(uid, "a", BREDA),
                                            _located(uid, "b", {**BREDA, "house_number": 14}),
                                            _located(uid, "c", ROTTERDAM)])
    with ServiceProcess("router", tmp_path / "router.log", env=_env(uid, tmp_path)), \
            Publisher(settings.kafka) as publisher:
        # the shipped registry: the municipality follows its own territory only; the RIEC of
        # the region (Breda: Zeeland-West-Brabant) and the generic riec follow business barriers
        _publish_resolved(settings, layout, [first])
        before = _deliveries(settings, layout, 3)
        assert {r for r, _ in before} == {"riec", "riec:zeeland-west-brabant", "inspectie-szw"}
        entry = load_registry().entry("gemeente:GM0599").model_dump(mode="json")
        entry.pop("partner_id")
        entry["subscriptions"] = [{"name": "territory", "regions": ["RR", "ZWB"]}]
        version = publish_change(publisher, layout, "gemeente:GM0599",
                                 parse_entry("gemeente:GM0599", entry))
        time.sleep(1)  # the router reads the registry topic continuously
        _publish_resolved(settings, layout, [breda, rotterdam])
        after = _deliveries(settings, layout, 3 + 4 + 4)
    got = after[("gemeente:GM0599", breda["signal_id"])]
    assert got["registry_version"] == version and got["subscriptions"] == ["territory"]
    assert ("gemeente:GM0599", rotterdam["signal_id"]) in after
    assert ("riec:rotterdam", breda["signal_id"]) not in after


def test_a_municipality_switched_on_by_its_cbs_code_and_a_regional_riec_receive_their_signals(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ketenlink.cli import app

    monkeypatch.setenv("KETENLINK_TOPIC_PREFIX", f"{uid}.")
    runner = CliRunner()
    done = runner.invoke(app, ["partners", "enable", "gemeente:GM0772", "--by", "ana"])
    assert done.exit_code == 0, done.output
    assert "delivery topic created" in done.output
    again = runner.invoke(app, ["partners", "enable", "gemeente:GM0772", "--by", "ana"])
    assert again.exit_code == 1 and "on already" in again.output
    unknown = runner.invoke(app, ["partners", "enable", "gemeente:GM0001", "--by", "ana"])
    assert unknown.exit_code == 1 and "not a CBS municipality code" in unknown.output

    eindhoven, rotterdam = resolve_docs([_located(uid, "e", EINDHOVEN),
                                         _located(uid, "r", ROTTERDAM)])
    with ServiceProcess("router", tmp_path / "router.log", env=_env(uid, tmp_path)) as router:
        _publish_resolved(settings, layout, [eindhoven, rotterdam])
        consumer = KafkaConsumer(layout.delivery("gemeente:GM0772"),
                                 bootstrap_servers=settings.kafka.bootstrap_servers,
                                 auto_offset_reset="earliest", enable_auto_commit=False)
        helmond: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while not helmond and time.monotonic() < deadline:
            helmond += [json.loads(r.value) for b in consumer.poll(timeout_ms=300).values()
                        for r in b]
        consumer.close()
        got = _deliveries(settings, layout, 3 + 4)
        assert router.returncode is None, (tmp_path / "router.log").read_text()[-2000:]
    assert layout.delivery("gemeente:GM0772") == f"{uid}.deliveries.gemeente.gm0772"
    assert [(d["recipient"], d["signal_id"], d["subscriptions"]) for d in helmond] == [
        ("gemeente:GM0772", eindhoven["signal_id"], ["territory"])]
    receivers = {signal: {r for r, s in got if s == signal}
                 for signal in (eindhoven["signal_id"], rotterdam["signal_id"])}
    assert receivers[eindhoven["signal_id"]] == {"riec", "riec:oost-brabant", "inspectie-szw"}
    assert receivers[rotterdam["signal_id"]] == {"riec", "riec:rotterdam", "inspectie-szw",
                                                 "gemeente:GM0599"}


def test_a_record_that_is_not_a_resolved_record_is_parked(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path) -> None:
    (good,) = resolve_docs([valid_doc(partner="kvk", partner_ref=f"{uid}-ok",
                                   distribution="tlp:clear", purpose="prevention")])
    with ServiceProcess("router", tmp_path / "router.log", env=_env(uid, tmp_path)) as router, \
            Publisher(settings.kafka) as publisher:
        publisher.publish(layout.resolved, b"x", b'{"signal_id": "x"}')
        publisher.publish(layout.resolved, good["signal_id"].encode(),
                          json.dumps(good).encode())
        consumer = KafkaConsumer(layout.rejected,
                                 bootstrap_servers=settings.kafka.bootstrap_servers,
                                 auto_offset_reset="earliest", enable_auto_commit=False)
        parked: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while not parked and time.monotonic() < deadline:
            parked += [json.loads(r.value) for b in consumer.poll(timeout_ms=300).values()
                       for r in b]
        consumer.close()
        assert router.returncode is None
    assert parked and "not a resolved record" in parked[0]["reason"]
    assert parked[0]["source_topic"] == layout.resolved


def test_the_partners_cli_changes_the_registry_and_audits_it(
        settings: Settings, layout: TopicLayout, uid: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ketenlink.cli import app
    from policy.live import LiveRegistry

    monkeypatch.setenv("KETENLINK_TOPIC_PREFIX", f"{uid}.")
    runner = CliRunner()
    done = runner.invoke(app, ["partners", "subscribe", "om", "watch", "--watch", "P-x",
                               "--watch", "P-y", "--region", "ZWB", "--by", "ana"])
    assert done.exit_code == 0, done.output
    assert "registry version 1" in done.output
    refused = runner.invoke(app, ["partners", "subscribe", "om", "bad", "--region", "XX",
                                  "--by", "ana"])
    assert refused.exit_code == 1 and "unknown region(s) ['XX']" in refused.output
    hook = runner.invoke(app, ["partners", "webhook", "kvk", "--url",
                               "http://partner.example/x", "--by", "ana"])
    assert hook.exit_code == 1 and "loopback only" in hook.output
    with LiveRegistry(settings.kafka.bootstrap_servers, layout.registry,
                      load_registry()) as live:
        live.catch_up(30)
        om = live.current().entry("om")
    assert live.current().version == 1  # the refused changes were never written
    watch = {s.name: s for s in om.subscriptions}["watch"]
    assert watch.watchlist == ("P-x", "P-y") and watch.regions == ("ZWB",)
    assert "serious-cases" in {s.name for s in om.subscriptions}
    assert runner.invoke(app, ["partners", "reset", "om", "--by", "ana"]).exit_code == 0
    with LiveRegistry(settings.kafka.bootstrap_servers, layout.registry,
                      load_registry()) as live:
        live.catch_up(30)
        assert live.current().entry("om") == load_registry().entry("om")
    audit = KafkaConsumer(layout.audit_log,
                          bootstrap_servers=settings.kafka.bootstrap_servers,
                          auto_offset_reset="earliest", enable_auto_commit=False,
                          consumer_timeout_ms=3000)
    actions = [json.loads(r.value)["action"] for r in audit]
    audit.close()
    assert actions == ["registry.subscribe watch", "registry.reset"]
