"""The faust application: built from settings, with every agent and table wired here in one place.

Two stages:

- ``intake`` reads every partner's inbound topic (3 partitions each, any number of workers):
  Signal v1 validation → ``signals.normalised`` keyed ``partner/partner_ref``, or the reason to
  ``signals.rejected``.
- ``resolve`` reads ``signals.normalised`` and ``resolver.judgements`` (one partition each, so one
  total order and one active worker; another worker is a hot standby that keeps the tables'
  changelogs replicated and takes over on a rebalance): deduplication, entity resolution and
  analyst judgements → ``signals.resolved`` and ``entities.merges``. Its state lives only in the
  tables ``signals`` and ``resolver`` (in memory or RocksDB, ``worker_store``; changelog-backed,
  recovered on start), written through ``streams.write_behind`` once per changed key per record.
  It also reads the compacted ``suppressions`` topic (one partition): an erased person's
  ``entity:`` / ``pseudonym:`` suppression deletes the keys holding them (``streams.forget``).

An unexpected exception ends the process at once (exit code 70) with the record's coordinates
in the log, before faust could ack and commit the record: it is processed again after restart.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import faust
import orjson
import structlog
from pydantic import BaseModel, ConfigDict

from core.settings import Settings
from core.topics import TopicLayout, TopicSpec
from policy.suppression import parse_key
from schemas.signal import Signal
from streams import fetch_wait, gap_guard
from streams.exceptions import RecordRejected
from streams.faust_app import build_faust_app
from streams.forget import forget
from streams.intake import Source, accept, rejection
from streams.pipeline import apply_judgement, process
from streams.resolve import Resolver
from streams.write_behind import WriteBehind

log = structlog.get_logger(__name__)

TABLES = ("signals", "resolver")
CRASH_EXIT_CODE = 70  # EX_SOFTWARE
ROCKSDB_OPTIONS = {"write_buffer_size": 8 << 20, "max_write_buffer_number": 2,
                   "block_cache_size": 32 << 20, "block_cache_compressed_size": 8 << 20}
"""RocksDB memory for each table with ``worker_store=rocksdb``: faust's defaults (64 MB write
buffers, 2 GB block cache) would let the process grow for a long time before it levels off."""
FETCH_MAX_WAIT_MS = 20
"""How long a faust fetch waits for records (streams/fetch_wait.py): the latency floor per stage."""


class Normalised(BaseModel):
    """A ``signals.normalised`` record as intake writes it: parsed and validated in one pass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: dict[str, Any]
    signal: Signal


def changelog_topics(app_id: str) -> list[TopicSpec]:
    """The compacted changelog topics of the tables, one partition like their source."""
    return [TopicSpec(name=f"{app_id}-{table}-changelog", partitions=1, cleanup_policy="compact",
                      key="table key", description=f"Changelog of the faust table {table!r}.")
            for table in TABLES]


def create_app(settings: Settings, layout: TopicLayout) -> faust.App:
    """A faust app with the intake and resolve agents and their tables."""
    app = build_faust_app(
        settings, settings.faust_app_id, store=f"{settings.worker_store}://",
        # table changelog writes dominate the output: batch them (measured +27 %, bench stream)
        producer_linger=0.01, producer_max_batch_size=262_144)
    gap_guard.install(compacted_topics={layout.judgements,
                                        layout.suppressions})
    fetch_wait.install(FETCH_MAX_WAIT_MS)
    _wire_intake(app, layout)
    _wire_resolve(app, layout, ROCKSDB_OPTIONS if settings.worker_store == "rocksdb" else None)
    return app


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw")


def _wire_intake(app: faust.App, layout: TopicLayout) -> None:
    inbound = raw_topic(app, *layout.inbound())
    normalised = raw_topic(app, layout.normalised)
    rejected = raw_topic(app, layout.rejected)
    partner_of = {layout.inbound_of(p): p for p in layout.partners}

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
                await rejected.send(key=message.topic.encode(), value=rejection(raw, exc, partner))
                log.info("intake.rejected", partner=partner, topic=message.topic,
                         partition=message.partition, offset=message.offset, reason=exc.reason)
                continue
            except Exception as exc:  # anything else is a bug: stop, do not ack
                die(exc, message.topic, message.partition, message.offset)
            await normalised.send(key=accepted.key, value=accepted.value)


def _wire_resolve(app: faust.App, layout: TopicLayout,
                  table_options: dict[str, Any] | None) -> None:
    normalised_name = layout.normalised
    judgements_name = layout.judgements
    suppressions_name = layout.suppressions
    source = raw_topic(app, normalised_name, judgements_name, suppressions_name)
    resolved = raw_topic(app, layout.resolved)
    merges = raw_topic(app, layout.merges)
    rejected = raw_topic(app, layout.rejected)
    # str keys and untyped values: faust serialises both as JSON
    signals_table = app.Table("signals", partitions=1, key_type=str, options=table_options)
    resolver_table = app.Table("resolver", partitions=1, key_type=str, options=table_options)

    async def send_json(topic: faust.TopicT, key: str, value: dict[str, Any]) -> None:
        await topic.send(key=key.encode(), value=dumps_json(value))

    @app.agent(source, name="resolve")
    async def resolve(stream: faust.StreamT[bytes]) -> None:
        # each record's writes reach the tables (and their changelogs) once per key, before the
        # record is acked; a crash mid-record writes nothing (streams/write_behind.py)
        signals_store, resolver_store = WriteBehind(signals_table), WriteBehind(resolver_table)
        resolver = Resolver(resolver_store)
        async for event in stream.events():
            message = event.message
            signals_store.discard()
            resolver_store.discard()
            try:
                if message.topic == suppressions_name:
                    await _forget(message, event.value, signals_store, resolver_store)
                    continue
                if message.topic == judgements_name:
                    try:
                        done = apply_judgement(json.loads(event.value or b"null"), signals_store,
                                               resolver)
                    except ValueError as exc:  # includes JSONDecodeError
                        error = RecordRejected(f"judgement refused: {exc}", topic=message.topic,
                                               partition=message.partition, offset=message.offset)
                        await rejected.send(key=message.topic.encode(),
                                            value=rejection(event.value, error, "analyst"))
                        continue
                    signals_store.flush()
                    resolver_store.flush()
                    for merge in done:
                        await send_json(merges, merge.into, merge.to_json())
                    continue
                record = Normalised.model_validate_json(event.value or b"null")
                outcome = process(record.signal, record.source, signals_store, resolver)
                signals_store.flush()
                resolver_store.flush()
                for merge in outcome.merges:
                    await send_json(merges, merge.into, merge.to_json())
                if outcome.record is not None:  # serialised once, as the model writes it
                    await resolved.send(key=outcome.dedup.signal_id.encode(),
                                        value=outcome.record.to_json())
                elif not outcome.dedup.replayed:
                    log.info("dedupe.suppressed", signal_id=outcome.dedup.signal_id,
                             duplicate_of=outcome.dedup.duplicate_of)
            except Exception as exc:  # a bug or a broken invariant: stop, do not ack
                die(exc, message.topic, message.partition, message.offset)


async def _forget(message: Any, value: bytes | None, signals_store: WriteBehind,
                  resolver_store: WriteBehind) -> None:
    """One suppression: delete what the tables hold of an erased person (``streams.forget``).
    A lifted suppression (tombstone) cannot bring the forgotten state back; a key that is no
    suppression is logged and skipped (the topic is compacted: nothing to park it for)."""
    try:
        kind, ident = parse_key(message.key)
    except ValueError as exc:
        log.error("resolve.suppression_refused", topic=message.topic, offset=message.offset,
                  error=str(exc))
        return
    if value is None:
        return
    done = forget(kind, ident, signals_store, resolver_store)
    signals_store.flush()
    resolver_store.flush()
    if done.keys:  # entity ids only: never the pseudonym or a value of the person
        log.info("resolve.forgotten", kind=kind, offset=message.offset,
                 entities=done.entities, keys=len(done.keys))


def dumps_json(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (orjson: the resolved records are the stage's largest output)."""
    return orjson.dumps(value)


def die(exc: BaseException, topic: str, partition: int, offset: int,
         exit_: Callable[[int], NoReturn] = os._exit) -> NoReturn:
    """Log the failure with the record's coordinates and end the process without faust's
    shutdown, which would ack the record and commit its offset: after a restart it comes again."""
    log.critical("worker.crashed", topic=topic, partition=partition, offset=offset,
                 error=repr(exc), exc_info=exc)
    sys.stdout.flush()
    sys.stderr.flush()
    exit_(CRASH_EXIT_CODE)
