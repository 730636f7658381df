"""The release's picture of dataset coverage: for each dataset of each market, the share of the
live contracts that have its file, per day since the start of the history (a heat map, one row
per dataset).

A contract is live on a day when it has its 1m klines file; a dataset whose folders are not
contracts (COIN-M's index klines, per pair) is measured against the live pairs; one that exists
for perpetuals only (COIN-M's premium index klines, funding rates) shows their share. Days not
checked for a dataset, or for the market's 1m klines, are grey: nothing is known about them, so
they must not read as a share of 0. Days without a live contract (COIN-M before 2020) are
white. Written as PNG and SVG, reproducibly, like the other picture (release/picture.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from bfa_assets.common.days import HISTORY_START
from bfa_assets.common.markets import MARKETS, name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Folders with a file, per (market, dataset), at each day the count changes: +1 where a run
# starts, -1 the day after it ends.
FOLDERS = """
SELECT market, dataset, date, sum(sum(delta)) OVER (
    PARTITION BY market, dataset ORDER BY date ROWS UNBOUNDED PRECEDING
)::BIGINT AS folders
FROM (
    SELECT market, dataset, first_date AS date, 1 AS delta FROM dataset_runs
    UNION ALL
    SELECT market, dataset, last_date + 1, -1 FROM dataset_runs
)
GROUP BY market, dataset, date
"""
# Live contracts and pairs per (market, day); a pair is the name before `_` (COIN-M).
LIVE = """
SELECT market, date, count(*) AS contracts, count(DISTINCT split_part(symbol, '_', 1)) AS pairs
FROM available_by_date GROUP BY ALL
"""
# Datasets with a folder that is no contract: measured against the live pairs.
PER_PAIR = """
SELECT DISTINCT market, dataset FROM dataset_runs r
WHERE NOT EXISTS (SELECT 1 FROM symbols s WHERE s.market = r.market AND s.symbol = r.symbol)
"""
CHECKED = "SELECT market, dataset, first_date, last_date FROM dataset_checks"
# The days the market's 1m klines were checked: where the live contracts are known.
KLINES_CHECKED = "SELECT market, date, true AS live_known FROM probe_log"


def shares(release: duckdb.DuckDBPyConnection, newest: date) -> pl.DataFrame:
    """One row per (market, dataset, day) from HISTORY_START to `newest`: `share` of the live
    contracts (or pairs) with the file, null when nothing was live; `checked`: the day was
    checked for the dataset and for the market's 1m klines (which say what was live)."""
    days = pl.DataFrame({"date": pl.date_range(HISTORY_START, newest, "1d", eager=True)})
    checked = release.sql(CHECKED).pl()
    grid = checked.select("market", "dataset").unique().join(days, how="cross")
    folders = release.sql(FOLDERS).pl()
    live = release.sql(LIVE).pl()
    per_pair = release.sql(PER_PAIR).pl().with_columns(per_pair=pl.lit(True))
    in_check = checked.join(grid, on=["market", "dataset"]).filter(
        pl.col("date").is_between("first_date", "last_date")
    )
    return (
        grid.join(folders, on=["market", "dataset", "date"], how="left")
        .sort("market", "dataset", "date")
        .with_columns(pl.col("folders").forward_fill().over("market", "dataset").fill_null(0))
        .join(live, on=["market", "date"], how="left")
        .join(per_pair, on=["market", "dataset"], how="left")
        .join(release.sql(KLINES_CHECKED).pl(), on=["market", "date"], how="left")
        .join(
            in_check.select("market", "dataset", "date", checked=pl.lit(True)),
            on=["market", "dataset", "date"],
            how="left",
        )
        .with_columns(
            live=pl.when(pl.col("per_pair")).then("pairs").otherwise("contracts").fill_null(0),
            checked=pl.col("checked").fill_null(False) & pl.col("live_known").fill_null(False),
        )
        .with_columns(
            share=pl.when(pl.col("checked") & (pl.col("live") > 0))
            .then((pl.col("folders") / pl.col("live")).clip(upper_bound=1.0))
            .otherwise(None)
        )
        .select("market", "dataset", "date", "share", "checked")
    )


def draw(frame: pl.DataFrame, targets: list[Path]) -> None:
    """The heat map of `shares`, one row per (market, dataset), into each of `targets`."""
    import numpy as np  # here, not at the top: as matplotlib (release/picture.py)
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    rows = [
        (m, d)
        for m in MARKETS
        for d in sorted(frame.filter(pl.col("market") == m)["dataset"].unique())
    ]
    days = frame["date"].unique().sort()
    share = np.full((len(rows), len(days)), np.nan)
    unchecked = np.zeros((len(rows), len(days)))
    for i, (market, dataset) in enumerate(rows):
        one = frame.filter((pl.col("market") == market) & (pl.col("dataset") == dataset))
        share[i] = one.sort("date")["share"].to_numpy(allow_copy=True).astype(float)
        unchecked[i] = (~one.sort("date")["checked"]).to_numpy(allow_copy=True)
    figure = Figure(figsize=(10, 1.6 + 0.28 * max(1, len(rows))), dpi=120, layout="constrained")
    axes = figure.subplots()
    if not rows:
        axes.text(0.5, 0.5, "no dataset checked yet", ha="center", va="center")
        axes.set_axis_off()
        _save(figure, targets)
        return
    extent = (0, len(days), len(rows), 0)
    colours = colormaps["viridis"].with_extremes(bad="white")
    image = axes.imshow(share, aspect="auto", cmap=colours, vmin=0, vmax=1, extent=extent,
                        interpolation="nearest")  # fmt: skip
    grey = ListedColormap(["#00000000", "#bbbbbb"])
    axes.imshow(unchecked, aspect="auto", cmap=grey, vmin=0, vmax=1, extent=extent,
                interpolation="nearest")  # fmt: skip
    axes.set_yticks([i + 0.5 for i in range(len(rows))])
    axes.set_yticklabels([f"{name(m)} {d}" for m, d in rows])
    years = [i for i, day in enumerate(days) if day.month == 1 and day.day == 1]
    axes.set_xticks(years)
    axes.set_xticklabels([str(days[i].year) for i in years])
    bar = figure.colorbar(image, ax=axes, fraction=0.03)
    bar.set_label("share of live contracts with the file")
    figure.suptitle(f"Binance Vision futures datasets, {days[0]}..{days[-1]} (grey: not checked)")
    _save(figure, targets)


def _save(figure: Figure, targets: list[Path]) -> None:
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": "bfa"}):  # stable ids: the same data, the same SVG
        for target in targets:
            stamp = {"Date": None} if target.suffix == ".svg" else {"Software": None}
            figure.savefig(target, metadata=stamp)


def write_coverage_pictures(
    release: duckdb.DuckDBPyConnection, newest: date, targets: list[Path]
) -> None:
    draw(shares(release, newest), targets)
