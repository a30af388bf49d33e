"""``ketenlink sink``: the graph sink as a process, wired from settings."""

from __future__ import annotations

import structlog

from consumers.graph_sink import DRIVER_RETRY_S, SinkTopics, open_consumer, run_sink
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from core.stop_signals import stop_event
from core.topics import topics_of
from policy.registry import load_registry
from policy.suppression import Suppressions

log = structlog.get_logger(__name__)


def run_graph_sink(settings: Settings) -> None:
    """Write resolved signals and entity merges into Neo4j until SIGTERM / SIGINT: waits out
    Neo4j outages, parks the records the graph refuses on signals.rejected, honours the
    suppressions of erased and purged records."""
    layout = topics_of(settings)
    topics = SinkTopics(resolved=layout.resolved, merges=layout.merges, rejected=layout.rejected)
    stop = stop_event()
    consumer = open_consumer(settings.kafka, topics,
                             group_id=f"{settings.faust_app_id}-graph-sink")
    try:
        with open_driver(settings.neo4j, retry_s=DRIVER_RETRY_S) as driver, \
                Publisher(settings.kafka, client_id="ketenlink-graph-sink") as parking, \
                Suppressions.open(settings, layout) as suppressions:
            stats = run_sink(consumer, driver, settings.neo4j.database, topics, parking, stop,
                             registry=load_registry(), suppressions=suppressions)
    finally:
        consumer.close()
    log.info("sink.stopped", written=stats.written, parked=stats.parked, retries=stats.retries)
