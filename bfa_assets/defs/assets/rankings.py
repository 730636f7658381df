"""volume_rankings: each day's ranking of each market's perpetuals by volume in USD."""

import time
from datetime import UTC, datetime

import dagster as dg

from bfa_assets.common.markdown import frame_table
from bfa_assets.common.markets import MARKETS
from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.assets.volume import daily_volume
from bfa_assets.defs.assets.windows import report_per_day, report_run, window_of
from bfa_assets.defs.resources import Warehouse
from bfa_assets.store import rankings as ranking_store


@warehouse_asset(
    daily=True,
    deps=[daily_volume],
    kinds={"duckdb", "sql"},
    group_name="analytics",
)
def volume_rankings(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per day and market, perpetuals ranked by volume (dense rank, ties share a rank): USD-M's
    USDT-quoted perpetuals by quote volume, COIN-M's perpetuals by USD notional (contracts x
    contract size).

    Also the rank changes over 1, 7, 14 and 30 calendar days, the percentile (0 = top), the
    market share and the available days in the trailing 30 days. Reads volume for
    [start - 30, end] and writes only [start, end]; USD-M contracts quoted in other assets are
    not ranked, since their volumes are not comparable.
    """
    started = time.monotonic()
    window = window_of(context)
    with warehouse.get_connection() as conn:
        written = ranking_store.replace_window(conn, window.start, window.end, datetime.now(UTC))
        per_day = ranking_store.per_day(conn, window.start, window.end)
        newest = {m: ranking_store.newest_top(conn, m, window.end) for m in MARKETS}
    report_per_day(context, per_day, row_count="ranked")
    report_run(
        context,
        {
            "rows": written,
            "days_ranked": per_day.height,
            **{
                f"{market}_top_10_newest_day": dg.MetadataValue.md(frame_table(top))
                for market, top in newest.items()
            },
            "duration_s": round(time.monotonic() - started, 2),
        },
    )
    return dg.MaterializeResult(metadata={"window": str(window)})
