"""The test session's own stack: a block of ports nobody else holds, kept between runs."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

from tests.own_stack import OFFSETS, block_ports, choose_base, own_stack_environment

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
