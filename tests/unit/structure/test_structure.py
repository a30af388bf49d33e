"""The house's structure, measured from the code: floors, cycles, the command entry, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ketenlink.cli import app
from tests.unit.structure.cli_tree import command_tree
from tests.unit.structure.imports import ROOT, cycles, import_graph, package_arrows

FLOORS = ("core", "schemas", "policy", "producers", "streams", "graph", "consumers", "alerts",
          "explorer", "infra", "generator", "bench", "ketenlink")
"""Top-level packages from the ground floor up: a package imports only from floors below it.
``core`` is the ground floor (settings, errors, logging, Kafka clients and the publisher, the
topic layout, the Neo4j driver, the audit log, private files); ``ketenlink`` is the roof (the
command entry and the demo); ``bench`` holds every benchmark and evaluation."""

ALLOWED_UPWARD: frozenset[tuple[str, str]] = frozenset()
"""Arrows from a lower floor to a higher one that are accepted (the issue allows at most 3)."""

NOT_PACKAGES = {"tests", "var", "docs", "artifacts"}


def test_every_top_level_package_has_a_floor() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_PACKAGES
    assert packages == set(FLOORS)


def test_imports_run_one_way_down() -> None:
    floor = {package: level for level, package in enumerate(FLOORS)}
    upward = {arrow: imports for arrow, imports in package_arrows(import_graph(FLOORS)).items()
              if floor[arrow[1]] > floor[arrow[0]] and arrow not in ALLOWED_UPWARD}
    assert upward == {}
    assert len(ALLOWED_UPWARD) <= 3


def test_no_import_cycle_lazy_or_not() -> None:
    assert cycles(import_graph(FLOORS)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_command_entry_is_small() -> None:
    assert len((ROOT / "ketenlink" / "cli.py").read_text(encoding="utf-8").splitlines()) <= 200


def test_benchmarks_live_in_bench_only() -> None:
    product = [path.relative_to(ROOT).as_posix() for package in FLOORS if package != "bench"
               for path in (ROOT / package).rglob("*.py")
               if any(word in path.stem for word in ("bench", "evaluat", "_eval", "_check"))]
    assert product == []


def test_the_command_tree_is_unchanged() -> None:
    """Every command and option of ``ketenlink`` as before the restructuring
    (tests/data/cli-tree.json; regenerate it only for a deliberate change of the CLI)."""
    expected = json.loads((Path(__file__).parents[2] / "data" / "cli-tree.json").read_text())
    assert command_tree(typer.main.get_command(app)) == expected
