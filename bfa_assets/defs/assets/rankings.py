"""volume_rankings: each day's ranking of USDT-quoted perpetuals by quote volume."""

import time
from datetime import UTC, datetime

import dagster as dg

from bfa_assets.defs.assets import DUCKDB_POOL, OWNERS
from bfa_assets.defs.assets.volume import daily_volume
from bfa_assets.defs.assets.windows import window_of
from bfa_assets.defs.partitions import daily_partitions, single_run
from bfa_assets.defs.resources import Warehouse
from bfa_assets.markdown import markdown_table
from bfa_assets.store import rankings as ranking_store


@dg.asset(
    deps=[daily_volume],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    kinds={"duckdb", "sql"},
    group_name="analytics",
    owners=OWNERS,
    pool=DUCKDB_POOL,
)
def volume_rankings(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Per day, USDT-quoted perpetuals ranked by quote volume (dense rank, ties share a rank).

    Also the rank changes over 1, 7, 14 and 30 calendar days, the percentile (0 = top), the
    market share and the available days in the trailing 30 days. Reads volume for
    [start - 30, end] and writes only [start, end]; contracts quoted in other assets are not
    ranked, since their volumes are not comparable.
    """
    started = time.monotonic()
    window = window_of(context)
    with warehouse.get_connection() as conn:
        written = ranking_store.replace_window(conn, window.start, window.end, datetime.now(UTC))
        newest = conn.sql(
            "SELECT date, rank, symbol, round(quote_volume_usdt) AS quote_volume_usdt, "
            "rank_change_1d, round(market_share_pct, 2) AS share_pct FROM volume_rankings "
            "WHERE date = (SELECT max(date) FROM volume_rankings WHERE date <= $end) "
            "ORDER BY rank, symbol LIMIT 10",
            params={"end": window.end},
        ).pl()
        days = conn.execute(
            "SELECT count(DISTINCT date) FROM volume_rankings WHERE date BETWEEN $s AND $e",
            {"s": window.start, "e": window.end},
        ).fetchall()[0][0]
    return dg.MaterializeResult(metadata={
        "window": str(window),
        "rows": written,
        "days_ranked": days,
        "top_10_newest_day": dg.MetadataValue.md(markdown_table(newest)),
        "duration_s": round(time.monotonic() - started, 2),
    })  # fmt: skip
