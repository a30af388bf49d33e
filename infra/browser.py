"""The Chromium that browser tests drive: Debian's own package, installed with apt when missing.

``python -m infra.browser`` installs it if needed and prints its version.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog

from infra.exceptions import BrowserSetupError

log = structlog.get_logger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGES = ("chromium", "chromium-driver")

# Passed as launch args. Not --headless: Playwright's headless=True adds it itself (new headless mode).
# Without the background-networking flags Chromium phones home at startup and the closed network
# refuses those connections.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--no-sandbox",  # we run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Wait for another apt/dpkg run to release its lock instead of failing at once.
_APT_LOCK_WAIT = ("-o", "DPkg::Lock::Timeout=600")
APT_UPDATE = ("apt-get", *_APT_LOCK_WAIT, "update")
APT_INSTALL = ("apt-get", *_APT_LOCK_WAIT, "install", "-y", "--no-install-recommends", *APT_PACKAGES)
_APT_TIMEOUT_S = 1800.0
_TAIL_LINES = 20


def chromium_version(path: Path = CHROMIUM) -> str | None:
    """The ``chromium --version`` banner, or None when ``path`` is missing or does not run."""
    ok, output = _probe(path)
    return output if ok else None


def _probe(path: Path) -> tuple[bool, str]:
    """Run ``path --version``: whether it worked, and its output (or why it could not run)."""
    if not path.is_file():
        return False, f"{path} does not exist."
    try:
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    output = (result.stdout.strip() if result.returncode == 0
              else "\n".join((result.stdout + result.stderr).splitlines()[-_TAIL_LINES:]))
    return result.returncode == 0 and bool(output), output or "(no output)"


def ensure_chromium(path: Path = CHROMIUM) -> Path:
    """Return ``path`` once Chromium runs there, installing Debian's chromium packages first if needed."""
    version = chromium_version(path)
    if version:
        log.debug("chromium.present", path=str(path), version=version)
        return path
    log.info("chromium.installing", packages=list(APT_PACKAGES))
    started = time.monotonic()
    _run(APT_UPDATE)
    _run(APT_INSTALL, env={"DEBIAN_FRONTEND": "noninteractive"})
    ok, version = _probe(path)
    if not ok:
        raise BrowserSetupError(f"{path} --version", version)
    log.info("chromium.installed", path=str(path), version=version,
             seconds=round(time.monotonic() - started, 1))
    return path


def _run(command: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Run an apt command; raise BrowserSetupError with the tail of its output when it fails."""
    shown = " ".join([*(f"{k}={v}" for k, v in (env or {}).items()), *command])
    started = time.monotonic()
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, check=False,
                                env={**os.environ, **(env or {})}, timeout=_APT_TIMEOUT_S)
    except FileNotFoundError as exc:
        raise BrowserSetupError(shown, f"{exc}; this is not a Debian-like system, install Chromium "
                                       f"yourself at {CHROMIUM}.") from exc
    except subprocess.TimeoutExpired as exc:
        raise BrowserSetupError(shown, f"no result after {_APT_TIMEOUT_S:.0f} s.") from exc
    log.info("chromium.apt", command=shown, returncode=result.returncode,
             seconds=round(time.monotonic() - started, 1))
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        raise BrowserSetupError(shown, "\n".join(output[-_TAIL_LINES:]) or "(no output)")


if __name__ == "__main__":  # pragma: no cover - `make` calls this to install and check Chromium
    from core.logging import configure_logging

    configure_logging()
    try:
        print(chromium_version(ensure_chromium()))
    except BrowserSetupError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
