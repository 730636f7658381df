"""A back-fill launched from the Dagster UI, end to end, and where the UI shows its figures.

The simulator and `dagster dev` (webserver, daemon, code server) run as processes of their own;
headless Chromium does what docs/operations.md's "Back-filling from the UI" tells a newcomer:
the graph opens folded into its groups (the canvas's menu expands them), all five assets are
selected and January 2024 is back-filled through the launch dialog ("Show all partitions", a
typed range). Dagster's back-fill daemon groups assets by partitioning: it runs discovery
(unpartitioned) first, then ONE run over the whole range for the three daily assets (each has
`BackfillPolicy.single_run()`), then the release (unpartitioned): three runs. The month is then
read where the docs say: the `per_day` table on the asset's latest materialization (the
window's newest day) and each day's partition, while the Plots tab (the 120 newest days) is
still empty. A second, ranged run over the newest three weeks (as the daily sensor's would be)
fills the Plots tab. The tables must equal the simulator's ground truth for both windows, and
the figures shown equal the ground truth's. GraphQL only watches what the UI started, and
launches the second run. With BFA_UPDATE_SCREENSHOTS=1 the steps' screenshots are written to
docs/images/.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from bfa_assets.common.days import HISTORY_START, Window
from bfa_assets.common.markets import MARKETS
from bfa_assets.defs.partitions import range_tags
from bfa_assets_tests.e2e.conftest import UI_NOW, UI_SYMBOLS
from bfa_assets_tests.e2e.dagster_dev import (
    PROJECT,
    DagsterDev,
    all_runs,
    launch_run,
    run,
    run_log,
    wait_for_backfill,
    wait_for_run,
)
from bfa_assets_tests.pipeline import assert_windows_match_truth
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

JANUARY = Window(date(2024, 1, 1), date(2024, 1, 31))  # the README's example: long ago
END = UI_NOW.date() - timedelta(days=1)  # yesterday: the newest partition
NEWEST = Window(END - timedelta(days=20), END)  # three weeks, the newest partitions
PARTITIONS = (END - HISTORY_START).days + 1  # 2,625 on 2026-12-02, one more each day
ASSETS = ["futures_symbols", "daily_availability", "dataset_coverage", "daily_volume",
          "volume_rankings", "release_artifact"]  # fmt: skip
BACKFILLED = ["daily_availability", "dataset_coverage", "daily_volume", "volume_rankings"]
GROUPS = ["vision", "analytics", "release"]
IMAGES = PROJECT / "docs" / "images"
RUN_TIMEOUT = 240  # seconds; a run of the tiny scenario takes ~30 s on two busy cores
BACKFILL_TIMEOUT = 360  # the back-fill daemon ticks every 30 s, then the run itself


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """The docs' picture when BFA_UPDATE_SCREENSHOTS=1, else a throwaway file: the UI shows
    relative times, so every run would otherwise rewrite a tracked file."""
    return IMAGES / name if os.environ.get("BFA_UPDATE_SCREENSHOTS") == "1" else tmp_path / name


def test_backfill_from_the_ui(dagster_ui: DagsterDev, page: Page, tmp_path: Path) -> None:
    shot = partial(screenshot_path, tmp_path)
    universe = build("demo", symbols=UI_SYMBOLS, now=UI_NOW)
    url = dagster_ui.url

    # January 2024, all six assets, as docs/operations.md walks through it: three runs
    graph = open_asset_graph(page, url, folded=shot("asset-graph-folded.png"))
    for name in ASSETS:
        expect(graph.get_by_text(name, exact=True)).to_be_visible()
    backfill_id = launch_backfill(page, graph, ASSETS, JANUARY, shot("backfill-dialog.png"))
    backfill = wait_for_backfill(dagster_ui, backfill_id, BACKFILL_TIMEOUT)
    assert_three_runs(dagster_ui, backfill)
    assert_backfill_page(page, url, backfill_id)
    assert len(all_runs(dagster_ui)) == 3

    # what the UI shows afterwards: grey (1 % of the partitions), the month's figures in the
    # per_day table and on each day, and nothing in the Plots tab (the 120 newest days)
    save_graph_after_backfill(page, url, shot("asset-graph-after-backfill.png"))
    save_asset_graph(page, url, shot("asset-graph.png"))  # the README's picture
    month = figures_per_day(universe, JANUARY)
    assert per_day_table(page, url, shot("availability-per-day.png")) == month
    day = date(2024, 1, 15)
    assert partition_figures(page, url, day, shot("availability-partition.png")) == month[day]
    assert_no_plots(page, url)

    # the newest three weeks, one ranged run as the daily sensor's: the Plots tab draws them
    newest = launch_run(dagster_ui, BACKFILLED, range_tags(NEWEST.start, NEWEST.end))
    assert_succeeded(dagster_ui, wait_for_run(dagster_ui, newest, RUN_TIMEOUT))
    assert len(all_runs(dagster_ui)) == 4
    assert_windows_match_truth(dagster_ui.duckdb_path, universe, [JANUARY, NEWEST])
    assert_each_day_has_its_own_figures(dagster_ui, universe)
    save_plots(page, url, shot("availability-plots.png"))


def open_asset_graph(page: Page, url: str, folded: Path | None = None) -> Locator:
    """The global asset lineage, sidebars hidden and every group expanded; the node layer
    (nodes are HTML inside the graph's SVG, so this scopes text to the graph). With `folded`,
    first a screenshot of the graph as it opens: one box per group, the canvas's menu open."""
    page.goto(f"{url}/asset-groups")
    graph = page.locator("svg foreignObject")
    expect(graph.first).to_be_visible()
    if folded is not None:
        save_folded_graph(page, graph, folded)
    hide_sidebars(page)
    expand_groups(page, graph)
    return graph


def save_folded_graph(page: Page, graph: Locator, path: Path) -> None:
    """The graph as it first opens, folded into its groups, with the menu that a right click on
    the canvas opens; "Expand all groups" is in it."""
    for group in GROUPS:
        expect(graph.get_by_text(group, exact=True)).to_be_visible()
    expect(graph.get_by_text(ASSETS[0], exact=True)).to_be_hidden()
    box = graph.get_by_text(GROUPS[0], exact=True).bounding_box()
    assert box is not None
    expand = page.get_by_role("menuitem", name="Expand all groups")
    for _ in range(10):  # the graph ignores a right click until it has settled
        page.mouse.click(box["x"] + 150, box["y"] + 170, button="right")  # below the groups
        try:
            expect(expand).to_be_visible(timeout=3000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    else:
        raise AssertionError("the canvas opened no menu")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path)
    assert path.stat().st_size > 10_000
    page.keyboard.press("Escape")
    expect(expand).to_be_hidden()


def hide_sidebars(page: Page, tree: bool = True) -> None:
    """More room for the graph: the app's navigation and (with `tree`) the asset tree go."""
    navigation = page.get_by_role("button", name="Hide navigation")
    if navigation.is_visible():
        navigation.click()
    jump_to = page.get_by_placeholder("Jump to")
    if tree and jump_to.is_visible():  # the icon button right of the tree's search field
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


def launch_backfill(
    page: Page, graph: Locator, names: list[str], window: Window, path: Path
) -> str:
    """Back-fill a typed partition range of partitioned assets; the back-fill's id. The
    dialog, ready to launch, is saved to `path`."""
    select(page, graph, names)
    page.get_by_role("button", name="Materialize selected").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Launch runs to materialize {len(names)} assets")
    expect(dialog.get_by_text("Partition selection")).to_be_visible()
    # the dialog offers the last 90 days only, and selects none of them
    expect(dialog.get_by_text("Showing the last 90 days")).to_be_visible()
    expect(dialog.get_by_text("0 partitions", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Show all partitions").click()
    partitions = dialog.get_by_role("textbox").first
    partitions.fill(f"[{window.start}...{window.end}]")
    partitions.press("Enter")
    expect(dialog.get_by_text(f"{window.days} partitions", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path)
    assert path.stat().st_size > 10_000
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
    assert tags["dagster/asset_partition_range_start"] == str(JANUARY.start)
    assert tags["dagster/asset_partition_range_end"] == str(JANUARY.end)


def assert_backfill_page(page: Page, url: str, backfill_id: str) -> None:
    """The UI's own account of the back-fill: the range, and all five assets 100 % done."""
    page.goto(f"{url}/runs/b/{backfill_id}")
    expect(page.get_by_text(f"{JANUARY.start}...{JANUARY.end}")).to_be_visible()
    expect(page.get_by_text("100% completed")).to_have_count(len(ASSETS))


@contextmanager
def fresh_page(page: Page) -> Iterator[Page]:
    """A page in a new browser context: no remembered layout, sidebars as a newcomer has them."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport=page.viewport_size)
    try:
        yield context.new_page()
    finally:
        context.close()


def save_graph_after_backfill(page: Page, url: str, path: Path) -> None:
    """The graph and the asset tree after a back-fill of one month: the daily assets are grey
    (of their thousands of partitions, most are missing), the unpartitioned ones green."""
    with fresh_page(page) as fresh:
        fresh.goto(f"{url}/asset-groups")
        graph = fresh.locator("svg foreignObject")
        expect(graph.first).to_be_visible()
        hide_sidebars(fresh, tree=False)
        expand_groups(fresh, graph)
        for group in GROUPS:  # the tree's groups open with the caret left of their names
            name = fresh.locator(f"[title='{group}']")
            name.locator("xpath=ancestor::button[1]/../../preceding-sibling::button[1]").click()
        for name in ASSETS:
            icon = fresh.locator(f"[title='{name}']").locator("xpath=ancestor::button[1]")
            status = "missing" if name in BACKFILLED else "run_success"  # grey or green
            expect(icon.get_by_role("img").first).to_have_attribute("aria-label", status)
        # zoom in on the vision group (ctrl + wheel) until the nodes show their details
        box = graph.get_by_text(ASSETS[0], exact=True).bounding_box()
        assert box is not None
        fresh.mouse.move(box["x"] - 30, box["y"])
        fresh.keyboard.down("Control")
        fresh.mouse.wheel(0, -400)
        fresh.keyboard.up("Control")
        filled = f"{math.floor(100 * JANUARY.days / PARTITIONS)}% filled"  # rounded down
        for name in ("daily_availability", "daily_volume"):  # volume_rankings is off screen
            node = graph.filter(has=fresh.get_by_text(name, exact=True))
            expect(node).to_contain_text(filled)
            expect(node).to_contain_text(f"{PARTITIONS:,} partitions")
        fresh.mouse.move(box["x"], box["y"] + 300)  # no node highlighted
        fresh.evaluate("document.activeElement && document.activeElement.blur()")
        fresh.wait_for_load_state("networkidle")
        fresh.screenshot(path=path)
        assert path.stat().st_size > 10_000


# The figures of a daily_availability partition, in the order of its `per_day` table's columns:
# symbols with a file, in all and per market, and symbols checked.
FIGURES = ("available_symbols", "um_available_symbols", "cm_available_symbols", "symbols_checked")


def figures_per_day(universe, window: Window) -> dict[date, tuple[int, ...]]:
    """The FIGURES of each day, as the simulator has them (both markets)."""
    figures = {window.start + timedelta(days=i): [0, 0, 0, 0] for i in range(window.days)}
    for market in MARKETS:
        for row in universe.availability_truth(window.start, window.end, market=market):
            day = figures[row["date"]]
            day[0] += row["available"]
            day[FIGURES.index(f"{market}_available_symbols")] += row["available"]
            day[3] += 1
    return {day: tuple(values) for day, values in figures.items()}


def per_day_table(page: Page, url: str, path: Path) -> dict[date, tuple[int, ...]]:
    """daily_availability's Overview, Metadata as a table: the latest materialization is the
    back-filled window's newest day, whose `per_day` shows every day of the window; the
    figures it shows. A Markdown value this long is folded behind "[Show Markdown]", which
    opens it in a dialog."""
    page.goto(f"{url}/assets/daily_availability")
    expect(page.get_by_text(str(JANUARY.end), exact=True).first).to_be_visible()  # latest
    page.get_by_role("button", name="Table").click()
    key = page.get_by_text("per_day", exact=True)
    expect(key).to_be_visible()
    page.get_by_text("Description", exact=True).click()  # folded: more room for the table
    row = key.locator("xpath=ancestor::tr[1]")
    folded = row.get_by_text("[Show Markdown]")
    if folded.count():
        folded.click()
        shown_in = page.get_by_role("dialog")
        expect(shown_in.get_by_text(str(JANUARY.end)).first).to_be_visible()
    else:
        shown_in = row
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path, animations="disabled")  # the dialog fully faded in
    assert path.stat().st_size > 10_000
    numbers = r"\s+([\d,]+)" * len(FIGURES)
    found = re.findall(rf"^(\d{{4}}-\d\d-\d\d){numbers}\s*$", shown_in.inner_text(), re.MULTILINE)
    return {date.fromisoformat(d): tuple(number(n) for n in figures) for d, *figures in found}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def partition_figures(page: Page, url: str, day: date, path: Path) -> tuple[int, ...]:
    """The Partitions tab with the missing days hidden and one day opened: its own FIGURES."""
    page.goto(f"{url}/assets/daily_availability?view=partitions")
    expect(page.get_by_text(f"Materialized ({JANUARY.days})")).to_be_visible()
    missing = page.get_by_text(f"Missing ({PARTITIONS - JANUARY.days})")
    missing.click()  # only the materialized days are listed
    expect(page.get_by_text(f"{JANUARY.days} Partitions Selected")).to_be_visible()
    page.get_by_text(str(day), exact=True).first.click()
    expect(page).to_have_url(re.compile(f"partition={day}"))
    metadata = [
        page.get_by_role("row").filter(has=page.get_by_text(label, exact=True)) for label in FIGURES
    ]
    for row in metadata:
        expect(row).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path)
    assert path.stat().st_size > 10_000
    return tuple(number(row.inner_text().split()[1]) for row in metadata)


def assert_no_plots(page: Page, url: str) -> None:
    """Metadata, Plots by partition draws the 120 newest partitions: none of them is
    materialized yet, so it shows its empty state, as the newcomer saw."""
    page.goto(f"{url}/assets/daily_availability")
    page.get_by_role("button", name="Plots").click()
    expect(page.get_by_text("Asset plots are automatically generated by metadata")).to_be_visible()


FIGURES_QUERY = """
query Figures($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
    assetMaterializations(limit: 500) {
        partition metadataEntries { label ... on IntMetadataEntry { intValue } }
    }
} } }
"""


def assert_each_day_has_its_own_figures(dev: DagsterDev, universe) -> None:
    """Every partition of both windows carries that day's available symbols, in all and per
    market (as the ground truth has them), so the Plots tab draws a line per day, not one
    total copied onto every day; the run's own figures and the `per_day` table are on each
    window's newest day."""
    found = dev.graphql(FIGURES_QUERY, key={"path": ["daily_availability"]})["assetOrError"]
    figures = {
        m["partition"]: {e["label"]: e.get("intValue") for e in m["metadataEntries"]}
        for m in found["assetMaterializations"]
    }
    expected = {**figures_per_day(universe, JANUARY), **figures_per_day(universe, NEWEST)}
    assert sorted(figures) == sorted(str(day) for day in expected)
    for day, values in expected.items():
        assert tuple(figures[str(day)][label] for label in FIGURES) == values, day
    for market in MARKETS:  # a line per day and market, not one total copied onto every day
        assert len({f[f"{market}_available_symbols"] for f in figures.values()}) > 1
    newest_days = sorted([str(JANUARY.end), str(NEWEST.end)])
    assert sorted(p for p, f in figures.items() if "requests" in f) == newest_days
    assert sorted(p for p, f in figures.items() if "per_day" in f) == newest_days


def save_plots(page: Page, url: str, path: Path) -> None:
    """The asset page's plots of the per-day figures, by partition: the newest days."""
    page.goto(f"{url}/assets/daily_availability")
    page.get_by_role("button", name="Plots").click()
    plot = page.get_by_text("available_symbols", exact=True)
    expect(plot).to_be_visible()
    metadata = page.get_by_text("Metadata", exact=True).first
    metadata.evaluate("heading => heading.scrollIntoView({block: 'start'})")  # two rows of plots
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path)
    assert path.stat().st_size > 10_000


def save_asset_graph(page: Page, url: str, path: Path) -> None:
    """A screenshot of the graph after the back-fill, nodes in full detail.

    In a fresh context (no remembered layout) the graph zooms to fit once the groups are
    expanded in the full width, which is the zoom at which nodes show their status; a page
    that remembers expanded groups fits them before the sidebars fold and stays zoomed out.
    """
    with fresh_page(page) as fresh:
        graph = open_asset_graph(fresh, url)
        expect(graph.get_by_text("Materialized", exact=True).first).to_be_visible()
        canvas(fresh).hover(position={"x": 10, "y": 10})  # no node highlighted
        fresh.wait_for_load_state("networkidle")
        fresh.screenshot(path=path)
        assert path.stat().st_size > 10_000
