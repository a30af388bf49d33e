"""The one place a faust app is configured: the worker (``streams.app``) and the router
(``streams.router``) differ only in their id, store and producer batching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
import mode

from core.kafka_clients import faust_broker, faust_credentials
from core.private_files import private_dir
from core.settings import Settings


def build_faust_app(settings: Settings, app_id: str, *, store: str,
                    **producer: Any) -> faust.App:
    """A faust app ``app_id`` on the settings' broker, with its data in the private
    ``<var_dir>/faust/<app_id>``; ``store`` is the table store URL, ``producer`` the stage's own
    producer batching (``producer_linger``, ``producer_max_batch_size``).

    Common to every stage: topics come from ``core/topics.yaml`` (never declared by faust), a
    new group reads from the start, every write waits for all in-sync replicas, a crashed
    worker's partitions move to a standby after 10 s instead of faust's 60 s, an agent's crash
    ends the process (``mode.CrashingSupervisor``) and there is no web server."""
    datadir = Path(settings.var_dir, "faust").resolve()
    private_dir(datadir)
    return faust.App(
        app_id,
        broker=faust_broker(settings.kafka),
        broker_credentials=faust_credentials(settings.kafka),
        store=store,
        datadir=str(datadir / app_id),
        topic_replication_factor=1,
        topic_disable_leader=True,
        topic_allow_declare=False,  # topics come from core/topics.yaml and changelog_topics()
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        agent_supervisor=mode.CrashingSupervisor,
        web_enabled=False,
        **producer,
    )
