"""``make demo`` at the foundation stage: the whole path from partner topic to graph, on a sample.

Stack up, topics and schema applied, the faust worker and the graph sink started as child
processes, a small sample published as each partner (two records deliberately broken), then
a summary read back from Kafka and Neo4j. Each run tags its records with a run id, so the
summary counts this run only.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaConsumer

from graph.driver import open_driver
from infra.bootstrap import bootstrap
from infra.stack import Stack
from infra.topics import TopicLayout, load_layout
from ketenlink.exceptions import KetenlinkError
from ketenlink.services import ServiceProcess
from ketenlink.settings import Settings
from producers.publisher import Publisher

WAIT_TIMEOUT_S = 120.0


class DemoError(KetenlinkError):
    """The demo did not see the expected results in time."""


@dataclass(frozen=True)
class DemoSummary:
    published: int
    in_graph: int
    rejected: int
    reasons: tuple[str, ...]


def sample(run_id: str) -> list[tuple[str, bytes]]:
    """(partner, raw record) pairs: one smoke signal per partner, plus two broken records."""
    facts = {
        "kvk": "new registration: nail salon, 7th business at one address in 12 months",
        "riec": "administrative check: 14 mattresses found above a nail salon",
        "zorg": "possible victim at emergency department, controller present",
        "stichting-m": "anonymous tip: workers picked up by van at 05:00 daily",
    }
    records = [
        (partner, json.dumps({"signal_id": f"{run_id}-{partner}", "partner": partner,
                              "summary": text}).encode())
        for partner, text in facts.items()
    ]
    records.append(("kvk", f'{{"signal_id": "{run_id}-broken", '.encode()))
    records.append(("riec", json.dumps({"signal_id": f"{run_id}-spoofed",
                                        "partner": "kvk"}).encode()))
    return records


def run_demo(settings: Settings, echo: Callable[[str], None]) -> DemoSummary:
    """Run the smoke flow end to end and print what happened."""
    echo("== Ketenlink demo (foundation smoke flow) ==")
    for status in Stack(settings).up():
        echo(f"  {status.name:<6} {status.state} at {status.address} (v{status.version})")
    bootstrap(settings)
    layout = load_layout(prefix=settings.topic_prefix)
    run_id = "demo-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    records = sample(run_id)
    log_dir = settings.var_dir / "log"
    with ServiceProcess("worker", log_dir / "worker.log"), \
            ServiceProcess("sink", log_dir / "sink.log"):
        echo(f"  worker and sink started (logs in {log_dir}); publishing run {run_id}")
        with Publisher(settings.kafka, client_id="ketenlink-demo") as publisher:
            for partner, raw in records:
                where = publisher.publish(layout.name("signals.in.{partner}", partner), None, raw)
                echo(f"  published as {partner:<12} -> {where.topic}[{where.partition}]"
                     f"@{where.offset}")
        summary = _wait_for_results(settings, layout, run_id, len(records), echo)
    echo(f"== summary: {summary.published} published, {summary.in_graph} signals in the graph, "
         f"{summary.rejected} rejected ==")
    for reason in summary.reasons:
        echo(f"  rejected: {reason}")
    echo("The stack keeps running: `ketenlink stack status`, `ketenlink stack down`.")
    return summary


def _wait_for_results(settings: Settings, layout: TopicLayout, run_id: str, published: int,
                      echo: Callable[[str], None]) -> DemoSummary:
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    reasons: dict[int, str] = {}
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
                            reasons[record.offset] = doc["reason"]
                records, _, _ = driver.execute_query(
                    "MATCH (s:Signal) WHERE s.signal_id STARTS WITH $run RETURN count(s) AS n",
                    run=run_id, database_=settings.neo4j.database)
                in_graph = int(records[0]["n"])
                echo(f"  progress: {in_graph} in graph, {len(reasons)} rejected")
                if in_graph + len(reasons) >= published:
                    return DemoSummary(published, in_graph, len(reasons),
                                       tuple(reasons.values()))
                if time.monotonic() > deadline:
                    raise DemoError(f"after {WAIT_TIMEOUT_S:.0f} s only {in_graph} signals "
                                    f"reached the graph and {len(reasons)} were rejected, of "
                                    f"{published} published; see var/log/worker.log and sink.log")
                time.sleep(1.0)
    finally:
        consumer.close()


def _original(doc: dict[str, str]) -> str:
    return base64.b64decode(doc.get("original_base64", "")).decode(errors="replace")
