"""``ketenlink router``: the routing stage, a faust app of its own reading ``signals.resolved``.

Each resolved record (``schemas.resolved.ResolvedRecord``, parsed once) becomes one redacted
copy per recipient (``streams.recipients``; ``schemas.delivery.Delivery``) on
``deliveries.<partner>``, decided with the registry as ``LiveRegistry`` has it at that moment. A
record that is not a resolved record is parked on ``signals.rejected`` with the reason; any
other error stops the process before the record is acked (``streams.app.die``), so it is
routed again after a restart (same ``delivery_id``: a retry, not a second delivery).

Suppressed signals (``policy.suppression``: erased or purged) are not routed, and an erased
person is taken out of a signal that mentions others before it is routed (``SuppressionSet.
resolved``): a replay of ``signals.resolved`` delivers none of it again.

faust's offset bookkeeping is guarded as in the worker (``streams.gap_guard``): a record faust
dropped is read again, never committed past.

Stateless: run as many routers as ``signals.resolved`` has partitions (6).
"""

from __future__ import annotations

from datetime import UTC, datetime

import faust
import structlog
from faust.worker import Worker

from core.settings import Settings
from core.topics import TopicLayout, topics_of
from policy.live import LiveRegistry
from policy.resolved_view import read_resolved
from policy.suppression import Suppressions, SuppressionView
from schemas.resolved import ResolvedRecord
from streams import fetch_wait, gap_guard
from streams.app import FETCH_MAX_WAIT_MS, die, raw_topic
from streams.exceptions import RecordRejected
from streams.faust_app import build_faust_app
from streams.intake import rejection
from streams.recipients import route

log = structlog.get_logger(__name__)


def create_router_app(settings: Settings, layout: TopicLayout, registry: LiveRegistry,
                      suppressions: SuppressionView) -> faust.App:
    """A faust app with the ``route`` agent."""
    fetch_wait.install(FETCH_MAX_WAIT_MS)
    gap_guard.install(compacted_topics=())  # signals.resolved is not compacted: never skip
    app = build_faust_app(settings, f"{settings.faust_app_id}-router", store="memory://",
                          producer_linger=0.002)  # deliveries are latency-bound: 2 ms at most
    resolved_name = layout.resolved
    resolved = raw_topic(app, resolved_name)
    rejected = raw_topic(app, layout.rejected)
    outputs: dict[str, faust.TopicT] = {}

    def output(recipient: str) -> faust.TopicT:
        """The delivery topic of ``recipient``: every subscriber in the registry has one (the
        spec's, or the one ``ketenlink partners enable`` created before switching it on)."""
        if recipient not in outputs:
            outputs[recipient] = raw_topic(app, layout.delivery(recipient))
        return outputs[recipient]

    @app.agent(resolved, name="route")
    async def route_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            try:
                try:
                    record = read_resolved(ResolvedRecord, event.value, suppressions.current())
                    if record is None:
                        log.info("route.suppressed", topic=message.topic,
                                 partition=message.partition, offset=message.offset)
                        continue
                    current = registry.current()
                    deliveries = route(record, current, current.entries.keys(),
                                       datetime.now(UTC))
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    error = RecordRejected(f"not a resolved record: {exc!r}",
                                           topic=message.topic, partition=message.partition,
                                           offset=message.offset)
                    await rejected.send(key=message.topic.encode(),
                                        value=rejection(event.value, error, "router"))
                    log.warning("route.parked", topic=message.topic, offset=message.offset,
                                reason=error.reason)
                    continue
                for routed in deliveries:
                    await output(routed.recipient).send(key=routed.key,
                                                        value=routed.delivery.to_json())
                log.debug("route.routed", signal_id=record.signal_id,
                          recipients=[d.recipient for d in deliveries])
            except Exception as exc:  # a bug: stop, do not ack
                die(exc, message.topic, message.partition, message.offset)

    return app


def run_router(settings: Settings) -> None:
    """Read the registry, then run the router in the foreground until SIGTERM / SIGINT."""
    layout = topics_of(settings)
    with LiveRegistry.open(settings, layout) as registry, \
            Suppressions.open(settings, layout) as suppressions:
        app = create_router_app(settings, layout, registry, suppressions)
        worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False,
                        override_logging=False)
        worker.execute_from_commandline()
