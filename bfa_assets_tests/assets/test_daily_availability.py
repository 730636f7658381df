"""daily_availability: exact against the simulator's ground truth, idempotent, all-or-nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import (
    availability,
    expected_availability,
    materialize,
    metadata,
    query,
)
from bfa_assets_tests.vision_sim import FaultPlan
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_QUIRKS, TINY_START

PROJECT = Path(__file__).resolve().parents[2]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    assert not result.success
    (failure,) = result.get_step_failure_events()
    return failure.event_specific_data.error.to_string()


def discover_then_list(resources, start=TINY_START, end=TINY_END, **kwargs):
    materialize(["futures_symbols"], resources)
    return materialize(["daily_availability"], resources, start, end, **kwargs)


def test_the_whole_tiny_history_equals_the_ground_truth(resources, tiny, db_path):
    result = discover_then_list(resources)
    assert_frame_equal(availability(db_path), expected_availability(tiny, TINY_START, TINY_END))
    urls = query(db_path, "SELECT url FROM daily_availability WHERE symbol = '龙虾USDT' LIMIT 1")
    assert urls["url"][0].endswith(
        "/data/futures/um/daily/klines/%E9%BE%99%E8%99%BEUSDT/1m/%E9%BE%99%E8%99%BEUSDT-1m-2022-08-15.zip"
    )
    meta = metadata(result, "daily_availability")
    truth = {m: tiny.availability_truth(TINY_START, TINY_END, market=m) for m in tiny.markets}
    assert meta["rows"] == sum(len(rows) for rows in truth.values())
    assert (meta["symbols"], meta["um_symbols"], meta["cm_symbols"]) == (23, 14, 9)
    assert meta["requests"] == 23  # one listing per symbol for 100 days
    probes = query(
        db_path,
        "SELECT market, count(*) AS n, min(date) AS lo, max(date) AS hi FROM probe_log "
        "GROUP BY market ORDER BY market",
    )
    assert probes.rows() == [(m, 100, TINY_START, TINY_END) for m in ("cm", "um")]


def test_each_partition_carries_its_own_day_and_the_run_its_totals(resources, tiny):
    result = discover_then_list(resources)
    events = {
        e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
    truth = {m: tiny.availability_truth(TINY_START, TINY_END, market=m) for m in tiny.markets}
    assert len(events) == 100
    for day in {r["date"] for r in truth["um"]}:
        rows = {m: [r for r in truth[m] if r["date"] == day] for m in truth}
        figures = events[str(day)]
        for market in truth:
            available = sum(r["available"] for r in rows[market])
            assert figures[f"{market}_available_symbols"] == available
        assert (
            figures["available_symbols"]
            == figures["um_available_symbols"] + figures["cm_available_symbols"]
        )
        checked = sum(len(market_rows) for market_rows in rows.values())
        assert figures["dagster/row_count"] == figures["symbols_checked"] == checked
    assert len({f["available_symbols"] for f in events.values()}) > 1  # not one total copied
    newest, others = events.pop(str(TINY_END)), events.values()
    assert newest["requests"] == 23 and not any("requests" in f for f in others)
    assert all(f["window"] == f"{TINY_START}..{TINY_END}" for f in [newest, *others])


def test_a_late_file_is_absent_until_published_then_picked_up_by_a_rerun(
    sim, resources, tiny, db_path
):
    symbol, day = TINY_QUIRKS["late"]
    discover_then_list(resources)
    row = query(
        db_path,
        "SELECT available FROM daily_availability WHERE symbol = $s AND date = $d",
        {"s": symbol, "d": day},
    )
    assert row["available"].to_list() == [False]
    tiny.set_now(datetime(2022, 10, 11, 10, 0, tzinfo=UTC))
    materialize(["daily_availability"], resources, day - timedelta(days=19), day)
    assert_frame_equal(availability(db_path), expected_availability(tiny, TINY_START, TINY_END))
    row = query(
        db_path,
        "SELECT available FROM daily_availability WHERE symbol = $s AND date = $d",
        {"s": symbol, "d": day},
    )
    assert row["available"].to_list() == [True]


def test_a_reuploaded_file_gets_its_new_etag(resources, tiny, db_path):
    symbol, day, when = TINY_QUIRKS["reupload"]
    tiny.set_now(when - timedelta(hours=2))
    discover_then_list(resources, end=day + timedelta(days=2))
    old = query(
        db_path,
        "SELECT etag, last_modified FROM daily_availability WHERE symbol=$s AND date=$d",
        {"s": symbol, "d": day},
    ).row(0)
    tiny.set_now(when + timedelta(hours=2))
    materialize(["daily_availability"], resources, day, day + timedelta(days=2))
    new = query(
        db_path,
        "SELECT etag, last_modified FROM daily_availability WHERE symbol=$s AND date=$d",
        {"s": symbol, "d": day},
    ).row(0)
    truth = next(r for r in tiny.availability_truth(day, day) if r["symbol"] == symbol)
    assert new != old and new == (truth["etag"], truth["last_modified"])


def test_one_ranged_run_equals_single_day_runs_and_a_rerun_changes_nothing(sim, tmp_path):
    ranged, daily = tmp_path / "ranged.duckdb", tmp_path / "daily.duckdb"
    start, end = date(2022, 9, 28), date(2022, 10, 4)
    discover_then_list(pipeline_resources(sim, ranged), start, end)
    materialize(["futures_symbols"], pipeline_resources(sim, daily))
    for offset in range((end - start).days + 1):
        materialize(
            ["daily_availability"], pipeline_resources(sim, daily), start + timedelta(days=offset)
        )
    assert_frame_equal(availability(ranged), availability(daily))
    # delisted symbols keep getting (unavailable) rows: exactly the truth of both markets
    assert_frame_equal(availability(ranged), expected_availability(sim.universe, start, end))
    before = availability(ranged)
    materialize(["daily_availability"], pipeline_resources(sim, ranged), start, end)
    assert_frame_equal(availability(ranged), before)
    assert query(ranged, "SELECT count(*) AS n FROM probe_log")["n"][0] == 7 * 2  # per market


def test_a_run_restricted_to_some_symbols_replaces_only_theirs(resources, tiny, db_path):
    discover_then_list(resources)
    before = availability(db_path, ["date", "symbol", "checked_at"])
    materialize(
        ["daily_availability"],
        resources,
        TINY_START,
        TINY_END,
        run_config={"ops": {"daily_availability": {"config": {"symbols": ["ETHUSDT"]}}}},
    )
    after = availability(db_path, ["date", "symbol", "checked_at"])
    changed = after.join(before, on=["date", "symbol"]).filter(
        pl.col("checked_at") != pl.col("checked_at_right")
    )
    assert set(changed["symbol"]) == {"ETHUSDT"} and changed.height == 100
    assert_frame_equal(availability(db_path), expected_availability(tiny, TINY_START, TINY_END))


def test_unknown_symbols_in_the_filter_fail_the_run_with_their_names(resources):
    materialize(["futures_symbols"], resources)
    result = materialize(
        ["daily_availability"],
        resources,
        TINY_START,
        TINY_START,
        raise_on_error=False,
        run_config={"ops": {"daily_availability": {"config": {"symbols": ["NOPE", "ETHUSDT"]}}}},
    )
    assert "unknown symbols in the run config: NOPE" in failure_message(result)


def test_transient_faults_change_nothing_in_the_result(sim, tiny, db_path):
    sim.set_faults(FaultPlan.parse("503=0.05,reset=0.01", seed=3))  # this seed hits both kinds
    resources = pipeline_resources(sim, db_path, retry_attempts=10)
    result = discover_then_list(resources)
    assert_frame_equal(availability(db_path), expected_availability(tiny, TINY_START, TINY_END))
    assert sim.app.faults.injected["503"] > 0 and sim.app.faults.injected["reset"] > 0
    assert (
        metadata(result, "daily_availability")["retries"]
        + metadata(result, "daily_availability").get("transient_ReadError", 0)
        >= 0
    )


def test_a_persistent_error_fails_the_run_names_the_problem_and_writes_nothing(sim, db_path):
    resources = pipeline_resources(sim, db_path, retry_attempts=3)
    discover_then_list(resources, date(2022, 9, 1), date(2022, 9, 5))
    before = availability(db_path)
    sim.set_faults(FaultPlan.parse("500=1@/ETHUSDT/1m/"))
    result = materialize(
        ["daily_availability"], resources, date(2022, 9, 3), date(2022, 9, 20), raise_on_error=False
    )
    message = failure_message(result)
    assert "ETHUSDT" in message and "2022-09-03..2022-09-20" in message and "HTTP 500" in message
    assert_frame_equal(availability(db_path), before)
    assert query(db_path, "SELECT max(date) AS d FROM probe_log")["d"][0] == date(2022, 9, 5)


def test_the_dagster_command_line_materializes_a_partition_range(sim, tiny, tmp_path):
    db = tmp_path / "cli.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    env = {
        **os.environ,
        "BFA_VISION_URL": sim.vision_url,
        "BFA_FAPI_URL": sim.fapi_url,
        "BFA_DAPI_URL": sim.dapi_url,
        "BFA_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(home),
    }
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "asset",
        "materialize",
        "-m",
        "bfa_assets.definitions",
        "--select",
        "futures_symbols,daily_availability",
        "--partition-range",
        "2022-07-01...2022-07-31",
    ]
    done = subprocess.run(
        command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert_frame_equal(
        availability(db), expected_availability(tiny, date(2022, 7, 1), date(2022, 7, 31))
    )


def only(*markets: str) -> dict:
    """The run config of a daily_availability run restricted to `markets`."""
    return {"ops": {"daily_availability": {"config": {"markets": list(markets)}}}}


def test_a_run_restricted_to_one_market_checks_that_market_only(sim, tiny, db_path, resources):
    start, end = date(2022, 9, 28), date(2022, 10, 4)
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, start, end, run_config=only("cm"))
    rows = availability(db_path)
    assert set(rows["market"]) == {"cm"}
    assert_frame_equal(rows, expected_availability(tiny, start, end).filter(market="cm"))
    checked = query(db_path, "SELECT DISTINCT market FROM probe_log")["market"].to_list()
    assert checked == ["cm"]  # USD-M's days were not checked by it
    # a later USD-M run leaves COIN-M's rows as they are and checks USD-M's days
    materialize(["daily_availability"], resources, start, end, run_config=only("um"))
    assert_frame_equal(availability(db_path), expected_availability(tiny, start, end))
    per_market = "SELECT market, count(*) AS days FROM probe_log GROUP BY ALL ORDER BY ALL"
    assert query(db_path, per_market).rows() == [("cm", 7), ("um", 7)]


def test_an_unknown_market_in_the_run_config_is_a_clear_error(resources):
    materialize(["futures_symbols"], resources)
    result = materialize(
        ["daily_availability"], resources, TINY_END, run_config=only("xm"), raise_on_error=False
    )
    assert not result.success
    assert "unknown markets in the run config: xm (markets are um and cm)" in failure_message(
        result
    )
