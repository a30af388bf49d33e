"""ensure_chromium against fake ``chromium`` and ``apt-get`` scripts: nothing is installed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.browser import CHROMIUM_FLAGS, chromium_version, ensure_chromium
from infra.exceptions import BrowserSetupError


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``apt-get`` first on PATH that records its calls in ``apt.log`` and succeeds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    _script(bin_dir / "apt-get", f'echo "${{DEBIAN_FRONTEND:-}}|$*" >> {log}')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.delenv("DEBIAN_FRONTEND", raising=False)
    return log


def test_flags_keep_chromium_off_the_network_and_leave_headless_to_playwright() -> None:
    assert {"--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-quic"} <= set(CHROMIUM_FLAGS)
    assert not any(flag.startswith("--headless") for flag in CHROMIUM_FLAGS)
    assert all(flag.startswith("--") for flag in CHROMIUM_FLAGS)  # Playwright rejects anything else


def test_a_working_chromium_is_returned_without_apt(tmp_path: Path, fake_apt: Path) -> None:
    chromium = _script(tmp_path / "chromium", 'echo "Chromium 1.2.3 built on Debian"')
    assert ensure_chromium(chromium) == chromium
    assert chromium_version(chromium) == "Chromium 1.2.3 built on Debian"
    assert not fake_apt.exists()


def test_a_broken_chromium_has_no_version(tmp_path: Path) -> None:
    assert chromium_version(_script(tmp_path / "chromium", "echo boom >&2; exit 1")) is None
    assert chromium_version(tmp_path / "missing") is None


def test_apt_runs_update_then_a_noninteractive_install(tmp_path: Path, fake_apt: Path) -> None:
    missing = tmp_path / "chromium"
    with pytest.raises(BrowserSetupError) as caught:
        ensure_chromium(missing)
    update, install = fake_apt.read_text().splitlines()
    assert update.startswith("|") and update.endswith(" update")
    assert install.startswith("noninteractive|")
    assert install.endswith("install -y --no-install-recommends chromium chromium-driver")
    # The fake install put nothing at the path, so the error names the version check.
    assert caught.value.command == f"{missing} --version"
    assert "does not exist" in caught.value.tail


def test_a_failing_apt_command_is_reported_with_its_output(
    tmp_path: Path, fake_apt: Path
) -> None:
    _script(fake_apt.parent / "bin" / "apt-get",
            'echo "Reading package lists..."; echo "E: Could not get lock /var/lib/apt/lists/lock" >&2; '
            "exit 100")
    with pytest.raises(BrowserSetupError) as caught:
        ensure_chromium(tmp_path / "chromium")
    assert caught.value.command.startswith("apt-get") and caught.value.command.endswith(" update")
    assert "E: Could not get lock" in caught.value.tail
    assert "E: Could not get lock" in str(caught.value)
    assert caught.value.command in str(caught.value)
