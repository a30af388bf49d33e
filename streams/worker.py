"""``ketenlink worker``: run the faust app until stopped."""

from __future__ import annotations

from faust.worker import Worker

from infra.topics import load_layout
from ketenlink.settings import Settings
from streams.app import create_app


def run_worker(settings: Settings) -> None:
    """Start the faust worker in the foreground; returns when it is stopped (SIGTERM / SIGINT)."""
    app = create_app(settings, load_layout(prefix=settings.topic_prefix))
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False,
                    override_logging=False)
    worker.execute_from_commandline()
