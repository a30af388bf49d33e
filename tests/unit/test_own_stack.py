"""The test session's own stack: a block of ports nobody else holds, kept between runs."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

from tests.own_stack import (
    OFFSETS,
    block_ports,
    candidate_blocks,
    choose_base,
    own_stack_environment,
)

DEFAULT_PORTS = {19092, 19093, 17687, 18080, 18090}


def test_the_session_never_uses_the_default_ports_or_var_dir(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    chosen = own_stack_environment(tmp_path, environ, random.Random(1))
    assert chosen["KETENLINK_VAR_DIR"] == str(tmp_path / "var" / "test")
    assert {int(environ[name]) for name in OFFSETS}.isdisjoint(DEFAULT_PORTS)
    assert environ == chosen


def test_a_block_with_a_port_in_use_is_passed_over(tmp_path: Path) -> None:
    first = choose_base(tmp_path / "a", random.Random(7))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", block_ports(first)["KETENLINK_NEO4J__BOLT_PORT"]))
        squatter.listen()
        assert choose_base(tmp_path / "b", random.Random(7)) != first


def test_the_block_is_kept_for_the_next_run(tmp_path: Path) -> None:
    base = choose_base(tmp_path, random.Random(3))
    assert json.loads((tmp_path / "ports.json").read_text()) == {"base": base}
    assert choose_base(tmp_path, random.Random(99)) == base


def test_ports_set_by_the_caller_are_kept(tmp_path: Path) -> None:
    environ = {"KETENLINK_KAFKA__PORT": "21092", "KETENLINK_VAR_DIR": str(tmp_path)}
    assert own_stack_environment(tmp_path, environ) == {}
    assert environ == {"KETENLINK_KAFKA__PORT": "21092", "KETENLINK_VAR_DIR": str(tmp_path)}


def test_no_block_lies_in_the_ephemeral_port_range() -> None:
    """Outgoing connections take local ports from that range: a test server there can find its
    port taken by a client (seen once: the ACL suite's broker port held by another socket)."""
    low, high = 32_768, 60_999
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        low, high = map(int, ranges.read().split())
    blocks = candidate_blocks()
    assert blocks
    for base in blocks:
        assert all(not low <= port <= high for port in block_ports(base).values())
