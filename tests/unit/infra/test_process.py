from __future__ import annotations

import socket
import sys
from pathlib import Path

from infra.process import ManagedProcess, port_is_free


def test_port_is_free_sees_a_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)


def test_managed_process_start_pid_stop(tmp_path: Path) -> None:
    marker = str(tmp_path / "marker")
    proc = ManagedProcess("sleeper", tmp_path / "run/s.pid", tmp_path / "log/s.log", marker)
    pid = proc.start([sys.executable, "-c", "import sys,time; print('up', flush=True); "
                      "time.sleep(60)", marker], env={}, cwd=tmp_path)
    assert proc.pid() == pid
    assert proc.stop(timeout=10) is True
    assert proc.pid() is None
    assert not (tmp_path / "run/s.pid").exists()
    assert proc.stop() is False  # nothing of ours left to stop


def test_recycled_pid_without_marker_is_never_ours(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    pid_file.write_text("1\n")  # init runs, but it is not our server
    proc = ManagedProcess("x", pid_file, tmp_path / "x.log", marker=str(tmp_path))
    assert proc.pid() is None
    assert not pid_file.exists()
