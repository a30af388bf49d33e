"""The faust application: built from settings, with every agent wired here in one place."""

from __future__ import annotations

from pathlib import Path

import faust
import mode
import structlog

from infra.topics import TopicLayout
from ketenlink.settings import Settings
from streams.exceptions import RecordRejected
from streams.intake import Source, accept, rejection

log = structlog.get_logger(__name__)

INBOUND_PREFIX = "signals.in."


def create_app(settings: Settings, layout: TopicLayout) -> faust.App:
    """A faust app whose agents read every partner's inbound topic.

    Agents run under ``mode.CrashingSupervisor``: an unexpected exception stops the
    worker loudly instead of faust's default of logging, acking and restarting the agent.
    """
    datadir = Path(settings.var_dir, "faust").resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.faust_app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        store="memory://",
        datadir=str(datadir / settings.faust_app_id),
        topic_replication_factor=1,
        topic_disable_leader=True,
        topic_allow_declare=False,  # topics come from infra/topics.yaml
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        agent_supervisor=mode.CrashingSupervisor,
        web_enabled=False,
    )
    _wire_intake(app, layout)
    return app


def _wire_intake(app: faust.App, layout: TopicLayout) -> None:
    inbound = app.topic(*layout.inbound(), key_type=bytes, value_type=bytes,
                        key_serializer="raw", value_serializer="raw")
    validated = app.topic(layout.name("signals.validated"), key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw")
    rejected = app.topic(layout.name("signals.rejected"), key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")
    partner_of = {layout.name("signals.in.{partner}", p): p for p in layout.partners}

    @app.agent(inbound, name="intake")
    async def intake(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            partner = partner_of[message.topic]
            source = Source(message.topic, message.partition, message.offset, partner)
            raw: bytes | None = event.value
            try:
                accepted = accept(raw, source)
            except RecordRejected as exc:
                await rejected.send(key=message.topic.encode(),
                                    value=rejection(raw, exc, partner))
                log.info("intake.rejected", partner=partner, topic=message.topic,
                         partition=message.partition, offset=message.offset, reason=exc.reason)
                continue
            await validated.send(key=accepted.key, value=accepted.value)
