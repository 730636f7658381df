"""A back-fill launched from the Dagster UI, end to end.

The simulator and `dagster dev` (webserver, daemon, code server) run as processes of their own;
headless Chromium selects all five assets in the asset graph and back-fills three weeks, as an
operator would. Dagster's back-fill daemon groups assets by partitioning: it runs discovery
(unpartitioned) first, then ONE run over the whole range for the three daily assets (each has
`BackfillPolicy.single_run()`), then the release (unpartitioned) — three runs, which
docs/operations.md describes. The tables must equal the simulator's ground truth, and the asset
page must plot each day's own figures. GraphQL only watches what the UI started.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from bfa_assets_tests.e2e.conftest import UI_NOW, UI_SYMBOLS
from bfa_assets_tests.e2e.dagster_dev import (
    PROJECT,
    DagsterDev,
    all_runs,
    run,
    run_log,
    wait_for_backfill,
)
from bfa_assets_tests.pipeline import assert_window_matches_truth
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

END = UI_NOW.date() - timedelta(days=1)  # yesterday: the newest partitions
START = END - timedelta(days=20)
ASSETS = ["futures_symbols", "daily_availability", "daily_volume", "volume_rankings",
          "release_artifact"]  # fmt: skip
BACKFILLED = ["daily_availability", "daily_volume", "volume_rankings"]
IMAGES = PROJECT / "docs" / "images"
RUN_TIMEOUT = 240  # seconds; a run of the tiny scenario takes ~30 s on two busy cores
BACKFILL_TIMEOUT = 360  # the back-fill daemon ticks every 30 s, then the run itself


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """The docs' picture when BFA_UPDATE_SCREENSHOTS=1, else a throwaway file: the UI shows
    relative times, so every run would otherwise rewrite a tracked file."""
    return IMAGES / name if os.environ.get("BFA_UPDATE_SCREENSHOTS") == "1" else tmp_path / name


def test_backfill_from_the_ui(dagster_ui: DagsterDev, page: Page, tmp_path: Path) -> None:
    graph = open_asset_graph(page, dagster_ui.url)
    for name in ASSETS:
        expect(graph.get_by_text(name, exact=True)).to_be_visible()

    backfill_id = launch_backfill(page, graph, ASSETS, START, END)
    backfill = wait_for_backfill(dagster_ui, backfill_id, BACKFILL_TIMEOUT)
    assert_three_runs(dagster_ui, backfill)
    assert_backfill_page(page, dagster_ui.url, backfill_id)

    assert len(all_runs(dagster_ui)) == 3
    assert_tables_match_truth(dagster_ui)
    assert_each_day_has_its_own_figures(dagster_ui)
    save_plots(page, dagster_ui.url, screenshot_path(tmp_path, "availability-plots.png"))
    save_asset_graph(page, dagster_ui.url, screenshot_path(tmp_path, "asset-graph.png"))


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


def assert_three_runs(dev: DagsterDev, backfill: dict) -> None:
    """Discovery, then one run over the whole range for the daily assets (single-run back-fill
    policies), then the release: what docs/operations.md says a back-fill of all five does."""
    runs = backfill["runs"]
    assert backfill["status"] == "COMPLETED_SUCCESS", f"{backfill}\n" + "\n".join(
        run_log(dev, r["runId"]) for r in runs
    )
    details = [run(dev, r["runId"]) for r in reversed(runs)]  # the API lists newest first
    for found in details:
        assert_succeeded(dev, found)
    selections = [sorted(a["path"][-1] for a in d["assetSelection"]) for d in details]
    assert selections == [["futures_symbols"], sorted(BACKFILLED), ["release_artifact"]]
    tags = {t["key"]: t["value"] for t in details[1]["tags"]}
    assert tags["dagster/asset_partition_range_start"] == str(START)
    assert tags["dagster/asset_partition_range_end"] == str(END)


def assert_backfill_page(page: Page, url: str, backfill_id: str) -> None:
    """The UI's own account of the back-fill: the range, and all five assets 100 % done."""
    page.goto(f"{url}/runs/b/{backfill_id}")
    expect(page.get_by_text(f"{START}...{END}")).to_be_visible()
    expect(page.get_by_text("100% completed")).to_have_count(len(ASSETS))


def assert_tables_match_truth(dev: DagsterDev) -> None:
    """The run wrote exactly the window, equal to the simulator's ground truth."""
    assert_window_matches_truth(
        dev.duckdb_path, build("demo", symbols=UI_SYMBOLS, now=UI_NOW), START, END
    )


FIGURES_QUERY = """
query Figures($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
    assetMaterializations(limit: 500) {
        partition metadataEntries { label ... on IntMetadataEntry { intValue } }
    }
} } }
"""


def assert_each_day_has_its_own_figures(dev: DagsterDev) -> None:
    """Every partition of the window carries that day's available symbols (as the ground truth
    has them), so the Plots tab draws a line per day, not one total copied onto every day."""
    found = dev.graphql(FIGURES_QUERY, key={"path": ["daily_availability"]})["assetOrError"]
    figures = {
        m["partition"]: {e["label"]: e.get("intValue") for e in m["metadataEntries"]}
        for m in found["assetMaterializations"]
    }
    truth = build("demo", symbols=UI_SYMBOLS, now=UI_NOW).availability_truth(START, END)
    for day in {r["date"] for r in truth}:
        available = sum(r["available"] for r in truth if r["date"] == day)
        assert figures[str(day)]["available_symbols"] == available, day
    assert len({f["available_symbols"] for f in figures.values()}) > 1
    assert [p for p, f in figures.items() if "requests" in f] == [str(END)]  # the run's own


def save_plots(page: Page, url: str, path: Path) -> None:
    """The asset page's plots of the per-day figures, by partition."""
    page.goto(f"{url}/assets/daily_availability")
    metadata = page.get_by_role("heading", name="Metadata").or_(page.get_by_text("Metadata").first)
    page.get_by_role("button", name="Plots").click()
    plot = page.get_by_text("available_symbols", exact=True)
    expect(plot).to_be_visible()
    metadata.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path)
    assert path.stat().st_size > 10_000


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
        expect(graph.get_by_text("Materialized", exact=True).first).to_be_visible()
        canvas(fresh).hover(position={"x": 10, "y": 10})  # no node highlighted
        fresh.wait_for_load_state("networkidle")
        fresh.screenshot(path=path)
        assert path.stat().st_size > 10_000
    finally:
        context.close()
