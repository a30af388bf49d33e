"""The HTTP gateway against the real broker: what a partner gets back, and exactly what landed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from anyio.from_thread import BlockingPortal, start_blocking_portal
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from bench.gateway import SAMPLE_BSN, bench_gateway, sample_signal
from core.logging import configure_logging
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout, apply_topics
from infra.stack import ServerStatus
from policy.retention import topic_layout
from producers.gateway.app import create_gateway_app
from producers.gateway.tokens import TokenStore
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal, signal_id_for

PARTNER = "riec"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Client:
    """A synchronous face on httpx's ASGI transport: the app runs on a portal's event loop."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal, self._client = portal, client

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(partial(self._client.get, url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(partial(self._client.post, url, **kwargs))


@dataclass
class Gateway:
    client: Client
    layout: TopicLayout
    tokens: TokenStore
    token: str
    clock: FakeClock

    def post(self, body: Any, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.client.post("/v1/signals", json=body, headers=headers)


MakeGateway = Callable[..., Gateway]


@pytest.fixture(scope="module")
def publisher(stack: list[ServerStatus], settings: Settings) -> Iterator[Publisher]:
    with Publisher(settings.kafka, client_id="ketenlink-gateway-tests") as shared:
        yield shared


@pytest.fixture
def layout(admin: KafkaAdminClient, uid: str) -> TopicLayout:
    """This test's own inbound topics (the rest of the spec is not needed here)."""
    topics = topic_layout(prefix=f"{uid}.")
    apply_topics(admin, [t for t in topics.topics if t.name in topics.inbound()])
    return topics


@pytest.fixture
def make_gateway(settings: Settings, publisher: Publisher, layout: TopicLayout,
                 tmp_path: Path) -> Iterator[MakeGateway]:
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())

        def make(*, on: TopicLayout = layout, via: Publisher = publisher,
                 **gateway: Any) -> Gateway:
            gateway.setdefault("tokens_file", tmp_path / "gateway" / "tokens.json")
            local = settings.model_copy(update={
                "gateway": settings.gateway.model_copy(update=gateway)})
            tokens = TokenStore(local.gateway.tokens_file)
            clock = FakeClock()
            app = create_gateway_app(local, via, tokens, Pseudonymiser(settings.pseudonym_key),
                                     on, clock=clock)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                       base_url="http://gateway.test")
            stack.callback(portal.call, client.aclose)
            return Gateway(Client(portal, client), on, tokens, tokens.create(PARTNER), clock)
        yield make


def _landed(settings: Settings, layout: TopicLayout, partner: str = PARTNER
            ) -> list[ConsumerRecord]:
    """Every record on the partner's inbound topic, read up to the end offsets."""
    topic = layout.inbound_of(partner)
    spec = next(t for t in layout.topics if t.name == topic)
    parts = [TopicPartition(topic, p) for p in range(spec.partitions)]
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             enable_auto_commit=False)
    try:
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        got: list[ConsumerRecord] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in parts):
            assert time.monotonic() < deadline, "records below the end offsets never arrived"
            for batch in consumer.poll(timeout_ms=500).values():
                got.extend(batch)
        return got
    finally:
        consumer.close()


def _no_clear_bsn(records: list[ConsumerRecord]) -> None:
    for record in records:
        blobs = [record.key or b"", record.value, *(v for _, v in record.headers or [])]
        assert all(SAMPLE_BSN.encode() not in blob for blob in blobs)


def _paths(response: httpx.Response) -> list[str]:
    return [error["path"] for error in response.json()["errors"]]


# -- accepted -----------------------------------------------------------------------------------

def test_one_signal_is_published_pseudonymised_with_its_offset(
        make_gateway: MakeGateway, settings: Settings) -> None:
    gw = make_gateway()
    response = gw.post(sample_signal(PARTNER, "RIEC-2026-0001"))

    assert response.status_code == 202, response.text
    [accepted] = response.json()["accepted"]
    topic = gw.layout.inbound_of(PARTNER)
    assert accepted["signal_id"] == signal_id_for(PARTNER, "RIEC-2026-0001")
    assert accepted["partner_ref"] == "RIEC-2026-0001" and accepted["topic"] == topic

    [record] = _landed(settings, gw.layout)
    assert (record.partition, record.offset) == (accepted["partition"], accepted["offset"])
    assert record.key == b"riec/RIEC-2026-0001"
    signal = Signal.model_validate_json(record.value)
    assert signal.signal_id == accepted["signal_id"]
    person = signal.subjects[0]
    assert person.type == "person"
    pseudonym = Pseudonymiser(settings.pseudonym_key).bsn(SAMPLE_BSN)
    assert [(i.scheme, i.value) for i in person.identifiers] == [("bsn-pseudonym", pseudonym)]
    _no_clear_bsn([record])
    assert SAMPLE_BSN not in response.text


def test_a_batch_is_published_in_order_with_every_offset(
        make_gateway: MakeGateway, settings: Settings) -> None:
    gw = make_gateway()
    refs = [f"RIEC-2026-{i:04d}" for i in range(12)]
    response = gw.post({"signals": [sample_signal(PARTNER, ref) for ref in refs]})

    assert response.status_code == 202, response.text
    accepted = response.json()["accepted"]
    assert [a["partner_ref"] for a in accepted] == refs
    landed = {(r.partition, r.offset): r for r in _landed(settings, gw.layout)}
    assert len(landed) == len(refs)
    for item in accepted:
        record = landed[(item["partition"], item["offset"])]
        assert record.key == f"riec/{item['partner_ref']}".encode()
        assert json.loads(record.value)["signal_id"] == item["signal_id"]
    _no_clear_bsn(list(landed.values()))


def test_healthz_and_the_documented_api(make_gateway: MakeGateway) -> None:
    client = make_gateway().client
    assert client.get("/healthz").json() == {"status": "ok"}
    api = client.get("/openapi.json").json()
    post = api["paths"]["/v1/signals"]["post"]
    assert {ref["$ref"] for ref in post["requestBody"]["content"]["application/json"]["schema"]
            ["oneOf"]} == {"#/components/schemas/Signal", "#/components/schemas/SignalBatch"}
    assert post["responses"]["202"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/Accepted")
    for status in ("401", "403", "413", "422", "429", "503"):
        assert status in post["responses"]
    schemas = api["components"]["schemas"]
    assert {"bsn", "patient-id", "bsn-pseudonym"} <= set(schemas["IdentifierScheme"]["enum"])
    assert "Person" in schemas and "ValidationProblem" in schemas


def test_the_docs_pages_are_off_unless_enabled_for_development(make_gateway: MakeGateway
                                                               ) -> None:
    client = make_gateway().client
    for page in ("/docs", "/redoc"):
        assert client.get(page).status_code == 404  # they load scripts from a public CDN
    assert client.get("/openapi.json").status_code == 200
    developing = make_gateway(api_docs=True).client
    page = developing.get("/docs")
    assert page.status_code == 200 and "content-security-policy" not in page.headers
    assert developing.get("/redoc").status_code == 200


def test_every_answer_forbids_sniffing_framing_scripts_and_caching(make_gateway: MakeGateway
                                                                    ) -> None:
    gw = make_gateway()
    answers = [gw.post(sample_signal(PARTNER, "RIEC-HDR")), gw.post({"partner": PARTNER}),
               gw.post(sample_signal(PARTNER, "RIEC-HDR"), token="kl1.nope.nope"),
               gw.client.get("/openapi.json"), gw.client.get("/healthz"),
               gw.client.get("/nothing-here")]
    assert [a.status_code for a in answers] == [202, 422, 401, 200, 200, 404]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == \
            "default-src 'none'; frame-ancestors 'none'"
        assert answer.headers["cache-control"] == "no-store"


# -- refused before anything is read ------------------------------------------------------------

def test_missing_wrong_and_revoked_tokens_get_401(make_gateway: MakeGateway,
                                                  settings: Settings) -> None:
    gw = make_gateway()
    body = sample_signal(PARTNER, "RIEC-401")
    prefix, token_id, secret = gw.token.split(".")
    attempts = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {gw.token}"},
        {"Authorization": f"Bearer {prefix}.{token_id}.{secret[::-1]}"},
        {"Authorization": "Bearer kl1.000000000000.nope"},
    ]
    for headers in attempts:
        response = gw.client.post("/v1/signals", json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="ketenlink"')
    assert gw.tokens.revoke(PARTNER) == 1
    revoked = gw.post(body)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]
    assert _landed(settings, gw.layout) == []


def test_a_partner_cannot_publish_as_another(make_gateway: MakeGateway,
                                             settings: Settings) -> None:
    gw = make_gateway()
    single = gw.post(sample_signal("kvk", "KVK-1"))
    assert single.status_code == 403
    assert "riec" in single.json()["detail"]
    batch = gw.post({"signals": [sample_signal(PARTNER, "R-1"), sample_signal("zorg", "Z-1")]})
    assert batch.status_code == 403
    assert "[1]" in batch.json()["detail"]
    for partner in gw.layout.partners:
        assert _landed(settings, gw.layout, partner) == []


def test_a_regional_riec_publishes_as_itself_on_its_kinds_topic_and_only_as_itself(
        make_gateway: MakeGateway, settings: Settings) -> None:
    gw = make_gateway()
    token = gw.tokens.create("riec:den-haag")
    elsewhere = gw.post(sample_signal("riec:rotterdam", "DH-1"), token=token)
    assert elsewhere.status_code == 403 and "'riec:den-haag'" in elsewhere.json()["detail"]
    generic = gw.post(sample_signal("riec", "DH-2"), token=token)
    assert generic.status_code == 403
    response = gw.post(sample_signal("riec:den-haag", "DH-3"), token=token)
    assert response.status_code == 202, response.text
    [accepted] = response.json()["accepted"]
    assert accepted["topic"] == gw.layout.inbound_of("riec") == gw.layout.inbound_of("riec:den-haag")
    [record] = _landed(settings, gw.layout)
    assert record.key == b"riec:den-haag/DH-3"
    assert Signal.model_validate_json(record.value).partner == "riec:den-haag"


def test_a_partner_outside_the_topic_spec_gets_403(make_gateway: MakeGateway) -> None:
    gw = make_gateway()
    token = gw.tokens.create("politie")
    response = gw.post(sample_signal("politie", "POL-1"), token=token)
    assert response.status_code == 403
    assert "no inbound topic" in response.json()["detail"]


def test_oversized_bodies_get_413(make_gateway: MakeGateway, settings: Settings) -> None:
    gw = make_gateway(max_body_bytes=4096)
    body = {"signals": [sample_signal(PARTNER, f"R-{i}") for i in range(5)]}
    assert len(json.dumps(body)) > 4096
    assert gw.post(body).status_code == 413  # by Content-Length

    async def chunks() -> AsyncIterator[bytes]:
        raw = json.dumps(body).encode()
        for i in range(0, len(raw), 1000):
            yield raw[i:i + 1000]

    streamed = gw.client.post("/v1/signals", content=chunks(), headers={
        "Authorization": f"Bearer {gw.token}", "Content-Type": "application/json"})
    assert streamed.status_code == 413  # chunked, no Content-Length: by the bytes received
    assert _landed(settings, gw.layout) == []


def test_a_body_that_is_not_json_gets_415(make_gateway: MakeGateway) -> None:
    gw = make_gateway()
    response = gw.client.post("/v1/signals", content=b"partner=riec", headers={
        "Authorization": f"Bearer {gw.token}",
        "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


# -- refused by the contract --------------------------------------------------------------------

def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = doc
    for part in parents:
        node = node[part]
    node[last] = value
    return doc


@pytest.mark.parametrize(("path", "value", "error_path", "says"), [
    ("subjects.2.address.postcode", "0123 AB", "subjects.2.location.address.postcode",
     "postcode"),
    ("subjects.4.iban", "NL00ABNA0417164300", "subjects.4.bank_account.iban", "IBAN"),
    ("subjects.0.identifiers.0.value", "123456789", "subjects.0.person.identifiers.0.value",
     "BSN"),
    ("indicators", ["DEP-HOUSING", "XXX-NOT-A-CODE"], "", "XXX-NOT-A-CODE"),
    ("subjects.0.family_name", "<script>alert(1)</script>", "subjects.0.person.family_name",
     "<"),
    ("subjects.1.trade_name", "Acme'}) MATCH (n) DETACH DELETE n //",
     "subjects.1.business.trade_name", "}"),
])
def test_invalid_signals_get_422_naming_the_field(make_gateway: MakeGateway, settings: Settings,
                                                  path: str, value: Any, error_path: str,
                                                  says: str) -> None:
    gw = make_gateway()
    response = gw.post(_set(sample_signal(PARTNER, "RIEC-422"), path, value))

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == error_path and error["index"] is None
    assert says in error["msg"]
    assert SAMPLE_BSN not in response.text
    assert _landed(settings, gw.layout) == []


def test_invalid_json_gets_422(make_gateway: MakeGateway) -> None:
    gw = make_gateway()
    response = gw.client.post("/v1/signals", content=b'{"partner": "riec",', headers={
        "Authorization": f"Bearer {gw.token}", "Content-Type": "application/json"})
    assert response.status_code == 422
    assert _paths(response) == ["body"]


def test_a_small_batch_of_broken_signals_gets_a_small_422(make_gateway: MakeGateway,
                                                          settings: Settings) -> None:
    gw = make_gateway()
    body = {"signals": [{"partner": PARTNER, "x" * 300: 1}] * settings.gateway.max_batch}
    sent = len(json.dumps(body))
    response = gw.post(body)
    assert response.status_code == 422
    answer = response.json()
    assert len(answer["errors"]) == 50 and answer["errors_omitted"] > 1000
    assert f"the first 50 of {50 + answer['errors_omitted']} issues are listed" \
        in answer["detail"]
    assert [e["index"] for e in answer["errors"]][:2] == [0, 0]  # request order
    assert all(len(part) <= 101 for e in answer["errors"] for part in e["path"].split("."))
    assert len(response.content) < sent / 5, (len(response.content), sent)
    assert _landed(settings, gw.layout) == []


def test_one_bad_signal_in_a_batch_publishes_nothing(make_gateway: MakeGateway,
                                                     settings: Settings) -> None:
    gw = make_gateway()
    bad = _set(sample_signal(PARTNER, "R-1"), "subjects.3.number", "12")
    response = gw.post({"signals": [sample_signal(PARTNER, "R-0"), bad,
                                    sample_signal(PARTNER, "R-2")]})
    assert response.status_code == 422
    assert [(e["index"], e["path"]) for e in response.json()["errors"]] == [
        (1, "signals.1.subjects.3.phone.number")]
    assert "nothing was published" in response.json()["detail"]
    assert _landed(settings, gw.layout) == []


# -- rate and availability ----------------------------------------------------------------------

def test_the_rate_limit_counts_signals_and_says_when_to_retry(make_gateway: MakeGateway,
                                                              settings: Settings) -> None:
    gw = make_gateway(rate_limit_per_minute=3)
    first = gw.post({"signals": [sample_signal(PARTNER, f"R-{i}") for i in range(3)]})
    assert first.status_code == 202
    limited = gw.post(sample_signal(PARTNER, "R-3"))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "20"  # one signal at 3 a minute
    too_big = gw.post({"signals": [sample_signal(PARTNER, f"B-{i}") for i in range(4)]})
    assert too_big.status_code == 429
    assert "smaller batches" in too_big.json()["detail"]
    gw.clock.now += 20
    assert gw.post(sample_signal(PARTNER, "R-3")).status_code == 202
    assert len(_landed(settings, gw.layout)) == 4


def test_a_broker_that_cannot_take_the_record_gets_503_and_a_retry_is_safe(
        make_gateway: MakeGateway, settings: Settings, admin: KafkaAdminClient,
        uid: str) -> None:
    missing = topic_layout(prefix=f"{uid}.absent.")  # no topic of it exists on the broker
    with Publisher(settings.kafka, client_id="ketenlink-gateway-503",
                   max_block_ms=2000) as impatient:
        gw = make_gateway(on=missing, via=impatient)
        body = {"signals": [sample_signal(PARTNER, "R-503-a"), sample_signal(PARTNER, "R-503-b")]}
        response = gw.post(body)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "accepted" not in response.json()
        topic = missing.inbound_of(PARTNER)
        assert topic not in admin.list_topics()  # auto-create is off: nothing landed anywhere

        apply_topics(admin, [t for t in missing.topics if t.name == topic])
        retried = gw.post(body)  # the same request once the topic exists: same ids
    assert retried.status_code == 202, retried.text
    assert [a["signal_id"] for a in retried.json()["accepted"]] == [
        signal_id_for(PARTNER, "R-503-a"), signal_id_for(PARTNER, "R-503-b")]
    assert len(_landed(settings, missing)) == 2


# -- logs and the served process ----------------------------------------------------------------

@pytest.fixture
def stdlib_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("json", "info")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_logs_carry_the_outcome_never_the_token_or_subjects(
        stdlib_logging: None, make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture) -> None:
    gw = make_gateway()
    caplog.set_level(logging.INFO)
    assert gw.post(sample_signal(PARTNER, "R-log")).status_code == 202
    bad = _set(sample_signal(PARTNER, "R-log-2"), "subjects.0.identifiers.0.value", "123456789")
    assert gw.post(bad).status_code == 422
    assert gw.post(sample_signal(PARTNER, "R-x"), token=gw.token[:-2] + "zz").status_code == 401

    events = [r.msg for r in caplog.records
              if isinstance(r.msg, dict) and r.msg.get("event") == "gateway.request"]
    assert [(e["partner"], e["count"], e["status"]) for e in events] == [
        ("riec", 1, 202), ("riec", 1, 422), (None, 0, 401)]
    secret = gw.token.split(".")[2]
    for needle in (secret, SAMPLE_BSN, "123456789", "Popescu", "Dragos", "NL91ABNA0417164300"):
        assert needle not in caplog.text


def test_the_benchmark_serves_the_real_app_over_http(settings: Settings,
                                                     layout: TopicLayout) -> None:
    result = bench_gateway(settings, layout, n=30, batch=10)
    assert result["signals"] == 30 and result["partner"] == layout.partners[0]
    assert result["gateway_signals_per_s"] > 0 and result["direct_signals_per_s"] > 0
    assert len(_landed(settings, layout, layout.partners[0])) == 60  # 30 via HTTP, 30 direct
