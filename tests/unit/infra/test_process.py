from __future__ import annotations

import os
import socket
import stat
import sys
import time
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


def test_a_server_and_its_log_and_pid_files_are_private(tmp_path: Path) -> None:
    before = os.umask(0o022)  # the usual default, which made var/ world-readable
    try:
        marker = str(tmp_path / "marker")
        proc = ManagedProcess("writer", tmp_path / "run/w.pid", tmp_path / "log/w.log", marker)
        script = ("import os, pathlib, sys, time; os.mkdir('data'); "
                  "pathlib.Path('data/segment').write_text('x'); print('ok', flush=True); "
                  "time.sleep(60)")
        proc.start([sys.executable, "-c", script, marker], env={}, cwd=tmp_path)
        deadline = time.monotonic() + 10
        while "ok" not in (tmp_path / "log/w.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid_mode = stat.S_IMODE((tmp_path / "run/w.pid").stat().st_mode)
        proc.stop(timeout=10)
    finally:
        os.umask(before)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
             for p in (tmp_path / "run", tmp_path / "log", tmp_path / "log/w.log",
                       tmp_path / "data", tmp_path / "data/segment")}
    assert modes == {"run": 0o700, "log": 0o700, "log/w.log": 0o600, "data": 0o700,
                     "data/segment": 0o600}
    assert pid_mode == 0o600
