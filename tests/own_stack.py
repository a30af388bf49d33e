"""The test session's own Kafka and Neo4j: another data directory and other ports than any stack
this or another checkout runs, so that tests never write into a demo or a deployment.

``own_stack_environment`` is called once, before collection, and puts its choice into the
environment, where ``Settings()`` and every child process (worker, sink, gateway…) read it:

- ``KETENLINK_VAR_DIR`` is ``var/test`` under the checkout (the demo's stack lives in ``var``);
- the ports come from one block of 1,000 (``base``), outside the range Linux hands out to
  outgoing connections (a client's local port must never take a test server's): Kafka
  ``base+92`` (controller ``+93``; the fault, ACL, graph benchmark and cluster tests add 100
  to 520 to these), Neo4j ``base+687``, gateway ``base+80``, explorer ``base+90``. A block
  is taken only when every one of those ports is free, or held by this directory's own
  servers from an earlier run (they are reused); the choice is kept in
  ``var/test/ports.json``.

Ports given in the environment (``KETENLINK_KAFKA__PORT`` and the others) are taken as they are:
then a port in use by a foreign process makes ``ketenlink stack up`` refuse, naming the setting.
"""

from __future__ import annotations

import json
import random
from collections.abc import MutableMapping
from pathlib import Path

from infra.process import port_is_free

HOST = "127.0.0.1"
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
"""Where Linux takes the local ports of outgoing connections from: a test's own client could
be given a port of a block in that range while its server is not listening yet."""


def candidate_blocks() -> list[int]:
    """Bases of 1,000 ports clear of the platform's defaults (17687, 18080, 18090,
    19092-19093) and of the ephemeral port range (default 32768-60999)."""
    try:
        low, high = map(int, EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        low, high = 32_768, 60_999
    return [base for base in range(20_000, 65_000, 1_000)
            if base + 999 < low or base > high]
OFFSETS: dict[str, int] = {
    "KETENLINK_KAFKA__PORT": 92,
    "KETENLINK_KAFKA__CONTROLLER_PORT": 93,
    "KETENLINK_NEO4J__BOLT_PORT": 687,
    "KETENLINK_GATEWAY__PORT": 80,
    "KETENLINK_EXPLORER__PORT": 90,
}
BENCH_PORT_OFFSET = 400
"""What the graph benchmark's stack of its own adds to the Kafka ports (its Neo4j: bolt + 1)."""
SECURE_CLUSTER_PORT_OFFSET = 500
"""What the 3-node sasl_ssl cluster's test adds to the Kafka ports (node i: + 10·i more)."""
KAFKA_EXTRA_OFFSETS = (100, 110, 120, 200, 300, BENCH_PORT_OFFSET, SECURE_CLUSTER_PORT_OFFSET,
                       SECURE_CLUSTER_PORT_OFFSET + 10, SECURE_CLUSTER_PORT_OFFSET + 20)
"""What the fault scenarios (a 3-node cluster at +100, a broker of its own at +200), the ACL
tests (+300), the graph benchmark (+400) and the secure cluster (+500) add to the Kafka
ports."""


def block_ports(base: int) -> dict[str, int]:
    """Every port a test session whose block starts at ``base`` may listen on, by setting."""
    ports = {name: base + offset for name, offset in OFFSETS.items()}
    for extra in KAFKA_EXTRA_OFFSETS:
        ports[f"kafka+{extra}"] = ports["KETENLINK_KAFKA__PORT"] + extra
        ports[f"controller+{extra}"] = ports["KETENLINK_KAFKA__CONTROLLER_PORT"] + extra
    ports["bench-neo4j"] = ports["KETENLINK_NEO4J__BOLT_PORT"] + 1
    return ports


def _own_pids(var_dir: Path) -> bool:
    """Whether a pid file of this directory's stack names a running process."""
    for pid_file in (var_dir / "run").glob("*.pid"):
        try:
            if Path(f"/proc/{int(pid_file.read_text().strip())}").exists():
                return True
        except (OSError, ValueError):
            continue
    return False


def _usable(base: int, var_dir: Path) -> bool:
    """All of the block's ports are free, or the block is this directory's own, still running."""
    if all(port_is_free(HOST, port) for port in block_ports(base).values()):
        return True
    return _own_pids(var_dir)


def choose_base(var_dir: Path, rng: random.Random) -> int:
    """The block kept from an earlier run when still usable, else a free one at random."""
    kept = var_dir / "ports.json"
    try:
        base = int(json.loads(kept.read_text())["base"])
    except (OSError, ValueError, KeyError, TypeError):
        base = None
    if base is not None and base in candidate_blocks() and _usable(base, var_dir):
        return base
    candidates = candidate_blocks()
    rng.shuffle(candidates)
    for candidate in candidates:
        if all(port_is_free(HOST, port) for port in block_ports(candidate).values()):
            var_dir.mkdir(parents=True, exist_ok=True)
            kept.write_text(json.dumps({"base": candidate}) + "\n")
            return candidate
    raise RuntimeError("no block of free ports for the test stack outside the ephemeral "
                       "range: set KETENLINK_KAFKA__PORT and the other ports yourself")


def own_stack_environment(root: Path, environ: MutableMapping[str, str],
                          rng: random.Random | None = None) -> dict[str, str]:
    """Set (and return) the test session's own data directory and ports in ``environ``."""
    chosen: dict[str, str] = {}
    if "KETENLINK_VAR_DIR" not in environ:
        chosen["KETENLINK_VAR_DIR"] = str(root / "var" / "test")
    var_dir = Path(environ.get("KETENLINK_VAR_DIR", chosen.get("KETENLINK_VAR_DIR", "")))
    if not any(name in environ for name in OFFSETS):
        base = choose_base(var_dir, rng or random.Random())
        chosen.update({name: str(base + offset) for name, offset in OFFSETS.items()})
    environ.update(chosen)
    return chosen
