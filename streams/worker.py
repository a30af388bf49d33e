"""``ketenlink worker``: run the faust app until stopped."""

from __future__ import annotations

from faust.worker import Worker
from kafka import KafkaAdminClient

from core.kafka_clients import client_options
from core.settings import Settings
from core.topics import apply_topics, topics_of
from streams.app import changelog_topics, create_app


def run_worker(settings: Settings) -> None:
    """Create the tables' changelog topics if missing, then run the faust worker in the
    foreground; returns when it is stopped (SIGTERM / SIGINT)."""
    admin = KafkaAdminClient(**client_options(settings.kafka),
                             client_id="ketenlink-worker-setup")
    try:
        apply_topics(admin, changelog_topics(settings.faust_app_id))
    finally:
        admin.close()
    app = create_app(settings, topics_of(settings))
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False,
                    override_logging=False)
    worker.execute_from_commandline()
