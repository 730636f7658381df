"""The release's picture: symbols with data per day since the start of the history.

One panel per market, over the same days: USD-M's stacked areas per kind of contract
(USDT-quoted perpetuals, other perpetuals, delivery contracts) above COIN-M's (perpetuals,
delivery contracts), and in each the days nobody checked for that market shaded and left
blank: nothing is known about them, so the picture must not show them as days without symbols.
Days before a market's first day (COIN-M's began in 2020) are zeros: it had no contract.
Written as PNG (for the README and GitHub) and SVG (small, sharp at any size), reproducibly:
the same data gives the same bytes.

matplotlib is imported inside `draw` only: it takes a third of a second to import, and neither
the code location's start nor `bfa query` should pay for it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from bfa_assets.common.days import HISTORY_START
from bfa_assets.common.markets import MARKETS, name
from bfa_assets.store.coverage import Coverage, history_start

PER_DAY = """
SELECT a.date,
       count(*) FILTER (s.kind = 'perpetual' AND s.quote_asset = 'USDT') AS usdt_perpetual,
       count(*) FILTER (s.kind = 'perpetual' AND s.quote_asset IS DISTINCT FROM 'USDT')
           AS other_perpetual,
       count(*) FILTER (s.kind = 'perpetual') AS perpetual,
       count(*) FILTER (s.kind = 'delivery') AS delivery
FROM available_by_date a JOIN symbols s USING (market, symbol)
WHERE a.market = $market
GROUP BY a.date ORDER BY a.date
"""
SERIES = {  # market -> column -> (label, colour)
    "um": {
        "usdt_perpetual": ("USDT-quoted perpetuals", "#1f77b4"),
        "other_perpetual": ("other perpetuals (USDC, BTC, …)", "#ff7f0e"),
        "delivery": ("delivery contracts", "#2ca02c"),
    },
    "cm": {
        "perpetual": ("perpetuals", "#9467bd"),
        "delivery": ("delivery contracts", "#2ca02c"),
    },
}


def per_day(
    release: duckdb.DuckDBPyConnection,
    unchecked: list[tuple[date, date]],
    newest: date,
    market: str = "um",
) -> pl.DataFrame:
    """Symbols of `market` with a 1m file per calendar day, by kind, from the first day of the
    history to `newest`; null on the `unchecked` days (unknown), 0 on checked days without
    files."""
    series = list(SERIES[market])
    counts = release.sql(PER_DAY, params={"market": market}).pl().select("date", *series)
    days = pl.DataFrame({"date": pl.date_range(HISTORY_START, newest, "1d", eager=True)})
    not_checked = pl.lit(False)
    for first, end in unchecked:
        not_checked = not_checked | pl.col("date").is_between(first, end)
    return days.join(counts, on="date", how="left").with_columns(
        pl.when(not_checked).then(None).otherwise(pl.col(c).fill_null(0)).alias(c) for c in series
    )


def draw(
    panels: list[tuple[str, pl.DataFrame, list[tuple[date, date]]]], targets: list[Path]
) -> None:
    """Draw each panel (market, its days, its unchecked ranges), one above the other over the
    same days, into each of `targets` (by suffix)."""
    from matplotlib import rc_context  # here, not at the top: see the module docstring
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 1.2 + 3 * len(panels)), dpi=120, layout="constrained")
    grid = figure.subplots(len(panels), 1, sharex=True, squeeze=False)
    for axes, (market, days, unchecked) in zip(grid[:, 0], panels, strict=True):
        _panel(axes, market, days, unchecked)
    days = panels[0][1]
    figure.suptitle(
        f"Binance futures with data on Binance Vision, {days['date'][0]}..{days['date'][-1]}"
    )
    with rc_context({"svg.hashsalt": "bfa"}):  # stable ids: the same data, the same SVG
        for target in targets:
            stamp = {"Date": None} if target.suffix == ".svg" else {"Software": None}
            figure.savefig(target, metadata=stamp)


def _panel(axes, market: str, days: pl.DataFrame, unchecked: list[tuple[date, date]]) -> None:
    """One market's stacked areas per kind, its unchecked ranges shaded and hatched."""
    x = days["date"].to_numpy()
    below = 0
    for column, (label, colour) in SERIES[market].items():
        above = below + days[column].to_numpy(allow_copy=True).astype(float)
        axes.fill_between(x, below, above, label=label, color=colour, linewidth=0)
        below = above
    for n, (first, last) in enumerate(unchecked):
        axes.axvspan(first, last + timedelta(days=1), color="#bbbbbb", alpha=0.5, linewidth=0,
                     hatch="//", label="not checked (unknown)" if n == 0 else None)  # fmt: skip
    axes.set_xlim(days["date"][0], days["date"][-1] + timedelta(days=1))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("symbols with a 1m file")
    axes.set_title(f"{name(market)} futures", loc="left")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)


def write_pictures(release: duckdb.DuckDBPyConnection, newest: date, targets: list[Path]) -> None:
    """The picture of the history up to the release's `newest` day, one panel per market, the
    days not checked for that market shaded."""
    panels = []
    for market in MARKETS:
        unchecked = Coverage.of(release, market).history_gaps(
            newest, history_start(release, market)
        )
        panels.append((market, per_day(release, unchecked, newest, market), unchecked))
    draw(panels, targets)
