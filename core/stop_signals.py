"""The stop signal of a long-running consumer process."""

from __future__ import annotations

import signal
import threading


def stop_event() -> threading.Event:
    """An event that SIGTERM or SIGINT (Ctrl-C) sets: the consumer loop checks it between
    batches and returns, so that the process commits and closes cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
