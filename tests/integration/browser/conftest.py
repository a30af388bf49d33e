"""One real headless Chromium (Debian's /usr/bin/chromium, see infra/browser.py) per test module,
driven by Playwright's sync API; a fresh context and page per test. Per module, not per session:
Playwright's sync API keeps an event loop running in the main thread while it is open, and
tests after it that call ``asyncio.run`` would fail.

Screenshots go to ``artifacts/screenshots/`` under the repository root: ``shot(page, name)`` saves
one on purpose, and a test that fails while using ``page`` leaves ``failed-<test>.png`` there.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from infra.browser import CHROMIUM_FLAGS, ensure_chromium

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}

Shot = Callable[[Page, str], Path]
"""``shot(page, name)``: save ``artifacts/screenshots/<name>.png`` (full page) and return its path."""

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_NAME = re.compile(r"[\w.-]+")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so that the ``page`` fixture sees a failed test."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    return ensure_chromium()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=list(CHROMIUM_FLAGS)
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def save_screenshot(directory: Path, page: Page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``<directory>/<name>.png`` and return its path."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r} may only hold letters, digits, '_', '-' and '.'")
    path = directory / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def shot(screenshots: Path) -> Shot:
    def take(page: Page, name: str) -> Path:
        return save_screenshot(screenshots, page, name)

    return take


@pytest.fixture
def page(browser: Browser, screenshots: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    try:
        yield tab
        report = request.node.stash.get(_REPORTS, {}).get("call")
        if report is not None and report.failed:
            # A crashed or closed page cannot be photographed; the test's own failure is what matters.
            with contextlib.suppress(PlaywrightError):
                test = f"{Path(str(request.node.path)).stem}-{request.node.name}"
                name = "failed-" + re.sub(r"[^\w.-]+", "_", test)
                print(f"screenshot of the failure: {save_screenshot(screenshots, tab, name)}")
    finally:
        tab.close()
        context.close()
