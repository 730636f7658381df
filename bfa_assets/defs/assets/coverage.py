"""dataset_coverage: which of Vision's futures datasets have a file, per folder and day."""

import time

import dagster as dg

from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.windows import (
    SymbolFilter,
    listed_over_window,
    report_per_day,
    report_run,
    window_of,
)
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.steps.coverage import refresh_coverage


@warehouse_asset(
    daily=True,
    deps=[daily_availability],
    kinds={"s3", "duckdb"},
    group_name="vision",
)
def dataset_coverage(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """Every dataset of both markets but the 1m klines (aggTrades, trades, bookDepth, metrics,
    mark/index/premium-index klines' 1m level, fundingRate per month, …), found by listing
    `data/futures/{market}/daily/` and `monthly/`: one asset with a dataset column.

    Each folder (a contract, or a pair for COIN-M index klines) is listed once for the window
    from a marker, in chunks of 500 days; the window is written in one transaction once every
    listing has succeeded, and the days checked are recorded per (market, dataset) unless the
    run is restricted to some symbols. The 1m klines are daily_availability's: the tables
    `dataset_runs`, `dataset_checks` and the view `dataset_days` include them.
    """
    started = time.monotonic()
    run, scope = listed_over_window(context, config, vision, warehouse, refresh_coverage)
    if run.rejected:
        context.log.warning(f"folder names set aside: {run.rejected}")
    report_per_day(context, run.per_day, row_count="files")
    report_run(
        context,
        {
            "datasets": dg.MetadataValue.json(run.datasets),
            "folders": run.folders,
            "files": run.files,
            "rejected_names": len(run.rejected),
            "markets": str(scope),
            **run.stats,
            "duration_s": round(time.monotonic() - started, 2),
        },
    )
    return dg.MaterializeResult(metadata={"window": str(window_of(context))})
