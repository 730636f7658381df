"""Under a storm of transient faults the tables still equal the ground truth: nothing lost,
nothing invented, no transient failure recorded as "unavailable", no bad zip stored."""

from __future__ import annotations

from datetime import date

from polars.testing import assert_frame_equal

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import (
    availability,
    expected_availability,
    expected_volume,
    materialize,
    metadata,
    query,
    volume,
)
from bfa_assets_tests.rankings_reference import COLUMNS, expected
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, build
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

STORM = "503=0.05,reset=0.01,truncate=0.01,corrupt=0.01,checksum=0.01,spike=0.02,spike_ms=2000"


def run_history(resources: dict, start: date, end: date) -> dict[str, dict]:
    materialize(["futures_symbols"], resources)
    meta = {}
    for asset in ("daily_availability", "daily_volume", "volume_rankings"):
        meta[asset] = metadata(materialize([asset], resources, start, end), asset)
    return meta


def test_the_tiny_history_is_exact_under_faults(tmp_path):
    universe = build("tiny")
    with SimServer(universe, FaultPlan.parse(STORM, seed=8)) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb", retry_attempts=12)
        meta = run_history(resources, TINY_START, TINY_END)
        injected = sim.app.faults.injected
    db = tmp_path / "bfa.duckdb"
    assert_frame_equal(availability(db), expected_availability(universe, TINY_START, TINY_END))
    assert_frame_equal(volume(db), expected_volume(universe, TINY_START, TINY_END))
    ranked = query(
        db, f"SELECT {', '.join(COLUMNS)} FROM volume_rankings ORDER BY date, market, symbol"
    )
    assert_frame_equal(ranked, expected(universe, TINY_START, TINY_END), rel_tol=1e-12)
    assert injected["503"] > 5 and injected["reset"] + injected["truncate"] > 0
    assert meta["daily_availability"]["retries"] + meta["daily_volume"]["retries"] > 5
    assert meta["daily_volume"]["files_failed"] == 2  # only the two persistently broken files


def test_a_larger_history_is_exact_under_faults(tmp_path):
    universe = build("demo", symbols=60, seed=3)
    start, end = date(2025, 3, 1), universe.now.date() - date.resolution
    with SimServer(universe, FaultPlan.parse(STORM, seed=9)) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb", retry_attempts=12)
        meta = run_history(resources, start, end)
    db = tmp_path / "bfa.duckdb"
    assert_frame_equal(availability(db), expected_availability(universe, start, end))
    assert_frame_equal(volume(db), expected_volume(universe, start, end))
    assert meta["daily_volume"]["files_failed"] == 0
    assert meta["daily_volume"]["rows_written"] > 10_000


def test_a_storm_of_slowdown_makes_the_client_back_off_and_loses_nothing(tmp_path):
    universe = build("tiny")
    with SimServer(universe, FaultPlan.parse("503=0.3", latency_ms=10, seed=6)) as sim:
        resources = pipeline_resources(
            sim, tmp_path / "bfa.duckdb", retry_attempts=20, concurrency=32
        )
        meta = run_history(resources, TINY_START, TINY_END)
        in_flight = sim.app.stats["max_in_flight"]
    db = tmp_path / "bfa.duckdb"
    assert_frame_equal(availability(db), expected_availability(universe, TINY_START, TINY_END))
    assert_frame_equal(volume(db), expected_volume(universe, TINY_START, TINY_END))
    assert in_flight <= 32
    for asset in ("daily_availability", "daily_volume"):
        assert meta[asset]["concurrency_ceiling"] == 32
        assert meta[asset]["concurrency_backoffs"] > 0
        assert meta[asset]["concurrency_lowest"] < 32
        assert meta[asset]["concurrency_reached"] <= 32
