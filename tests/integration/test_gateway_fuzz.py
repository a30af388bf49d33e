"""The gateway fuzzed over real HTTP: `ketenlink gateway` as a child process on a real socket with
the real broker behind it, attacked with httpx and a raw socket (property-based, hypothesis).

Every answer is 202 for a valid request and a 4xx otherwise — never a 5xx; an answer of the app
is JSON naming what is wrong and holds no traceback; the gateway answers ``/healthz`` after every
example; and the partner's inbound topic holds exactly the records the gateway acknowledged, at
the offsets it named (read back after every property). Cypher, HTML and script in free-text
fields is valid text: accepted and stored verbatim; in names the contract refuses it.
"""

from __future__ import annotations

import builtins
import gzip
import itertools
import json
import os
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from bench.gateway import SAMPLE_BSN, sample_signal
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import apply_topics
from infra.stack import ServerStatus
from policy.retention import topic_layout
from producers.gateway.server import create_token
from schemas.signal import signal_id_for

PARTNER = "riec"
MAX_BODY = 1_048_576  # the default, served as configured
MAX_BATCH = 500
FREE_TEXT = ("narrative", "legal_basis", "partner_ref")
"""Fields whose text reaches the topic verbatim; the ledger compares them."""

MARKUP = re.compile(r"[<>{}\[\]`;\\|$]")
"""What the contract refuses in names (schemas/subjects.py)."""
INJECTIONS = [
    "'}) DETACH DELETE n //", "'}) MATCH (n) DETACH DELETE n RETURN 1 //",
    "<script>alert(document.cookie)</script>", '"><img src=x onerror=alert(1)>',
    "${jndi:ldap://x/a}", "Robert'); DROP TABLE signals;--", "{{7*7}} <%= 7*7 %>",
    "\\u0000 \\\" \\\\", "</narrative><b>bold</b>", "javascript:alert(1)",
]


def fuzz(max_examples: int) -> hypothesis.settings:
    """Reproducible in CI: derandomized, no example database, no deadline on this slow box."""
    return hypothesis.settings(max_examples=max_examples, deadline=None, derandomize=True,
                               database=None, print_blob=False,
                               suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


_TRACE = re.compile(r'Traceback|File "|\.py"|\.py:\d|\bline \d+, in\b|'
                    r"\b[A-Z][A-Za-z]*(Error|Exception|Exit|Interrupt|Disconnect)\b")
_EXCEPTION_NAMES = {name for name, value in vars(builtins).items()
                    if isinstance(value, type) and issubclass(value, BaseException)
                    and name not in ("Warning",)}


def _leaks(text: str, sent: str) -> list[str]:
    """Traceback text or exception class names in ``text`` that the request did not hold."""
    found = {m.group(0) for m in _TRACE.finditer(text)}
    found |= {name for name in _EXCEPTION_NAMES if re.search(rf"\b{name}\b", text)}
    return sorted(f for f in found if f not in sent)


@dataclass(frozen=True)
class Expected:
    """What an acknowledged record must be on the topic."""

    signal_id: str
    key: bytes
    fields: dict[str, Any]


@dataclass
class LiveGateway:
    """A gateway process, its partner's token and topic, and the ledger of what it acknowledged."""

    base: str
    token: str
    topic: str
    partitions: int
    http: httpx.Client
    service: ServiceProcess
    log_file: Path
    settings: Settings
    acknowledged: dict[tuple[int, int], Expected] = field(default_factory=dict)
    examples: Counter[str] = field(default_factory=Counter)
    """Requests checked per test (each ends with a health check); printed at the end (-s)."""
    refs: Iterator[int] = field(default_factory=itertools.count)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.base.removeprefix("http://").split(":")
        return host, int(port)

    def ref(self) -> str:
        return f"FUZZ-{next(self.refs):06d}"

    def doc(self, **overrides: Any) -> dict[str, Any]:
        """A valid signal as a partner sends it (clear BSN included), with a fresh reference."""
        return {**sample_signal(PARTNER, self.ref()), **overrides}

    def post(self, body: bytes, content_type: str | None = "application/json",
             headers: dict[str, str] | None = None, token: str | None = None) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.token if token is None else token}",
                **({"Content-Type": content_type} if content_type is not None else {}),
                **(headers or {})}
        return self.http.post(f"{self.base}/v1/signals", content=body, headers=sent)

    def healthy(self) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]
        self.examples[test] += 1
        assert self.service.returncode is None, f"the gateway died; see {self.log_file}"
        response = self.http.get(f"{self.base}/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    def answer(self, response: httpx.Response, sent: bytes | str, expect: int | Collection[int],
               docs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Check one app answer (status, JSON problem or acknowledgement, no traceback), record
        what was acknowledged, check the gateway is still healthy; the parsed body."""
        text = sent if isinstance(sent, str) else sent.decode("latin-1")
        expected = {expect} if isinstance(expect, int) else set(expect)
        if response.status_code == 202:
            self.acknowledged_by(response.json(), docs)
        assert response.status_code < 500, response.text[:2000]
        assert response.status_code in expected, (response.status_code, response.text[:2000])
        assert response.headers["content-type"] == "application/json"
        assert response.headers.get("x-request-id")
        assert not _leaks(response.text, text), _leaks(response.text, text)
        body: dict[str, Any] = response.json()
        if response.status_code != 202:
            _problem(response.status_code, body)
        self.healthy()
        return body

    def acknowledged_by(self, body: dict[str, Any], docs: list[dict[str, Any]] | None) -> None:
        """Enter a 202's records in the ledger (first, so that a failing example leaves it
        right), then check them against the documents sent."""
        accepted = body["accepted"]
        sent = docs if docs is not None and len(docs) == len(accepted) else [{}] * len(accepted)
        for doc, ack in zip(sent, accepted, strict=True):
            where = (ack["partition"], ack["offset"])
            assert where not in self.acknowledged, f"two acknowledgements for {where}"
            self.acknowledged[where] = Expected(
                ack["signal_id"], f"{PARTNER}/{ack['partner_ref']}".encode(),
                {k: doc[k] for k in FREE_TEXT if k in doc})
        assert docs is not None, f"accepted a request this test sent as invalid: {body}"
        assert len(accepted) == len(docs)
        for doc, ack in zip(docs, accepted, strict=True):
            ref = doc["partner_ref"]
            assert (ack["signal_id"], ack["partner_ref"], ack["topic"]) == (
                signal_id_for(PARTNER, ref), ref, self.topic)

    def landed(self) -> dict[tuple[int, int], dict[str, Any]]:
        """Every record on the partner's inbound topic, read up to the end offsets."""
        parts = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        consumer = KafkaConsumer(bootstrap_servers=self.settings.kafka.bootstrap_servers,
                                 enable_auto_commit=False)
        try:
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            end = consumer.end_offsets(parts)
            got: dict[tuple[int, int], dict[str, Any]] = {}
            deadline = time.monotonic() + 60
            while any(consumer.position(tp) < end[tp] for tp in parts):
                assert time.monotonic() < deadline, "records below the end offsets never arrived"
                for batch in consumer.poll(timeout_ms=500).values():
                    for record in batch:
                        assert SAMPLE_BSN.encode() not in record.value
                        got[(record.partition, record.offset)] = {
                            "key": record.key, **json.loads(record.value)}
            return got
        finally:
            consumer.close()

    def nothing_lost_nothing_extra(self) -> None:
        """The topic holds exactly the acknowledged records, each where the gateway said."""
        landed = self.landed()
        assert set(landed) == set(self.acknowledged), {
            "not acknowledged": sorted(set(landed) - set(self.acknowledged))[:20],
            "lost": sorted(set(self.acknowledged) - set(landed))[:20]}
        for where, expected in self.acknowledged.items():
            record = landed[where]
            assert (record["signal_id"], record["key"]) == (expected.signal_id, expected.key)
            assert {k: record.get(k) for k in expected.fields} == expected.fields, where


def _problem(status: int, body: dict[str, Any]) -> None:
    """A refusal names what is wrong: a detail, and for 422 every issue with its path."""
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if status == 422:
        assert body["errors"], body
        for issue in body["errors"]:
            assert set(issue) == {"index", "loc", "path", "msg", "type"}, issue
            assert issue["msg"] and issue["type"], issue
            # an empty path is a rule about the whole signal, and its message names the fields
            assert issue["path"] or issue["type"] == "value_error", issue
            assert issue["path"] == ".".join(str(part) for part in issue["loc"]), issue


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def gw(stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """``ketenlink gateway`` on a free port with its own topic prefix and token file."""
    folder = tmp_path_factory.mktemp("gateway-fuzz")
    prefix = f"t{uuid.uuid4().hex[:12]}."
    layout = topic_layout(prefix=prefix)
    topic = layout.inbound_of(PARTNER)
    spec = next(t for t in layout.topics if t.name == topic)
    apply_topics(admin, [spec])
    port = _free_port()
    env = {"KETENLINK_TOPIC_PREFIX": prefix, "KETENLINK_VAR_DIR": str(folder / "var"),
           "KETENLINK_GATEWAY__PORT": str(port),
           "KETENLINK_GATEWAY__TOKENS_FILE": str(folder / "tokens.json"),
           "KETENLINK_GATEWAY__MAX_BODY_BYTES": str(MAX_BODY),
           "KETENLINK_GATEWAY__MAX_BATCH": str(MAX_BATCH),
           "KETENLINK_GATEWAY__RATE_LIMIT_PER_MINUTE": "10000000",
           "KETENLINK_LOG_FORMAT": "json"}
    local = settings.model_copy(update={"topic_prefix": prefix, "gateway": settings.gateway
                                        .model_copy(update={"tokens_file": folder / "tokens.json"})})
    token = create_token(local, PARTNER)
    log_file = folder / "gateway.log"
    base = f"http://127.0.0.1:{port}"
    # a fresh connection per request: a kept-alive one the server closed while hypothesis was
    # slow to make the next example (uvicorn: after 5 s idle) would reset that request
    fresh = httpx.Limits(max_keepalive_connections=0)
    try:
        with ServiceProcess("gateway", log_file, env=env) as service, \
                httpx.Client(timeout=60, limits=fresh) as http:
            deadline = time.monotonic() + 60
            while True:
                assert service.returncode is None, log_file.read_text()
                assert time.monotonic() < deadline, "the gateway did not start"
                try:
                    if http.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            live = LiveGateway(base, token, topic, spec.partitions, http, service, log_file,
                               settings)
            yield live
            assert service.returncode is None
            for test, count in sorted(live.examples.items()):
                print(f"gateway fuzz: {count:5d} requests  {test}")
        log = log_file.read_text()
        assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-5000:]
        events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        answered = [e["status"] for e in events if e.get("event") == "gateway.request"]
        assert all(status < 500 for status in answered), sorted(set(answered))
    finally:
        admin.delete_topics([topic], timeout_ms=30_000)


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# -- bodies -------------------------------------------------------------------------------------

def test_random_bytes_get_422(gw: LiveGateway) -> None:
    @fuzz(500)
    @given(st.binary(max_size=3000) | st.binary(min_size=1, max_size=40).map(lambda b: b"{" + b))
    def prop(raw: bytes) -> None:
        body = gw.answer(gw.post(raw), raw, 422)
        try:
            json.loads(raw)
        except ValueError:
            assert [issue["path"] for issue in body["errors"]] == ["body"], body

    prop()
    gw.nothing_lost_nothing_extra()


def test_truncated_signals_and_batches_get_422_and_the_whole_is_accepted(gw: LiveGateway) -> None:
    @fuzz(300)
    @given(st.booleans(), st.floats(0, 1))
    def prop(batch: bool, where: float) -> None:
        docs = [gw.doc(), gw.doc()] if batch else [gw.doc()]
        raw = _json({"signals": docs} if batch else docs[0])
        cut = round(where * len(raw))
        if cut >= len(raw.rstrip()):
            gw.answer(gw.post(raw[:cut]), raw, 202, docs)
        else:
            gw.answer(gw.post(raw[:cut]), raw, 422)

    prop()
    gw.nothing_lost_nothing_extra()


TEXT = "Zoë's café in Łódź — “quoted” ✓ \U0001d54f 漢字"
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-16": lambda s: s.encode("utf-16"),  # with a BOM
    "utf-16-le": lambda s: s.encode("utf-16-le"),
    "utf-16-be": lambda s: s.encode("utf-16-be"),
    "utf-32": lambda s: s.encode("utf-32"),
    "utf-32-le": lambda s: s.encode("utf-32-le"),
    "utf-8 with BOM": lambda s: s.encode("utf-8-sig"),
    "latin-1": lambda s: s.encode("latin-1", errors="replace"),
    "cp1252": lambda s: s.encode("cp1252", errors="replace"),
    "invalid utf-8 (0xff)": lambda s: s.encode().replace("Zoë".encode(), b"Zo\xff"),
    "truncated utf-8 sequence": lambda s: s.encode().replace("ë".encode(), b"\xc3", 1),
    "overlong utf-8": lambda s: s.encode().replace(b"'s", b"\xc0\xa7s", 1),
    "utf-8 encoded surrogate": lambda s: s.encode().replace("Zoë".encode(), b"Zo\xed\xa0\x80"),
}


def test_wrong_encodings_get_422_naming_the_encoding(gw: LiveGateway) -> None:
    @fuzz(80)
    @given(st.sampled_from(sorted(ENCODINGS)), st.sampled_from(
        ["application/json", "application/json; charset=utf-8",
         "application/json; charset=latin-1", "application/json; charset=utf-16"]))
    def prop(encoding: str, content_type: str) -> None:
        doc = gw.doc(narrative=TEXT)
        raw = ENCODINGS[encoding](json.dumps(doc, ensure_ascii=False))
        body = gw.answer(gw.post(raw, content_type), raw, (415, 422))
        if body.get("errors"):
            assert body["errors"][0]["path"] == "body"
            assert "UTF-8" in body["errors"][0]["msg"], body

    prop()
    gw.nothing_lost_nothing_extra()


def test_lone_surrogate_escapes_get_422_naming_the_field(gw: LiveGateway) -> None:
    places = {"narrative": "narrative", "partner_ref": "partner_ref",
              "family_name": "subjects.0.family_name", "a key": "PLACEHOLDER",
              "a key in a batch": "signals.0.PLACEHOLDER"}

    @fuzz(60)
    @given(st.sampled_from(sorted(places)),
           st.sampled_from(["\\ud800", "\\udfff", "x\\ud83d", "\\ude00y", "\\ud83d\\ude00"]))
    def prop(place: str, escape: str) -> None:
        doc = gw.doc()
        if place in ("narrative", "partner_ref"):
            doc[place] = f"{doc[place]}PLACEHOLDER"
        elif place == "family_name":
            doc["subjects"][0]["family_name"] = "PLACEHOLDER"
        else:
            doc["PLACEHOLDER"] = "x"
        raw = _json({"signals": [doc]} if place == "a key in a batch" else doc)
        raw = raw.replace(b"PLACEHOLDER", escape.encode())
        path = places[place].replace("PLACEHOLDER", escape)  # the key, escaped as sent
        if escape == "\\ud83d\\ude00":  # a proper pair: an emoji
            accepted = place in ("narrative", "partner_ref")
            gw.answer(gw.post(raw), raw, 202 if accepted else 422, [json.loads(raw)])
            return
        body = gw.answer(gw.post(raw), raw, 422)
        assert [issue["path"] for issue in body["errors"]] == [path], body
        assert body["errors"][0]["type"] == "string_unicode"

    prop()
    gw.nothing_lost_nothing_extra()


def test_valid_utf8_text_is_accepted_verbatim(gw: LiveGateway) -> None:
    @fuzz(100)
    @given(st.text(min_size=1, max_size=300), st.booleans())
    def prop(text: str, ascii_only: bool) -> None:
        doc = gw.doc(narrative=text)
        raw = json.dumps(doc, ensure_ascii=ascii_only).encode()
        gw.answer(gw.post(raw), raw, 202, [doc])

    prop()
    gw.nothing_lost_nothing_extra()


JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
              "Application/Json ;charset=UTF-8", "application/json;charset=\"utf-8\"",
              "application/vnd.ketenlink.signal+json", "application/json; v=1"]
NOT_JSON = ["application/json; charset=latin-1", "application/json; charset=utf-16",
            "application/json; charset=utf-8; charset=latin-1",
            "application/json; charset=iso-8859-1", "text/plain", "text/json",
            "text/html; charset=utf-8", "application/xml",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/jsonx", "application/json-seq", "json", "application", "*/*", "",
            ";", "application/", "/json", "application/javascript", "application/ json",
            "application/json\tx"]


def test_content_types_other_than_json_get_415(gw: LiveGateway) -> None:
    @fuzz(150)
    @given(st.sampled_from(JSON_TYPES + NOT_JSON) | st.none()
           | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
           .map(str.strip))
    def prop(content_type: str | None) -> None:
        doc = gw.doc()
        raw = _json(doc)
        status = 202 if _utf8_json(content_type) else 415
        gw.answer(gw.post(raw, content_type), raw, status, [doc])

    prop()
    gw.nothing_lost_nothing_extra()


def _utf8_json(content_type: str | None) -> bool:
    """The documented rule: application/json or application/*+json, and a charset parameter, if
    any, of utf-8."""
    media, *params = (content_type or "").lower().split(";")
    if not re.fullmatch(r"application/(json|.*\+json)", media.strip()):
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') != "utf-8":
            return False
    return True


def test_huge_fields_and_bodies(gw: LiveGateway) -> None:
    limits = {"narrative": 10_000, "partner_ref": 128, "legal_basis": 200}

    @fuzz(100)
    @given(st.sampled_from(sorted(limits)), st.integers(-3, 3),
           st.sampled_from(["x", "é", "\U0001d54f", "<"]))
    def prop(name: str, delta: int, char: str) -> None:
        doc = gw.doc(**{name: char * (limits[name] + delta)})
        raw = _json(doc)
        if delta <= 0:
            gw.answer(gw.post(raw), raw, 202, [doc])
        else:
            body = gw.answer(gw.post(raw), raw, 422)
            assert [issue["path"] for issue in body["errors"]] == [name]

    prop()

    @fuzz(12)
    @given(st.integers(1, 2 * MAX_BODY), st.booleans())
    def too_large(extra: int, chunked: bool) -> None:
        raw = _json(gw.doc(narrative="n" * (MAX_BODY + extra)))
        if chunked:
            response = gw.http.post(f"{gw.base}/v1/signals", content=iter([raw[i:i + 65536]
                                    for i in range(0, len(raw), 65536)]),
                                    headers={"Authorization": f"Bearer {gw.token}",
                                             "Content-Type": "application/json"})
        else:
            response = gw.post(raw)
        gw.answer(response, "", 413)

    too_large()

    @fuzz(6)
    @given(st.sampled_from([MAX_BATCH, MAX_BATCH + 1, 0]))
    def batches(size: int) -> None:
        docs = [gw.doc() for _ in range(size)]
        raw = _json({"signals": docs})
        gw.answer(gw.post(raw), raw, 202 if 1 <= size <= MAX_BATCH else 422, docs)

    batches()
    gw.nothing_lost_nothing_extra()


def test_deeply_nested_json_gets_422(gw: LiveGateway) -> None:
    @fuzz(80)
    @given(st.sampled_from([10, 100, 199, 200, 201, 500, 900, 990, 1000, 1010, 5000, 10_000,
                            100_000]),
           st.sampled_from(["top", "narrative", "subjects", "signals", "identifier", "object"]))
    def prop(depth: int, where: str) -> None:
        nested = b"[" * depth + b"]" * depth
        if where == "object":
            nested = b'{"a":' * depth + b"1" + b"}" * depth
        doc = gw.doc(narrative="PLACEHOLDER")
        if where == "top":
            raw = nested
        elif where == "signals":
            raw = b'{"signals": [' + _json(doc) + b", " + nested + b"]}"
        elif where == "subjects":
            doc["subjects"][0]["address"] = "PLACEHOLDER"
            doc["narrative"] = "n"
            raw = _json(doc).replace(b'"PLACEHOLDER"', nested)
        elif where == "identifier":
            doc["subjects"][0]["identifiers"][0]["value"] = "PLACEHOLDER"
            doc["narrative"] = "n"
            raw = _json(doc).replace(b'"PLACEHOLDER"', nested)
        else:
            raw = _json(doc).replace(b'"PLACEHOLDER"', nested)
        gw.answer(gw.post(raw), raw, 422)

    prop()
    gw.nothing_lost_nothing_extra()


NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1" * 5000, "0x10", "012", "+12", ".5",
                    "12e", "1.e5", "--1"]
OVERFLOWING = ["1e400", "-1e400", "1" * 400 + ".0"]
NUMBERS = [*NOT_JSON_NUMBERS, *OVERFLOWING, "1e-400", "-0", "0.0", "12.0", "9" * 400,
           "-" + "9" * 30, "1E2", "true", "null", '"12"', "[12]", "{}"]


def test_odd_numbers_get_a_clear_answer(gw: LiveGateway) -> None:
    @fuzz(120)
    @given(st.sampled_from(NUMBERS),
           st.sampled_from(["house_number", "narrative", "severity", "top", "signals"]))
    def prop(number: str, where: str) -> None:
        doc = gw.doc()
        if where == "house_number":
            doc["subjects"][0]["address"]["house_number"] = "PLACEHOLDER"
        elif where in ("narrative", "severity"):
            doc[where] = "PLACEHOLDER"
        raw = (number.encode() if where == "top" else
               b'{"signals": ' + number.encode() + b"}" if where == "signals" else
               _json(doc).replace(b'"PLACEHOLDER"', number.encode()))
        if where in ("top", "signals") or number in NOT_JSON_NUMBERS + OVERFLOWING:
            body = gw.answer(gw.post(raw), raw, 422)
            if number in NOT_JSON_NUMBERS:
                assert [issue["path"] for issue in body["errors"]] == ["body"]
            elif number in OVERFLOWING and where not in ("top", "signals"):
                [issue] = body["errors"]
                assert issue["path"].endswith(where), issue
        else:
            gw.answer(gw.post(raw), raw, (202, 422), [json.loads(raw)])

    prop()
    gw.nothing_lost_nothing_extra()


def test_duplicate_keys_get_422_naming_the_key(gw: LiveGateway) -> None:
    @fuzz(40)
    @given(st.sampled_from(["partner", "partner_ref", "narrative", "severity", "signals"]),
           st.booleans())
    def prop(key: str, same_value: bool) -> None:
        doc = gw.doc(narrative="first")
        if key == "signals":
            raw = b'{"signals": [' + _json(doc) + b'], "signals": [' + _json(gw.doc()) + b"]}"
            path = "signals"
        else:
            value = doc[key] if same_value else {"partner": "politie", "partner_ref": "X-1",
                                                 "narrative": "second",
                                                 "severity": "low"}[key]
            raw = _json(doc)[:-1] + b", " + _json(key) + b": " + _json(value) + b"}"
            path = key
        body = gw.answer(gw.post(raw), raw, 422)
        assert [issue["path"] for issue in body["errors"]] == [path], body

    prop()
    gw.nothing_lost_nothing_extra()


def test_cypher_html_and_script_are_stored_verbatim_in_text_and_refused_in_names(
        gw: LiveGateway) -> None:
    @fuzz(300)
    @given(st.sampled_from(INJECTIONS), st.sampled_from((*FREE_TEXT, "family_name",
                                                                 "trade_name", "city")),
           st.text(max_size=20))
    def prop(injection: str, name: str, around: str) -> None:
        text = f"{around}{injection}{around}"
        doc = gw.doc()
        if name not in FREE_TEXT and not MARKUP.search(injection):
            name = "narrative"  # plain text like "javascript:alert(1)" is a valid trade name
        if name in FREE_TEXT:
            doc[name] = text if name != "partner_ref" else f"{gw.ref()}{text}"[:128]
            raw = _json(doc)
            if name == "legal_basis" and len(text) > 200:
                gw.answer(gw.post(raw), raw, 422)
            else:
                gw.answer(gw.post(raw), raw, 202, [doc])
            return
        person, business = doc["subjects"][0], doc["subjects"][1]
        target = {"family_name": person, "trade_name": business,
                  "city": person["address"]}[name]
        target[name] = text
        raw = _json(doc)
        body = gw.answer(gw.post(raw), raw, 422)
        path = {"family_name": "subjects.0.person.family_name",
                "trade_name": "subjects.1.business.trade_name",
                "city": "subjects.0.person.address.city"}[name]
        assert path in [issue["path"] for issue in body["errors"]], body

    prop()
    gw.nothing_lost_nothing_extra()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(INJECTIONS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=15)


def _places(value: Any, loc: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a document, containers and leaves, as key paths."""
    inner: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            inner += _places(item, (*loc, key))
        inner.append((*loc, "unknown"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            inner += _places(item, (*loc, i))
    return [loc, *inner] if loc else inner


def _set(doc: Any, loc: tuple[str | int, ...], value: Any) -> None:
    for part in loc[:-1]:
        doc = doc[part]
    doc[loc[-1]] = value


def test_any_value_in_any_field_gets_202_or_422(gw: LiveGateway) -> None:
    places = [*_places(gw.doc()), ("signal_id",)]

    @fuzz(500)
    @given(st.sampled_from(places), json_values, st.booleans())
    def prop(loc: tuple[str | int, ...], value: Any, batch: bool) -> None:
        doc = gw.doc()
        _set(doc, loc, value)
        raw = _json({"signals": [gw.doc(), doc]} if batch else doc)
        response = gw.post(raw)
        docs = [json.loads(raw)] if not batch else json.loads(raw)["signals"]
        body = gw.answer(response, raw, (202, 403, 422), docs)
        if response.status_code == 422:
            paths = [issue["path"] for issue in body["errors"]]
            assert all(path.startswith("signals.1") for path in paths) if batch else paths

    prop()
    gw.nothing_lost_nothing_extra()


def test_odd_authorization_headers_get_401(gw: LiveGateway) -> None:
    token_id = gw.token.split(".")[1]

    @fuzz(120)
    @given(st.sampled_from(["", "Bearer", "bearer kl1", "Basic dXNlcjpwYXNz",
                            f"Bearer kl1.{token_id}.wrong", f"Bearer kl1.{token_id}.",
                            f"Bearer kl1.{token_id}", f"Bearer {gw.token}x",
                            f"Bearer {gw.token[:-1]}", "Bearer kl1..", "Bearer ...",
                            f"Bearer  {gw.token}.", f"Basic {gw.token}", f"{gw.token}",
                            f"Bearer {gw.token.upper()}", "Bearer " + "k" * 8000])
           | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
           .map(str.strip))
    def prop(header: str) -> None:
        raw = _json(gw.doc())
        response = gw.http.post(f"{gw.base}/v1/signals", content=raw, headers={
            "Authorization": header, "Content-Type": "application/json"})
        gw.answer(response, header, 401)

    prop()
    gw.nothing_lost_nothing_extra()


def test_other_methods_and_paths_get_a_json_4xx(gw: LiveGateway) -> None:
    @fuzz(80)
    @given(st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "POST"]),
           st.sampled_from(["/v1/signals", "/v1/signals/", "/v1/signal", "/v2/signals", "/",
                            "/healthz", "/v1/signals/x", "/%00", "/v1/../v1/signals"])
           | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30)
           .map(lambda path: "/" + path.lstrip("/")))
    def prop(method: str, path: str) -> None:
        if (method, path) in {("POST", "/v1/signals"), ("GET", "/healthz")}:
            return
        response = gw.http.request(method, f"{gw.base}{path}", content=b"{}", headers={
            "Authorization": f"Bearer {gw.token}", "Content-Type": "application/json"})
        if response.status_code == 307:  # starlette redirects a trailing slash
            assert response.headers["location"] == f"{gw.base}{path.rstrip('/')}"
            gw.healthy()
            return
        if response.status_code == 200 and method == "GET":  # /docs, /openapi.json: public
            assert path.split("?")[0].split("#")[0] in ("/docs", "/openapi.json", "/redoc")
            gw.healthy()
            return
        assert 400 <= response.status_code < 500, (method, path, response.text[:500])
        assert response.headers["content-type"] == "application/json", response.text[:500]
        assert response.json()["detail"], response.text
        assert not _leaks(response.text, path), response.text
        gw.healthy()

    prop()
    gw.nothing_lost_nothing_extra()


# -- the wire: what httpx will not send ---------------------------------------------------------

def _exchange(gw: LiveGateway, data: bytes, half_close: bool = True) -> list[tuple[int, bytes]]:
    """Send raw bytes, optionally close our side, and read every response until the server
    closes (or goes quiet): (status, body) of each."""
    with socket.create_connection(gw.address, timeout=15) as conn:
        try:
            conn.sendall(data)
            if half_close:
                conn.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
    responses = []
    while received.startswith(b"HTTP/1.1 "):
        head, _, rest = received.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        end = int(length.group(1)) if length else len(rest)
        responses.append((status, rest[:end]))
        received = rest[end:]
    assert not received.strip(), received[:500]
    return responses


def _request(gw: LiveGateway, body: bytes, *headers: str, length: int | None = None) -> bytes:
    lines = ["POST /v1/signals HTTP/1.1", f"Host: {gw.address[0]}", "Connection: close",
             f"Authorization: Bearer {gw.token}", "Content-Type: application/json",
             *([f"Content-Length: {len(body) if length is None else length}"]
               if "Transfer-Encoding: chunked" not in headers else []), *headers]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def _chunked(body: bytes, sizes: list[int]) -> bytes:
    out, at = b"", 0
    for size in sizes:
        piece = body[at:at + size]
        if piece:
            out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        at += size
    if at < len(body):
        out += f"{len(body) - at:x}\r\n".encode() + body[at:] + b"\r\n"
    return out + b"0\r\n\r\n"


def _refused_on_the_wire(gw: LiveGateway, responses: list[tuple[int, bytes]], sent: bytes) -> None:
    for status, body in responses:
        assert 400 <= status < 500, (status, body[:500])
        assert not _leaks(body.decode("latin-1"), sent.decode("latin-1")), body[:500]
    gw.healthy()


def test_truncated_requests_then_close_publish_nothing(gw: LiveGateway) -> None:
    @fuzz(120)
    @given(st.floats(0, 1), st.booleans())
    def prop(where: float, chunked: bool) -> None:
        body = _json(gw.doc())
        data = (_request(gw, _chunked(body, [97] * 40), "Transfer-Encoding: chunked")
                if chunked else _request(gw, body))
        cut = min(round(where * len(data)), len(data) - 1)
        _refused_on_the_wire(gw, _exchange(gw, data[:cut]), data)

    prop()
    gw.nothing_lost_nothing_extra()


def test_chunked_bodies_in_any_pieces_are_accepted(gw: LiveGateway) -> None:
    @fuzz(60)
    @given(st.lists(st.integers(1, 3000), min_size=1, max_size=20))
    def prop(sizes: list[int]) -> None:
        doc = gw.doc()
        responses = _exchange(gw, _request(gw, _chunked(_json(doc), sizes),
                                           "Transfer-Encoding: chunked", "Connection: close"),
                              half_close=False)
        [(status, body)] = responses
        assert status == 202, body
        gw.acknowledged_by(json.loads(body), [doc])
        gw.healthy()

    prop()
    gw.nothing_lost_nothing_extra()


TOLERATED = {"chunked and a length", "folded header"}
"""Framing HTTP/1.1 lets a server accept (RFC 9112: chunked wins over Content-Length; an
obsolete line folding may be unfolded); h11 does, and the signal is then accepted."""


def test_lying_and_malformed_framing_is_refused(gw: LiveGateway) -> None:
    body = _json(gw.doc())
    lying = {  # the client stops sending and closes its side
        "length longer than the body": _request(gw, body, length=len(body) + 100),
        "chunked without the last chunk": _request(gw, _chunked(body, [50])[:-5],
                                                   "Transfer-Encoding: chunked"),
        "length over the limit, short body": _request(gw, body, length=MAX_BODY * 50),
        "huge length": _request(gw, body, length=10**30),
    }
    malformed = {  # the client waits for the answer
        "length shorter than the body": _request(gw, body, length=len(body) - 100),
        "length zero with a body": _request(gw, body, length=0),
        "length not a number": _request(gw, body, length=None).replace(
            f"Content-Length: {len(body)}".encode(), b"Content-Length: abc"),
        "negative length": _request(gw, body).replace(
            f"Content-Length: {len(body)}".encode(), b"Content-Length: -5"),
        "two different lengths": _request(gw, body, f"Content-Length: {len(body) - 1}"),
        "chunk size not hex": _request(gw, b"zz\r\n" + body + b"\r\n0\r\n\r\n",
                                       "Transfer-Encoding: chunked"),
        "chunk longer than said": _request(gw, b"10\r\n" + body + b"\r\n0\r\n\r\n",
                                           "Transfer-Encoding: chunked"),
        "chunked garbage": _request(gw, b"\x00\xff\r\n\r\n\r\n\x1b[0m" * 20,
                                    "Transfer-Encoding: chunked"),
        "chunked over the limit": _request(gw, b"".join([b"10000\r\n" + b"[" * 65536 + b"\r\n"]
                                                        * 20) + b"0\r\n\r\n",
                                           "Transfer-Encoding: chunked"),
        "chunked and a length": _request(gw, _chunked(body, [100]), "Transfer-Encoding: chunked",
                                         f"Content-Length: {len(body)}"),
        "unknown transfer coding": _request(gw, body, "Transfer-Encoding: gzip"),
        "gzip content encoding, plain body": _request(gw, body, "Content-Encoding: gzip"),
        "gzip content encoding": _request(gw, gzip.compress(body), "Content-Encoding: gzip"),
        "odd content encoding": _request(gw, body, "Content-Encoding: \x01\xff"),
        "binary in a header": _request(gw, body).replace(
            b"Authorization: Bearer ", b"Authorization: Bearer \xff\xfe\x00"),
        "latin-1 bytes in the token": _request(gw, body).replace(
            b"Authorization: Bearer ", b"Authorization: Bearer \xff\xfe"),
        "header without a colon": _request(gw, body, "NoColonHere"),
        "folded header": _request(gw, body, "X-Folded: a\r\n b"),
        "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + body,
        "HTTP/0.9": b"POST /v1/signals\r\n\r\n" + body,
        "huge header": _request(gw, body, "X-Big: " + "a" * 200_000),
    }
    for name, data in [*lying.items(), *malformed.items()]:
        responses = _exchange(gw, data, half_close=name in lying)
        for status, answer in responses:
            if status == 202:
                gw.acknowledged_by(json.loads(answer), [json.loads(body)])
        assert all(status != 202 for status, _ in responses) or name in TOLERATED, (
            name, responses)
        _refused_on_the_wire(gw, [r for r in responses if r[0] != 202], data)
    gw.nothing_lost_nothing_extra()
