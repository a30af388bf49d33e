"""Private files: what the project writes under var/ is its owner's only (folders 0700, files
0600), including the demo's generated scenario."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.private_files import (
    open_private,
    open_private_binary,
    private_dir,
    write_private_text,
)
from core.settings import Settings
from ketenlink.demo.scenario import generate_scenario


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common default umask 022 (new folders 0755, files 0644) during the test."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable_by_others(root: Path) -> list[str]:
    """Every path under ``root`` (itself included) that a group or other user may use."""
    found = [root, *root.rglob("*")]
    return sorted(f"{p.relative_to(root.parent)} {_mode(p):o}" for p in found
                  if not p.is_symlink() and _mode(p) & 0o077)


@pytest.mark.usefixtures("usual_umask")
def test_folders_are_created_and_tightened_to_0700(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "var" / "log" / "deep")
    assert made == tmp_path / "var" / "log" / "deep"
    assert [_mode(p) for p in (tmp_path / "var", tmp_path / "var/log", made)] == [0o700] * 3
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    private_dir(loose)
    assert _mode(loose) == 0o700


@pytest.mark.usefixtures("usual_umask")
def test_files_are_written_0600_also_over_an_existing_readable_one(tmp_path: Path) -> None:
    old = tmp_path / "old.log"
    old.write_text("before\n")
    old.chmod(0o644)
    with open_private(old, "a") as out:
        out.write("after\n")
    assert old.read_text() == "before\nafter\n" and _mode(old) == 0o600
    with open_private_binary(tmp_path / "new.bin", "wb") as out:
        out.write(b"x")
    write_private_text(tmp_path / "new.txt", "x")
    assert _mode(tmp_path / "new.bin") == _mode(tmp_path / "new.txt") == 0o600


@pytest.mark.usefixtures("usual_umask")
def test_the_demo_scenario_is_written_for_its_owner_only(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    scenario = generate_scenario(settings, "r1", lambda _line: None)
    assert scenario.out.is_dir() and any(scenario.out.iterdir())
    assert readable_by_others(tmp_path / "var") == []
