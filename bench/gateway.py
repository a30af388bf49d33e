"""How fast the gateway publishes, against publishing the same records straight to Kafka.

``bench_gateway`` serves the real app with uvicorn on a free loopback port, posts generated
signals over HTTP, then publishes the same records directly with a ``Publisher``; both land on
the layout's real inbound topic of one partner.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import structlog

from core.http_serving import serve_in_background
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout
from producers.exceptions import GatewayBenchError
from producers.gateway.app import SIGNALS_PATH, create_gateway_app
from producers.gateway.payload import Body, validate
from producers.gateway.tokens import TokenStore
from producers.pseudonym import Pseudonymiser

log = structlog.get_logger(__name__)

SAMPLE_BSN = "111222333"
"""Passes the elfproef; a test number, not a person's."""


def sample_signal(partner: str, partner_ref: str, bsn: str = SAMPLE_BSN) -> dict[str, Any]:
    """A valid Signal v1 document as a partner sends it: a person with a clear BSN (the gateway
    pseudonymises it), a business, an address, a phone and a bank account, with relations."""
    address = {"street": "Hoogstraat", "house_number": 12, "house_number_addition": "A",
               "postcode": "4811 AB", "city": "Breda", "municipality": "Breda", "country": "NL"}
    return {
        "partner": partner,
        "partner_ref": partner_ref,
        "observed_at": "2026-03-02T09:00:00+01:00",
        "reported_at": "2026-03-04T10:12:00+01:00",
        "category": "labour",
        "barrier_stages": ["housing", "work"],
        "indicators": ["ADM-OVERCROWDING", "DEP-HOUSING"],
        "severity": "high",
        "distribution": "tlp:amber",
        "purpose": "administrative",
        "legal_basis": "Convenant RIEC/LIEC 2019, art. 5",
        "subjects": [
            {"ref": "p1", "type": "person", "role": "suspect", "given_name": "Dragos",
             "family_name": "Popescu", "birth_date": "1984-07-12", "nationality": "RO",
             "identifiers": [{"scheme": "bsn", "value": bsn}], "address": dict(address)},
            {"ref": "b1", "type": "business", "role": "owner", "kvk_number": "81234567",
             "trade_name": "Schoonmaakbedrijf Popescu", "legal_form": "eenmanszaak",
             "sbi_code": "8121", "address": dict(address)},
            {"ref": "l1", "type": "location", "role": "location", "address": dict(address)},
            {"ref": "t1", "type": "phone", "role": "instrument", "number": "06-12345678"},
            {"ref": "a1", "type": "bank_account", "role": "instrument",
             "iban": "NL91ABNA0417164300"},
        ],
        "relations": [
            {"source": "p1", "type": "OWNS", "target": "b1"},
            {"source": "b1", "type": "LOCATED_AT", "target": "l1"},
            {"source": "p1", "type": "USES", "target": "t1"},
            {"source": "p1", "type": "USES", "target": "a1"},
        ],
        "narrative": "Bij controle 14 matrassen aangetroffen boven de zaak.",
    }


def bench_gateway(settings: Settings, layout: TopicLayout, n: int, batch: int) -> dict[str, Any]:
    """Post ``n`` signals in batches of ``batch`` through the gateway, then publish the same
    records directly; returns counts, seconds, signals/s of each and ``ratio`` (gateway/direct).

    Uses a throw-away token file and lifts the rate limit for the run; every other gateway
    setting (body size, batch size) applies as configured. The inbound topic of the layout's
    first partner must exist.
    """
    if n < 1 or not 1 <= batch <= settings.gateway.max_batch:
        raise ValueError(f"need n >= 1 and 1 <= batch <= {settings.gateway.max_batch}")
    partner = layout.partners[0]
    run = uuid.uuid4().hex[:8]
    docs = [sample_signal(partner, f"bench-{run}-{i}") for i in range(n)]
    chunks = [docs[i:i + batch] for i in range(0, n, batch)]
    pseudonymiser = Pseudonymiser(settings.pseudonym_key)
    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-") as tmp:
        bench_settings = settings.model_copy(update={"gateway": settings.gateway.model_copy(
            update={"tokens_file": Path(tmp) / "tokens.json", "rate_limit_per_minute": 60 * n})})
        tokens = TokenStore(bench_settings.gateway.tokens_file)
        token = tokens.create(partner)
        with Publisher(settings.kafka, client_id="ketenlink-bench") as publisher:
            app = create_gateway_app(bench_settings, publisher, tokens, pseudonymiser, layout)
            with serve_in_background(app) as base_url, httpx.Client(
                    base_url=base_url, timeout=60.0,
                    headers={"Authorization": f"Bearer {token}"}) as client:
                gateway_s = _timed_posts(client, chunks)
            topic = layout.inbound_of(partner)
            records = [[(f"{s.partner}/{s.partner_ref}".encode(), s.model_dump_json().encode())
                        for s in validate(Body(items=chunk, batch=True), pseudonymiser)]
                       for chunk in chunks]
            t0 = time.perf_counter()
            for chunk_records in records:
                publisher.publish_many(topic, chunk_records)
            direct_s = time.perf_counter() - t0
    result = {"signals": n, "batch": batch, "partner": partner,
              "gateway_s": round(gateway_s, 3), "gateway_signals_per_s": round(n / gateway_s, 1),
              "direct_s": round(direct_s, 3), "direct_signals_per_s": round(n / direct_s, 1),
              "ratio": round(direct_s / gateway_s, 3)}
    log.info("gateway.bench", **result)
    return result


def _timed_posts(client: httpx.Client, chunks: list[list[dict[str, Any]]]) -> float:
    t0 = time.perf_counter()
    for chunk in chunks:
        response = client.post(SIGNALS_PATH, json={"signals": chunk})
        if response.status_code != 202:
            raise GatewayBenchError(response.status_code, response.text[:500])
    return time.perf_counter() - t0
