"""A back-fill launched from the Dagster UI, end to end.

The simulator and `dagster dev` (webserver, daemon, code server) run as processes of their own;
headless Chromium materializes `futures_symbols` and back-fills three weeks of the daily assets
from the asset graph, as an operator would. The back-fill daemon must turn the range into ONE
run (every partitioned asset has `BackfillPolicy.single_run()`), and the tables that run writes
must equal the simulator's ground truth. GraphQL only watches what the UI started.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from bfa_assets_tests.e2e.dagster_dev import (
    PROJECT,
    DagsterDev,
    all_runs,
    run,
    run_log,
    wait_for_backfill,
    wait_for_run,
)
from bfa_assets_tests.pipeline import assert_window_matches_truth
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

START, END = date(2022, 9, 1), date(2022, 9, 21)  # inside the tiny scenario
ASSETS = ["futures_symbols", "daily_availability", "daily_volume", "volume_rankings",
          "release_artifact"]  # fmt: skip
BACKFILLED = ["daily_availability", "daily_volume", "volume_rankings"]
README_SCREENSHOT = PROJECT / "docs" / "images" / "asset-graph.png"
RUN_TIMEOUT = 240  # seconds; a run of the tiny scenario takes ~30 s on two busy cores
BACKFILL_TIMEOUT = 360  # the back-fill daemon ticks every 30 s, then the run itself


def screenshot_path(tmp_path: Path) -> Path:
    """The README's picture when BFA_UPDATE_SCREENSHOTS=1, else a throwaway file: the graph
    shows relative times, so every run would otherwise rewrite a tracked file."""
    return (
        README_SCREENSHOT
        if os.environ.get("BFA_UPDATE_SCREENSHOTS") == "1"
        else (tmp_path / "asset-graph.png")
    )


def test_backfill_from_the_ui(dagster_ui: DagsterDev, page: Page, tmp_path: Path) -> None:
    graph = open_asset_graph(page, dagster_ui.url)
    for name in ASSETS:
        expect(graph.get_by_text(name, exact=True)).to_be_visible()

    symbols_run = materialize(page, graph, ["futures_symbols"])
    assert_succeeded(dagster_ui, wait_for_run(dagster_ui, symbols_run, RUN_TIMEOUT))

    graph = open_asset_graph(page, dagster_ui.url)  # afresh: nothing selected
    backfill_id = launch_backfill(page, graph, BACKFILLED, START, END)
    backfill = wait_for_backfill(dagster_ui, backfill_id, BACKFILL_TIMEOUT)
    backfill_run = assert_one_successful_run(dagster_ui, backfill)
    assert_backfill_page(page, dagster_ui.url, backfill_id)

    assert {r["runId"] for r in all_runs(dagster_ui)} == {symbols_run, backfill_run}
    assert_tables_match_truth(dagster_ui)
    save_asset_graph(page, dagster_ui.url, screenshot_path(tmp_path))


def open_asset_graph(page: Page, url: str) -> Locator:
    """The global asset lineage, sidebars hidden and every group expanded; the node layer
    (nodes are HTML inside the graph's SVG, so this scopes text to the graph)."""
    page.goto(f"{url}/asset-groups")
    graph = page.locator("svg foreignObject")
    expect(graph.first).to_be_visible()
    hide_sidebars(page)
    expand_groups(page, graph)
    return graph


def hide_sidebars(page: Page) -> None:
    """More room for the graph: the app's navigation and the asset tree go."""
    navigation = page.get_by_role("button", name="Hide navigation")
    if navigation.is_visible():
        navigation.click()
    jump_to = page.get_by_placeholder("Jump to")
    if jump_to.is_visible():  # the icon button right of the tree's search field folds it
        jump_to.locator("xpath=following::button[1]").click()
        expect(jump_to).to_be_hidden()


def expand_groups(page: Page, graph: Locator) -> None:
    """Several groups start collapsed to one box each; the canvas's context menu expands
    them. Right-clicking before the graph has settled opens no menu, hence the retries."""
    expand = page.get_by_role("menuitem", name="Expand all groups")
    for _ in range(10):
        if graph.get_by_text(ASSETS[0], exact=True).is_visible():
            return
        canvas(page).click(button="right", position={"x": 10, "y": 10})
        try:
            expect(expand).to_be_visible(timeout=3000)
        except AssertionError:
            page.keyboard.press("Escape")  # a menu without it (groups already expanded)
            continue
        expand.click()
        expect(graph.get_by_text(ASSETS[0], exact=True)).to_be_visible()
        return
    raise AssertionError("could not expand the asset groups")


def canvas(page: Page) -> Locator:
    """The graph's SVG; its top-left corner is empty canvas."""
    return page.locator("svg:has(foreignObject)").first


def select(page: Page, graph: Locator, names: list[str]) -> None:
    """Click the first asset node, shift-click the others."""
    graph.get_by_text(names[0], exact=True).click()
    for name in names[1:]:
        graph.get_by_text(name, exact=True).click(modifiers=["Shift"])
    label = "Materialize selected" + (f" ({len(names)})" if len(names) > 1 else "")
    expect(page.get_by_role("button", name=label)).to_be_visible()


def materialize(page: Page, graph: Locator, names: list[str]) -> str:
    """Materialize unpartitioned assets; the id of the run the UI launched."""
    select(page, graph, names)
    page.get_by_role("button", name="Materialize selected").click()
    expect(page.get_by_text("Launched run")).to_be_visible()
    return toast_link(page, "/runs/")


def launch_backfill(page: Page, graph: Locator, names: list[str], start: date, end: date) -> str:
    """Back-fill a typed partition range of partitioned assets; the back-fill's id."""
    select(page, graph, names)
    page.get_by_role("button", name="Materialize selected").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Launch runs to materialize {len(names)} assets")
    expect(dialog.get_by_text("Partition selection")).to_be_visible()
    # the dialog first offers the last 90 days only; the tiny scenario is older
    show_all = dialog.get_by_role("button", name="Show all partitions")
    if show_all.is_visible():
        show_all.click()
    partitions = dialog.get_by_role("textbox").first
    partitions.fill(f"[{start}...{end}]")
    partitions.press("Enter")
    days = (end - start).days + 1
    expect(dialog.get_by_text(f"{days} partitions", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Launch backfill").click()
    expect(page.get_by_text("Created backfill")).to_be_visible()
    return toast_link(page, "/runs/b/")


def toast_link(page: Page, prefix: str) -> str:
    """The id at the end of the toast's "View" link (the toast's text has a short id only)."""
    link = page.get_by_role("link", name="View", exact=True).and_(
        page.locator(f"a[href^='{prefix}']")
    )
    expect(link).to_be_visible()
    path = (link.get_attribute("href") or "").split("?")[0]
    found = re.fullmatch(re.escape(prefix) + r"([\w-]+)", path)
    assert found, f"unexpected link {path!r}"
    return found.group(1)


def assert_succeeded(dev: DagsterDev, finished: dict) -> None:
    assert finished["status"] == "SUCCESS", run_log(dev, finished["runId"])


def assert_one_successful_run(dev: DagsterDev, backfill: dict) -> str:
    """A single-run back-fill policy: one run over the whole range, of the selected assets."""
    runs = backfill["runs"]
    assert backfill["status"] == "COMPLETED_SUCCESS", f"{backfill}\n" + "\n".join(
        run_log(dev, r["runId"]) for r in runs
    )
    assert len(runs) == 1, f"expected one run, got {runs}"
    assert_succeeded(dev, runs[0])
    details = run(dev, runs[0]["runId"])
    tags = {t["key"]: t["value"] for t in details["tags"]}
    assert tags["dagster/asset_partition_range_start"] == str(START)
    assert tags["dagster/asset_partition_range_end"] == str(END)
    assert sorted(a["path"][-1] for a in details["assetSelection"]) == sorted(BACKFILLED)
    return runs[0]["runId"]


def assert_backfill_page(page: Page, url: str, backfill_id: str) -> None:
    """The UI's own account of the back-fill: the range, and every asset 100 % done."""
    page.goto(f"{url}/runs/b/{backfill_id}")
    expect(page.get_by_text(f"{START}...{END}")).to_be_visible()
    expect(page.get_by_text("100% completed")).to_have_count(len(BACKFILLED))


def assert_tables_match_truth(dev: DagsterDev) -> None:
    """The run wrote exactly the window, equal to the simulator's ground truth."""
    assert_window_matches_truth(dev.duckdb_path, build("tiny"), START, END)


def save_asset_graph(page: Page, url: str, path: Path) -> None:
    """A screenshot of the graph after the back-fill, nodes in full detail.

    In a fresh context (no remembered layout) the graph zooms to fit once the groups are
    expanded in the full width, which is the zoom at which nodes show their status; a page
    that remembers expanded groups fits them before the sidebars fold and stays zoomed out.
    """
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport=page.viewport_size)
    try:
        fresh = context.new_page()
        graph = open_asset_graph(fresh, url)
        expect(graph.get_by_text("Materialized", exact=True)).to_be_visible()
        canvas(fresh).hover(position={"x": 10, "y": 10})  # no node highlighted
        fresh.wait_for_load_state("networkidle")
        fresh.screenshot(path=path)
        assert path.stat().st_size > 10_000
    finally:
        context.close()
