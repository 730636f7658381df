"""End-to-end fixtures: the simulator, `dagster dev` pointed at it, and headless Chromium.

The browser is Debian's /usr/bin/chromium (`make browser`), never one that
Playwright downloads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bfa_assets_tests.e2e.dagster_dev import (
    DagsterDev,
    dagster_dev,
    instance_env,
    skip_community_dialog,
)
from bfa_assets_tests.processes import simulator_process

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 30_000  # the UI is slow to answer while a run holds both cores


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: starts dagster dev and drives its UI in Chromium")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Remember each phase's report on the item, so `page` can screenshot a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")  # not longer: Playwright's loop would block later asyncio.run()
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (or make test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A fresh browser context; on failure its last screen is saved next to the test's files."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    # `dagster_ui` marks Dagster's "Join the Dagster community" dialog as seen; should it
    # still show up, dismiss it whenever it covers what the test wants to click.
    page.add_locator_handler(
        page.get_by_text("Join the Dagster community"),
        lambda: page.get_by_role("button", name="Skip", exact=True).click(),
    )
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        with contextlib.suppress(PlaywrightError):  # a crashed page must not hide the failure
            page.screenshot(path=shot)
            print(f"last screen: {shot}")
    context.close()


# The UI test's simulator: a few dozen real symbol names up to yesterday, its clock late enough
# in the day that yesterday is published, so the back-filled days are the newest partitions
# (the asset page plots the newest ones).
UI_SYMBOLS = 40
UI_NOW = datetime.combine(datetime.now(UTC).date(), time(23, 0), UTC)


@pytest.fixture
def vision_base_url() -> Iterator[str]:
    """The simulator (`demo` scenario) as a process of its own, like in production."""
    args = ["--scenario", "demo", "--symbols", str(UI_SYMBOLS), "--now", UI_NOW.isoformat()]
    with simulator_process(*args) as (base_url, _):
        yield base_url


@pytest.fixture
def dagster_ui(vision_base_url: str, tmp_path: Path) -> Iterator[DagsterDev]:
    """`dagster dev` on a free port with a fresh instance, pointed at the simulator."""
    folder = tmp_path / "dagster"
    folder.mkdir()
    # yesterday is published on the simulator's clock: keep the daily sensor from starting a
    # run of its own beside the back-fill
    env = instance_env(
        folder, f"{vision_base_url}/data.binance.vision", vision_base_url, BFA_DAILY_SENSOR="off"
    )
    with dagster_dev(folder, env) as dev:
        skip_community_dialog(dev)
        yield dev
