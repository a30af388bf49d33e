"""Canary identities through the whole platform: a reporter's and a patient's identity must
never pass the source.

Records carrying canaries (a reporter's name, phone and e-mail address, a patient's name and
number, a clear BSN) enter through the Stichting M. and zorg file adapters and through the HTTP
gateway (as stichting-m and zorg). Worker, router, graph sink and gateway run as real processes
(``PipelineWorld``) on this test's topics. When everything has arrived (in Neo4j, resolved and
delivered as routing predicts), every topic after the source (all but ``signals.in.*``, faust's
changelogs included), the Neo4j nodes and relationships around the test's signals and every
string property in the whole database, and the logs of worker, sink, router and gateway are
searched for the canaries in any spelling: zero hits.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import httpx
import pytest
from kafka import KafkaAdminClient
from neo4j import Driver

from bench.deidentify_eval import survivors
from core.publisher import Publisher
from core.settings import Settings
from infra.stack import ServerStatus
from producers.adapters.base import Parsed
from producers.adapters.stichting_m import StichtingMAdapter
from producers.adapters.zorg import ZorgAdapter
from producers.deidentify import national_digits
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal
from tests.integration.faults.pipeline_world import (
    LoadReport,
    PipelineWorld,
    read_back,
    records_to_end,
)

REPORTER = "Wiepkje Kraaijeveld-Oostermeijer"  # names no generated person has
REPORTER_PHONE = "+31 6 4123 9876"
REPORTER_EMAIL = "w.kraaijeveld@canarymail.example"
PATIENT = "Ludmila Ostrowska-Wierzbicka"
PATIENT_ID = "PX-CANARY-5521"
CARE_WORKER = "Gerdien Haverkamp"
BSN = "271828183"
CANARIES = ["Wiepkje", "Kraaijeveld", "Oostermeijer", REPORTER_PHONE, "06-41239876",
            REPORTER_EMAIL, "canarymail", "Ludmila", "Ostrowska", "Wierzbicka", PATIENT_ID,
            "Gerdien", "Haverkamp", BSN]
"""What must not be found anywhere after the source; phone numbers and the BSN are matched
by their digits in any spelling."""
SUSPECT_PHONE = "+31651827364"  # a subject: it must arrive


def _tip(ref: str) -> dict[str, object]:
    return {"tip_id": ref, "ontvangen": "2026-03-05T21:40:00+01:00", "gemeente": "Rotterdam",
            "melder": {"naam": REPORTER, "telefoon": REPORTER_PHONE, "email": REPORTER_EMAIL},
            "tekst": "Bij de autowasstraat 'Canary Wash' slapen mannen in de loods en de baas "
                     "houdt hun paspoort. Hij belt met 06-51827364. Het BSN van een van hen is "
                     f"{BSN}. Ik durf dit niet onder mijn naam te melden. {REPORTER}, "
                     "buurvrouw, 06 4123 9876, W.Kraaijeveld@canarymail.example"}


def _report(ref: str) -> dict[str, object]:
    return {"melding_id": ref, "instelling": "SEH Canary", "datum": "2026-03-04T02:15:00+01:00",
            "patient_id": PATIENT_ID, "bsn": BSN, "patient_naam": PATIENT,
            "geschatte_leeftijd": 19, "vermoedelijke_vorm": "seksueel",
            "indicatoren": ["SIT-INJURIES"],
            "begeleider": {"telefoon": "06-51827364", "omschrijving": "man met Duits accent"},
            "toelichting": f"Mevrouw Ostrowska-Wierzbicka (BSN {BSN[:3]} {BSN[3:6]} {BSN[6:]}) "
                           "kwam met blauwe plekken binnen. Met vriendelijke groet, "
                           f"{CARE_WORKER}, SEH-verpleegkundige",
            "klinische_notitie": f"{PATIENT}: fractuur"}


def _gateway_docs(uid: str) -> dict[str, dict[str, object]]:
    base = {"observed_at": "2026-03-05T21:40:00+01:00", "reported_at": "2026-03-05T21:40:00+01:00",
            "severity": "medium", "distribution": "tlp:amber+strict"}
    return {
        "stichting-m": {**base, "partner": "stichting-m", "partner_ref": f"M-GW-{uid}",
                        "category": "labour", "purpose": "criminal-law",
                        "legal_basis": "Anonymous tip via Meld Misdaad Anoniem (M.)",
                        "subjects": [{"type": "phone", "ref": "t1", "role": "instrument",
                                      "number": SUSPECT_PHONE}],
                        "narrative": "In de loods achter 'Canary Wash' slapen mannen. Mijn naam "
                                     f"is {REPORTER}, bel me op 06 4123 9876 of mail "
                                     f"{REPORTER_EMAIL}. Het BSN van een jongen is {BSN}."},
        "zorg": {**base, "partner": "zorg", "partner_ref": f"Z-GW-{uid}", "category": "sexual",
                 "purpose": "care", "legal_basis": "Wgbo art. 7:457 lid 3; Meldcode",
                 "subjects": [{"type": "person", "ref": "v1", "role": "victim",
                               "identifiers": [{"scheme": "bsn", "value": BSN}]}],
                 "narrative": f"Patiënte {PATIENT} (BSN {BSN}) kwam met blauwe plekken. "
                              f"Met vriendelijke groet, {CARE_WORKER}, SEH"},
    }


def _adapter_signals(settings: Settings, folder: Path, uid: str) -> list[Signal]:
    folder.mkdir(parents=True, exist_ok=True)
    tips, reports = folder / "tips.jsonl", folder / "zorg.jsonl"
    tips.write_text(json.dumps(_tip(f"M-{uid}")) + "\n", encoding="utf-8")
    reports.write_text(json.dumps(_report(f"Z-{uid}")) + "\n", encoding="utf-8")
    results = [*StichtingMAdapter().read(tips),
               *ZorgAdapter(Pseudonymiser(settings.pseudonym_key)).read(reports)]
    assert all(isinstance(r, Parsed) for r in results), results
    return [r.signal for r in results if isinstance(r, Parsed)]


def _raw_topic_texts(settings: Settings, topics: list[str]) -> dict[str, str]:
    """Every record of ``topics`` (key, value, headers) up to the end offsets, as text; JSON
    values also re-encoded without \\u escapes."""
    texts: dict[str, list[str]] = {t: [] for t in topics}
    for record in records_to_end(settings, topics):
        for blob in (record.key or b"", record.value or b"",
                     *(v for _, v in record.headers or [])):
            text = blob.decode("utf-8", errors="replace")
            texts[record.topic].append(text)
            with contextlib.suppress(ValueError):
                texts[record.topic].append(json.dumps(json.loads(text), ensure_ascii=False))
    return {t: "\n".join(v) for t, v in texts.items()}


_NEIGHBOURHOOD = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})
OPTIONAL MATCH (s)-[r]-(m)
OPTIONAL MATCH (m)-[r2]-(o)
RETURN properties(s) AS s, collect(DISTINCT properties(r)) AS r, collect(DISTINCT properties(m)) AS m,
       collect(DISTINCT properties(r2))[..500] AS r2, collect(DISTINCT properties(o))[..500] AS o
"""

_WHOLE_GRAPH = """
MATCH (n)
WITH n, [k IN keys(n) | n[k]] AS values
WITH n, [v IN values WHERE v IS :: STRING] +
        reduce(acc = [], v IN [v IN values WHERE v IS :: LIST<ANY>] | acc + [x IN v | toString(x)])
        AS texts
WHERE any(t IN texts WHERE any(needle IN $needles WHERE toLower(t) CONTAINS needle))
RETURN labels(n) AS where, properties(n) AS props LIMIT 5
UNION ALL
MATCH ()-[n]->()
WITH n, [k IN keys(n) | n[k]] AS values
WITH n, [v IN values WHERE v IS :: STRING] +
        reduce(acc = [], v IN [v IN values WHERE v IS :: LIST<ANY>] | acc + [x IN v | toString(x)])
        AS texts
WHERE any(t IN texts WHERE any(needle IN $needles WHERE toLower(t) CONTAINS needle))
RETURN [type(n)] AS where, properties(n) AS props LIMIT 5
"""


def _needles() -> list[str]:
    """Compact lower-case forms for a server-side search of every string in the graph."""
    phone = national_digits(REPORTER_PHONE) or ""
    return sorted({c.lower() for c in CANARIES if not any(ch.isdigit() for ch in c)} |
                  {phone, "0" + phone, "+31" + phone, BSN, PATIENT_ID.lower()})


@pytest.mark.timeout(600)
def test_canary_identities_never_pass_the_source(stack: list[ServerStatus], settings: Settings,
                                                 admin: KafkaAdminClient, driver: Driver,
                                                 uid: str, tmp_path: Path) -> None:
    started = time.monotonic()
    from_files = _adapter_signals(settings, tmp_path / "exports", uid)
    with PipelineWorld(settings, admin, uid, tmp_path / "world") as world:
        layout = world.layout
        with Publisher(settings.kafka, client_id=f"{uid}-canary") as publisher:
            for signal in from_files:
                publisher.publish(layout.inbound_of(signal.partner),
                                  f"{signal.partner}/{signal.partner_ref}".encode(),
                                  signal.model_dump_json().encode())
        via_gateway: list[Signal] = []
        with httpx.Client(base_url=world.gateway_url, timeout=60) as client:
            for partner, doc in _gateway_docs(uid).items():
                answer = client.post("/v1/signals", json=doc,
                                     headers={"Authorization": f"Bearer {world.tokens[partner]}"})
                assert answer.status_code == 202, answer.text
                via_gateway.append(Signal.model_validate_json(json.dumps(
                    {**doc, "subjects": [], "narrative": None})))
        everything = [*from_files, *via_gateway]
        arrival = read_back(world, driver, LoadReport(offered=everything, acknowledged=everything),
                            timeout=120)
        assert arrival.problems() == []
        assert {str(s.signal_id) for s in everything} <= arrival.in_graph
        world.check()
        logs = {name: world.log_of(name) for name in world.services}

    # Every topic after the source, faust's changelogs included.
    mine = sorted(t for t in admin.list_topics() if t.startswith((f"{uid}.", f"{uid}-"))
                  and not t.startswith(f"{uid}.signals.in."))
    assert layout.resolved in mine and any(".deliveries." in t for t in mine)
    texts = _raw_topic_texts(settings, mine)
    assert sum(len(t) for t in texts.values()) > 0
    hits = {topic: survivors(text, CANARIES) for topic, text in texts.items()}
    assert {t: h for t, h in hits.items() if h} == {}
    resolved = texts[layout.resolved]
    assert SUSPECT_PHONE in resolved and "Canary Wash" in resolved  # subjects did arrive

    # Neo4j: the test's signals, their neighbours and theirs; then every string in the graph.
    ids = sorted(str(s.signal_id) for s in everything)
    records, _, _ = driver.execute_query(_NEIGHBOURHOOD, ids=ids,
                                         database_=settings.neo4j.database)
    assert len(records) == len(ids)
    graph_text = json.dumps([r.data() for r in records], ensure_ascii=False, default=str)
    assert SUSPECT_PHONE in graph_text
    assert survivors(graph_text, CANARIES) == []
    found, _, _ = driver.execute_query(_WHOLE_GRAPH, needles=_needles(),
                                       database_=settings.neo4j.database)
    assert [r.data() for r in found] == []

    # The logs of worker, sink, router and gateway.
    assert set(logs) == {"worker", "sink", "router", "gateway"}
    assert all(logs.values())
    assert {name: survivors(text, CANARIES) for name, text in logs.items()
            if survivors(text, CANARIES)} == {}
    print(f"canary test: {len(everything)} signals, {len(mine)} topics, "
          f"{time.monotonic() - started:.0f} s")
