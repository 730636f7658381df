"""Driving the real Dagster assets in tests, and reading what they wrote."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets.definitions import ASSETS
from bfa_assets.defs.checks import CHECKS
from bfa_assets.defs.partitions import range_tags
from bfa_assets.store.availability import AVAILABILITY_SCHEMA

AVAILABILITY_FACTS = [
    "date", "market", "symbol", "available", "file_size_bytes", "last_modified", "etag"
]  # fmt: skip
ORDER = "date, market, symbol"


def materialize(
    names: list[str],
    resources: dict,
    start: date | str | None = None,
    end: date | str | None = None,
    run_config: dict | None = None,
    raise_on_error: bool = True,
    instance: dg.DagsterInstance | None = None,
    checks: bool = False,
) -> dg.ExecuteInProcessResult:
    """Materialize the named assets, over the partition range [start, end] when given; with
    `checks`, their asset checks too. Runs that share an `instance` see each other's results
    (the release reads the checks' latest results); by default each run has its own."""
    tags = (
        range_tags(date.fromisoformat(str(start)), date.fromisoformat(str(end or start)))
        if start
        else {}
    )
    return dg.materialize(
        [*ASSETS, *CHECKS] if checks else ASSETS,
        selection=names,
        resources=resources,
        tags=tags,
        run_config=run_config,
        raise_on_error=raise_on_error,
        instance=instance,
    )


def run_checks(
    resources: dict, *names: str, instance: dg.DagsterInstance | None = None
) -> dict[str, dg.AssetCheckEvaluation]:
    """Run the named asset checks on their own; their evaluations by check name (a failed
    blocking check fails its step, after recording its evaluation). In `instance` when given,
    where a later release reads them."""
    chosen = [key for c in CHECKS for key in c.check_keys if key.name in names]
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=dg.AssetSelection.checks(*chosen),
        resources=resources,
        raise_on_error=False,
        instance=instance,
    )
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def query(db_path: Path, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Rows of a read-only query; TIMESTAMPTZ columns come back in UTC."""
    with duckdb.connect(str(db_path), read_only=True) as conn:
        frame = conn.sql(sql, params=params or {}).pl()
    zoned = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone]
    return frame.with_columns(pl.col(c).dt.convert_time_zone("UTC") for c in zoned)


def availability(db_path: Path, columns: list[str] = AVAILABILITY_FACTS) -> pl.DataFrame:
    return query(db_path, f"SELECT {', '.join(columns)} FROM daily_availability ORDER BY {ORDER}")


def expected_availability(universe, start: date, end: date) -> pl.DataFrame:
    """The simulator's availability of every market (its markets are `universe.markets`)."""
    rows = [
        row | {"market": market}
        for market in universe.markets
        for row in universe.availability_truth(start, end, market=market)
    ]
    schema = {column: AVAILABILITY_SCHEMA[column] for column in AVAILABILITY_FACTS}
    return pl.DataFrame(rows, schema=schema).sort("date", "market", "symbol")


def assert_window_matches_truth(db_path: Path, universe, start: date, end: date) -> None:
    """The database holds exactly the window [start, end]: availability and volume equal to
    the simulator's ground truth, and rankings for every day."""
    assert_windows_match_truth(db_path, universe, [(start, end)])


def assert_windows_match_truth(db_path: Path, universe, windows: list[tuple[date, date]]) -> None:
    """The same for the union of several windows (e.g. two back-fills): exactly their days,
    nothing between them."""
    windows = sorted(windows)
    expected = [expected_availability(universe, start, end) for start, end in windows]
    assert_frame_equal(availability(db_path), pl.concat(expected).sort("date", "market", "symbol"))
    bars = [expected_volume(universe, start, end) for start, end in windows]
    assert_frame_equal(volume(db_path), pl.concat(bars).sort("date", "market", "symbol"))
    ranked = query(db_path, "SELECT DISTINCT date FROM volume_rankings ORDER BY date")
    days = [s + timedelta(days=i) for s, e in windows for i in range((e - s).days + 1)]
    assert ranked["date"].to_list() == days


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    """The metadata of `asset`'s materialization in a run (a ranged run records one per day)."""
    events = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)
    ]
    assert events, f"{asset} was not materialized"
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


VOLUME_FACTS = ["date", "market", "symbol", "open_price", "high_price", "low_price",
                "close_price", "volume_base", "quote_volume", "trade_count",
                "taker_buy_volume_base", "taker_buy_quote_volume", "contracts",
                "taker_buy_contracts", "source_key", "source_etag", "sha256"]  # fmt: skip
# Where each market's CSV columns (a simulator Bar, by position) go in daily_volume: COIN-M's
# "volume" columns are contracts and its "quote" columns the coin (vision.md §7).
BAR_VOLUMES = {
    "um": {"volume_base": "volume", "quote_volume": "quote_volume",
           "taker_buy_volume_base": "taker_buy_volume",
           "taker_buy_quote_volume": "taker_buy_quote_volume"},
    "cm": {"contracts": "volume", "volume_base": "quote_volume",
           "taker_buy_contracts": "taker_buy_volume",
           "taker_buy_volume_base": "taker_buy_quote_volume"},
}  # fmt: skip


def volume(db_path: Path) -> pl.DataFrame:
    return query(db_path, f"SELECT {', '.join(VOLUME_FACTS)} FROM daily_volume ORDER BY {ORDER}")


def expected_volume(universe, start: date, end: date) -> pl.DataFrame:
    """The simulator's bars of every market as the table must hold them, with the ETag and
    SHA-256 of the file each one is read from."""
    rows = []
    for market in universe.markets:
        for truth in universe.volume_truth(start, end, market=market):
            bar, source = truth["bar"], universe.object_at(truth["source_key"])
            body = source.body()
            rows.append({
                "date": truth["date"], "market": market, "symbol": truth["symbol"],
                "open_price": float(bar.open), "high_price": float(bar.high),
                "low_price": float(bar.low), "close_price": float(bar.close),
                "trade_count": bar.count, "source_key": truth["source_key"],
                "source_etag": source.etag.strip('"'), "sha256": hashlib.sha256(body).hexdigest(),
                **{column: float(getattr(bar, field))
                   for column, field in BAR_VOLUMES[market].items()},
            })  # fmt: skip
    return pl.DataFrame(rows, schema=volume_schema()).sort("date", "market", "symbol")


def volume_schema() -> dict:
    types = {"date": pl.Date, "market": pl.String, "symbol": pl.String, "trade_count": pl.Int64}
    return {
        c: types.get(c, pl.String if c in VOLUME_FACTS[-3:] else pl.Float64) for c in VOLUME_FACTS
    }
