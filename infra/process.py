"""Background server processes tracked by pid files, so that ``down`` stops only what ``up`` started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from core.private_files import PRIVATE_UMASK, open_private_binary, private_dir, write_private_text

log = structlog.get_logger(__name__)


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file, or a note that there is none."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def pid_alive(pid: int) -> bool:
    """True when ``pid`` runs and is not a zombie; reaps it first if it is our exited child."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


# Run "$@" in the background with output appended to $1, print its pid, and return at once;
# under umask 077, so that what the server writes (data, its own logs) is its owner's only.
_DETACH = f'umask {PRIVATE_UMASK:03o}; log="$1"; shift; exec "$@" </dev/null >>"$log" 2>&1 &\necho $!'


@dataclass(frozen=True)
class ManagedProcess:
    """One server process of the stack: its pid file, its log and a marker in its command line.

    The marker (a path unique to this stack) guards against a recycled pid: a pid whose
    command line lacks it is not ours and is never signalled.
    """

    name: str
    pid_file: Path
    log_file: Path
    marker: str

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if pid_alive(pid) and self.marker in _cmdline(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
        """Start ``argv`` detached (its own session, not our child) with output to the log file;
        record its pid. The server outlives the command that started it. The log and pid
        files are 0600 in 0700 folders; the server runs with umask 077."""
        private_dir(self.log_file.parent)
        private_dir(self.pid_file.parent)
        open_private_binary(self.log_file, "ab").close()
        launcher = subprocess.run(
            ["/bin/sh", "-c", _DETACH, "sh", str(self.log_file), *argv],
            cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            start_new_session=True, check=True,
        )
        pid = int(launcher.stdout.strip())
        write_private_text(self.pid_file, f"{pid}\n")
        log.info("process.started", service=self.name, pid=pid, log=str(self.log_file))
        return pid

    def kill(self, timeout: float = 30.0) -> int | None:
        """SIGKILL our process, as a crash would (no shutdown code runs), and wait until it is
        gone; its pid, or None when nothing of ours ran."""
        pid = self.pid()
        if pid is None:
            return None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        log.warning("process.killed", service=self.name, pid=pid)
        return pid

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM our process, SIGKILL it after ``timeout`` s; False when nothing of ours ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                log.warning("process.kill", service=self.name, pid=pid, after_s=timeout)
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.2)
        self.pid_file.unlink(missing_ok=True)
        log.info("process.stopped", service=self.name, pid=pid)
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
