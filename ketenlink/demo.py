"""``make demo``: the platform's main job on a realistic generated scenario.

Stack up, topics and schema applied; the faust worker, the graph sink, the router, the alert
engine and the HTTP gateway started as child processes; a scenario generated (rings among
innocent records, noise, resends, revisions, invalid lines); KvK and healthcare publish their
native exports the way ``ketenlink publish`` does, RIEC and Stichting M. post through the
gateway with their own tokens; two hand-broken records show the intake parking bad input. Then
a summary read back from Kafka and Neo4j: what reached the graph and what was rejected, with
the reasons, how many signals the router delivered to each partner, and the alerts the engine
proposed.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from kafka import KafkaConsumer

from graph.driver import open_driver
from infra.bootstrap import bootstrap
from infra.offsets import wait_committed
from infra.stack import Stack
from infra.topics import TopicLayout, load_layout
from ketenlink.exceptions import KetenlinkError
from ketenlink.services import ServiceProcess
from ketenlink.settings import Settings
from producers.adapters import adapter_for
from producers.adapters.base import Parsed, Rejected
from producers.gateway.app import SIGNALS_PATH
from producers.gateway.server import create_token, revoke_tokens
from producers.generate import PARTNER_FILES, generate
from producers.pseudonym import Pseudonymiser
from producers.publish import publish_file
from producers.publisher import Publisher

WAIT_TIMEOUT_S = 180.0
DEMO_SIGNALS = 2_000
VIA_GATEWAY = ("riec", "stichting-m")
GATEWAY_BATCH = 200


class DemoError(KetenlinkError):
    """The demo did not see the expected results in time, or a service did not start."""


@dataclass(frozen=True)
class DemoSummary:
    published: int
    in_graph: int
    rejected_at_source: int
    rejected_in_stream: int
    reasons: tuple[str, ...]


def broken_records(run_id: str) -> list[tuple[str, bytes]]:
    """(partner, raw record): a truncated JSON record and one claiming to be another partner."""
    return [("kvk", f'{{"signal_id": "{run_id}-broken", '.encode()),
            ("riec", json.dumps({"signal_id": f"{run_id}-spoofed", "partner": "kvk"}).encode())]


def run_demo(settings: Settings, echo: Callable[[str], None]) -> DemoSummary:
    """Run the main job end to end and print what happened."""
    echo("== Ketenlink demo ==")
    for status in Stack(settings).up():
        echo(f"  {status.name:<6} {status.state} at {status.address} (v{status.version})")
    bootstrap(settings)
    layout = load_layout(prefix=settings.topic_prefix)
    run_id = "demo-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = settings.var_dir / "demo" / run_id
    report = generate(out, DEMO_SIGNALS, seed=int(time.time()))
    echo(f"  generated {report.signals} partner records in {out}: {report.rings} rings among "
         f"{report.entities} entities, {report.resends} resends, {report.revisions} revisions, "
         f"{report.invalid} invalid lines")
    tokens = {}
    for partner in VIA_GATEWAY:
        revoke_tokens(settings, partner)
        tokens[partner] = create_token(settings, partner)
    log_dir = settings.var_dir / "log"
    with ServiceProcess("worker", log_dir / "worker.log"), \
            ServiceProcess("sink", log_dir / "sink.log"), \
            ServiceProcess("router", log_dir / "router.log"), \
            ServiceProcess("alerts", log_dir / "alerts.log", args=["run"]), \
            ServiceProcess("gateway", log_dir / "gateway.log") as gateway:
        base_url = f"http://{settings.gateway.host}:{settings.gateway.port}"
        _wait_for_gateway(base_url, gateway, log_dir / "gateway.log")
        echo(f"  worker, sink, router, alert engine and gateway ({base_url}) started; logs in "
             f"{log_dir}")
        ids: list[str] = []
        at_source = 0
        with Publisher(settings.kafka, client_id="ketenlink-demo") as publisher:
            for partner in ("kvk", "zorg"):
                done = publish_file(adapter_for(partner, Pseudonymiser(settings.pseudonym_key)),
                                    out / PARTNER_FILES[partner], publisher, layout,
                                    out / f"{partner}.rejects.jsonl")
                ids.extend(_signal_ids(settings, partner, out / PARTNER_FILES[partner]))
                at_source += done.rejected
                echo(f"  {partner:<12} file    -> {done.published} published, {done.rejected} "
                     f"rejected, {done.skipped} skipped")
            for partner in VIA_GATEWAY:
                accepted, refused = _post_via_gateway(settings, base_url, tokens[partner],
                                                      partner, out / PARTNER_FILES[partner])
                ids.extend(accepted)
                at_source += refused
                echo(f"  {partner:<12} gateway -> {len(accepted)} accepted (202), "
                     f"{refused} refused by the adapter")
            for partner, raw in broken_records(run_id):
                publisher.publish(layout.name("signals.in.{partner}", partner), None, raw)
            echo("  2 broken records published to show the intake parking them")
        unique = sorted(set(ids))
        summary = _wait_for_results(settings, layout, run_id, unique, at_source, echo)
        deliveries = _count_deliveries(settings, layout, set(unique))
        alerts = _count_alerts(settings, layout, unique)
    echo(f"== summary: {summary.published} distinct signals published, {summary.in_graph} in "
         f"the graph; {summary.rejected_at_source} lines refused at the source (see "
         f"{out}/*.rejects.jsonl), {summary.rejected_in_stream} parked by the stream ==")
    for reason in summary.reasons:
        echo(f"  parked: {reason}")
    _show_network(settings, unique, echo)
    echo("== deliveries: signals routed to each partner, redacted to its clearance ==")
    for partner in layout.recipients:
        echo(f"  {partner:<20} {deliveries.get(partner, 0):>6}")
    echo(f"== alerts: {alerts} proposed to the RIEC for release to the OM "
         "(`ketenlink alerts list --analyst NAME`) ==")
    echo("The stack keeps running: `ketenlink stack status`, `ketenlink stack down`.")
    return summary


NETWORK = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})-[:MENTIONS]->(e)
WITH [l IN labels(e) WHERE l <> 'Entity'][0] AS kind, count(DISTINCT e) AS entities, count(*) AS mentions
RETURN kind, entities, mentions ORDER BY mentions DESC
"""
CORROBORATED = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id}) WHERE size(s.corroborated_by) > 0
RETURN count(s) AS n
"""


def _count_deliveries(settings: Settings, layout: TopicLayout, ids: set[str],
                      settle_s: float = 3.0, timeout_s: float = 60.0) -> dict[str, int]:
    """This run's signals on each ``deliveries.<partner>`` topic (each counted once, whatever
    its revisions), read until none
    has come for ``settle_s`` (the router is behind the graph sink by milliseconds)."""
    consumer = KafkaConsumer(*[layout.delivery(p) for p in layout.recipients],
                             bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    counts: dict[str, set[str]] = {}
    deadline, quiet_since = time.monotonic() + timeout_s, time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet_since < settle_s:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    value = json.loads(record.value)
                    if value["signal_id"] in ids:
                        counts.setdefault(value["recipient"], set()).add(value["signal_id"])
                        quiet_since = time.monotonic()
    finally:
        consumer.close()
    return {partner: len(copies) for partner, copies in counts.items()}


ALERTS = """
UNWIND $ids AS id
MATCH (a:Alert)-[:EVIDENCE]->(:Signal {signal_id: id})
RETURN count(DISTINCT a) AS n
"""


def _count_alerts(settings: Settings, layout: TopicLayout, ids: list[str],
                  timeout_s: float = 120.0) -> int:
    """Alerts whose evidence includes this run's signals, once the alert engine's group has
    committed everything the graph sink has (it follows the sink by seconds)."""
    wait_committed(settings.kafka.bootstrap_servers, f"{settings.faust_app_id}-alerts",
                   (layout.name("signals.resolved"), layout.name("entities.merges")), timeout_s)
    with open_driver(settings.neo4j) as driver:
        records, _, _ = driver.execute_query(ALERTS, ids=ids, database_=settings.neo4j.database)
    return int(records[0]["n"])


def _show_network(settings: Settings, ids: list[str], echo: Callable[[str], None]) -> None:
    """What resolution made of the mentions: entities per kind, and corroborated signals."""
    with open_driver(settings.neo4j) as driver:
        rows, _, _ = driver.execute_query(NETWORK, ids=ids, database_=settings.neo4j.database)
        corroborated, _, _ = driver.execute_query(CORROBORATED, ids=ids,
                                                  database_=settings.neo4j.database)
    echo("== the network: mentions resolved to entities ==")
    for row in rows:
        echo(f"  {row['kind']:<12} {row['mentions']:>6} mentions -> {row['entities']:>6} entities")
    echo(f"  {corroborated[0]['n']} signals are corroborated by another partner's signal")


def _signal_ids(settings: Settings, partner: str, path: Path) -> Iterator[str]:
    adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
    return (str(r.signal.signal_id) for r in adapter.read(path) if isinstance(r, Parsed))


def _post_via_gateway(settings: Settings, base_url: str, token: str, partner: str,
                      path: Path) -> tuple[list[str], int]:
    """Map the export with the partner's adapter, POST the signals in batches; the ids the
    gateway accepted, and the number of lines the adapter refused."""
    adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
    results = list(adapter.read(path))
    docs = [r.signal.model_dump(mode="json") for r in results if isinstance(r, Parsed)]
    accepted: list[str] = []
    with httpx.Client(base_url=base_url, timeout=60.0,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(0, len(docs), GATEWAY_BATCH):
            response = client.post(SIGNALS_PATH, json={"signals": docs[i:i + GATEWAY_BATCH]})
            if response.status_code != 202:
                raise DemoError(f"the gateway answered {response.status_code} for {partner}: "
                                f"{response.text[:300]}")
            accepted.extend(str(d["signal_id"]) for d in docs[i:i + GATEWAY_BATCH])
    return accepted, sum(isinstance(r, Rejected) for r in results)


def _wait_for_gateway(base_url: str, gateway: ServiceProcess, log_file: Path) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if gateway.returncode is not None:
            raise DemoError(f"the gateway exited with {gateway.returncode}: "
                            f"{log_file.read_text(errors='replace')[-800:]}")
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise DemoError(f"the gateway did not answer at {base_url} within 30 s; see {log_file}")


def _wait_for_results(settings: Settings, layout: TopicLayout, run_id: str, ids: list[str],
                      at_source: int, echo: Callable[[str], None]) -> DemoSummary:
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    parked: dict[int, str] = {}
    consumer = KafkaConsumer(layout.name("signals.rejected"),
                             bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        with open_driver(settings.neo4j) as driver:
            while True:
                for batch in consumer.poll(timeout_ms=500).values():
                    for record in batch:
                        doc = json.loads(record.value)
                        if run_id in _original(doc):
                            parked[record.offset] = doc["reason"]
                records, _, _ = driver.execute_query(
                    "UNWIND $ids AS id MATCH (s:Signal {signal_id: id}) RETURN count(s) AS n",
                    ids=ids, database_=settings.neo4j.database)
                in_graph = int(records[0]["n"])
                echo(f"  progress: {in_graph}/{len(ids)} signals in the graph, "
                     f"{len(parked)}/2 broken records parked")
                if in_graph >= len(ids) and len(parked) >= 2:
                    return DemoSummary(len(ids), in_graph, at_source, len(parked),
                                       tuple(parked.values()))
                if time.monotonic() > deadline:
                    raise DemoError(f"after {WAIT_TIMEOUT_S:.0f} s only {in_graph} of {len(ids)} "
                                    f"signals reached the graph and {len(parked)} of 2 broken "
                                    "records were parked; see var/log/worker.log and sink.log")
                time.sleep(1.0)
    finally:
        consumer.close()


def _original(doc: dict[str, str]) -> str:
    return base64.b64decode(doc.get("original_base64", "")).decode(errors="replace")
