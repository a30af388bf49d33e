"""``ketenlink stack``: health, reuse, clean stop, clear errors — on real processes."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import KafkaSettings, Neo4jSettings, Settings
from infra.exceptions import DownloadError, PortInUseError
from infra.process import port_is_free
from infra.runtime import ensure_runtime
from infra.stack import ServerStatus, Stack
from tests.unit.core.test_private_files import readable_by_others


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _isolated(settings: Settings, var_dir: Path) -> Settings:
    """The same runtimes (cache), but other ports and another var/ directory."""
    return settings.model_copy(update={
        "var_dir": var_dir,
        "kafka": KafkaSettings(port=_free_port(), controller_port=_free_port()),
        "neo4j": Neo4jSettings(bolt_port=_free_port(), heap="512m", pagecache="64m"),
    })


def test_status_reports_both_servers_healthy(stack: list[ServerStatus],
                                             settings: Settings) -> None:
    statuses = {s.name: s for s in Stack(settings).status()}
    assert set(statuses) == {"kafka", "neo4j"}
    for status in statuses.values():
        assert status.healthy and status.state == "healthy"
        assert status.pid is not None and Path(f"/proc/{status.pid}").exists()
    assert statuses["kafka"].version == settings.kafka.version
    assert statuses["neo4j"].address == settings.neo4j.uri


def test_up_twice_reuses_running_servers(stack: list[ServerStatus], settings: Settings) -> None:
    before = {s.name: s.pid for s in Stack(settings).status()}
    again = Stack(settings).up()
    assert {s.name: s.pid for s in again} == before
    assert not any(s.started_here for s in again)


def test_cli_status_exits_zero_when_healthy(stack: list[ServerStatus],
                                            settings: Settings) -> None:
    result = subprocess.run([sys.executable, "-m", "ketenlink", "stack", "status"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("healthy") == 2
    for name in ("pseudonym_key", "audit_key", "neo4j.password"):  # warned of when a default
        assert (f"warning: {name} is the development default" in result.stderr) is \
            (name in settings.secrets_at_default())


def test_port_in_use_is_refused_before_anything_starts(settings: Settings,
                                                       tmp_path: Path) -> None:
    isolated = _isolated(settings, tmp_path / "var")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", isolated.kafka.port))
        squatter.listen()
        with pytest.raises(PortInUseError) as caught:
            Stack(isolated).up()
    assert caught.value.port == isolated.kafka.port
    assert "KETENLINK_KAFKA__PORT" in str(caught.value)
    assert all(s.pid is None for s in Stack(isolated).status())


def test_down_stops_only_its_own_servers(stack: list[ServerStatus], settings: Settings,
                                         tmp_path: Path) -> None:
    assert Stack(_isolated(settings, tmp_path / "var")).down() == []
    assert all(s.healthy for s in Stack(settings).status())


def test_isolated_stack_starts_and_stops_cleanly(stack: list[ServerStatus], settings: Settings,
                                                 tmp_path: Path) -> None:
    isolated = _isolated(settings, tmp_path / "var")
    local = Stack(isolated)
    try:
        statuses = local.up()
        assert all(s.healthy and s.started_here for s in statuses)
        pids = [s.pid for s in statuses]
        # a fresh store: everything the stack and the servers wrote is their owner's only
        assert readable_by_others(tmp_path / "var") == []
    finally:
        stopped = local.down()
    assert sorted(stopped) == ["kafka", "neo4j"]
    assert all(not Path(f"/proc/{pid}").exists() or
               Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z" for pid in pids)
    assert port_is_free("127.0.0.1", isolated.kafka.port)
    assert port_is_free("127.0.0.1", isolated.neo4j.bolt_port)
    assert "ketenlink-neo4j: shutting down" in (tmp_path / "var/log/neo4j.log").read_text()


def test_the_stack_keeps_its_data_and_logs_from_other_users(stack: list[ServerStatus],
                                                            settings: Settings) -> None:
    var = settings.var_dir
    folders = [var, var / "log", var / "run", var / "kafka", var / "kafka" / "data",
               var / "neo4j"]
    assert {str(f): oct(stat.S_IMODE(f.stat().st_mode)) for f in folders} == \
        {str(f): "0o700" for f in folders}
    files = [var / "log" / "kafka.log", var / "log" / "neo4j.log",
             var / "kafka" / "server.properties", var / "neo4j" / "neo4j.conf"]
    assert {str(f): oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == \
        {str(f): "0o600" for f in files}


def test_unknown_release_is_a_clear_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        ensure_runtime("kafka", "0.0.0-no-such-release", tmp_path)
    assert "Maven Central" in str(caught.value)
    assert caught.value.log_path.is_file()
    assert not list((tmp_path / "kafka-0.0.0-no-such-release").glob("lib-*/complete.json"))
