"""Smoke test of the browser fixtures: a real page from a local HTTP server, clicked in Chromium."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.integration.browser.conftest import Shot

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>smoke</title></head>
<body>
  <p id="status">waiting</p>
  <button id="go" onclick="document.getElementById('status').textContent = 'clicked'">Go</button>
</body></html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """Base URL of a ``http.server`` on a free local port serving ``index.html``."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_click_changes_the_text(page: Page, site: str, shot: Shot) -> None:
    page.goto(f"{site}/index.html")
    status = page.locator("#status")
    assert status.text_content() == "waiting"

    page.click("#go")

    assert status.text_content() == "clicked"
    path = shot(page, "smoke-clicked")
    assert path.name == "smoke-clicked.png"
    assert path.is_file() and path.stat().st_size > 0
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
