"""Platform services run as child processes (worker, sink) by the demo and the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from core.private_files import PRIVATE_UMASK, open_private_binary, private_dir


class ServiceProcess:
    """``python -m ketenlink <command> [args]`` in the background, output to a log file; a
    context manager that stops it with SIGTERM (SIGKILL after ``stop_timeout`` s) on exit."""

    def __init__(self, command: str, log_file: Path, env: Mapping[str, str] | None = None,
                 stop_timeout: float = 30.0, args: Sequence[str] = ()) -> None:
        self.command, self.log_file, self.stop_timeout = command, log_file, stop_timeout
        self.args = tuple(args)
        self.env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        private_dir(self.log_file.parent)
        with open_private_binary(self.log_file, "ab") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ketenlink", self.command, *self.args], env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                umask=PRIVATE_UMASK,
            )
        return self

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def kill(self) -> int | None:
        """SIGKILL, as a crash would: no shutdown code runs; return the exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.kill()
        return self._proc.wait()

    def stop(self) -> int | None:
        """Stop the process; return its exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        return self._proc.returncode

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
