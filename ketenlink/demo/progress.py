"""One live status line while the demo waits: rewritten in place on a terminal, printed every
few seconds elsewhere (a log, ``make demo | tee``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

PROGRESS_EVERY_S = 5.0
"""Off a terminal (a log, ``make demo | tee``), one progress line every this many seconds."""


class Progress:
    """One live status line: rewritten in place once a second on a terminal; elsewhere (a log)
    printed every ``every_s`` seconds. A context manager that clears the line on exit."""

    def __init__(self, echo: Callable[[str], None], stream: TextIO, every_s: float = PROGRESS_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.echo, self.stream, self.every_s, self.clock = echo, stream, every_s, clock
        self.tty = stream.isatty()
        self._last: float | None = None

    def update(self, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r{text}\x1b[K")
            self.stream.flush()
            return
        now = self.clock()
        if self._last is None or now - self._last >= self.every_s:
            self._last = now
            self.echo(text)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
