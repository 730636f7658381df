"""dataset_coverage: every dataset of both markets, exact against the simulator's ground truth,
honest about unchecked days, idempotent and all-or-nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, metadata, query
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, Universe
from bfa_assets_tests.vision_sim.datasets import CATALOGUE, Dataset
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START, tiny_cm_lives

RUNS = "SELECT * FROM dataset_runs ORDER BY ALL"
CHECKS = "SELECT * FROM dataset_checks ORDER BY ALL"
Windows = list[tuple[date, date]]


def cover(resources: dict, windows: Windows, **kwargs: object) -> None:
    """Discovery once, then availability and coverage over each window, as back-fills do."""
    materialize(["futures_symbols"], resources)
    for start, end in windows:
        materialize(["daily_availability", "dataset_coverage"], resources, start, end, **kwargs)


def assert_truth(db_path, universe: Universe, windows: Windows) -> None:
    runs, checks = universe.coverage_truth(windows)
    ours = query(db_path, RUNS)
    assert_frame_equal(ours, pl.DataFrame(runs, schema=ours.schema).sort(pl.all()))
    ours = query(db_path, CHECKS)
    assert_frame_equal(ours, pl.DataFrame(checks, schema=ours.schema).sort(pl.all()))


def test_the_whole_tiny_history_of_every_dataset_equals_the_ground_truth(resources, tiny, db_path):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, TINY_START, TINY_END)
    result = materialize(["dataset_coverage"], resources, TINY_START, TINY_END)
    assert_truth(db_path, tiny, [(TINY_START, TINY_END)])
    meta = metadata(result, "dataset_coverage")
    seen = {"aggTrades", "bookTicker", "fundingRate", "indexPriceKlines", "markPriceKlines"}
    seen |= {"metrics", "premiumIndexKlines", "trades"}  # bookDepth starts in 2023
    assert meta["datasets"] == {"um": sorted(seen), "cm": sorted(seen)}
    folders = sum(
        len(tiny.datasets.root_names(m, d.periods[0], d))
        for m in tiny.markets
        for d in CATALOGUE[m]
        if d.name in seen
    )
    assert meta["folders"] == folders
    # one listing per folder for 100 days, and a listing of each tree and dataset root
    assert meta["requests"] == folders + 2 * 2 + 2 * len(seen)


def test_the_1m_klines_are_read_from_daily_availability_not_listed_again(resources, db_path):
    cover(resources, [(TINY_START, TINY_END)])
    klines = query(
        db_path,
        "SELECT market, symbol, sum(files) AS days FROM dataset_runs WHERE dataset = 'klines' "
        "GROUP BY ALL ORDER BY ALL",
    )
    available = query(
        db_path,
        "SELECT market, symbol, count(*) AS days FROM daily_availability WHERE available "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert_frame_equal(klines, available, check_dtypes=False)


def test_a_history_with_unchecked_holes_never_reads_them_as_absent(resources, tiny, db_path):
    windows = [(date(2022, 7, 1), date(2022, 7, 20)), (date(2022, 8, 10), date(2022, 10, 8))]
    cover(resources, windows)
    assert_truth(db_path, tiny, windows)
    hole = query(
        db_path,
        "SELECT count(*) AS n FROM dataset_days WHERE date BETWEEN '2022-07-21' AND '2022-08-09' "
        "AND dataset <> 'fundingRate'",
    )
    assert hole["n"][0] == 0
    btc = query(
        db_path,
        "SELECT first_date, last_date FROM dataset_runs "
        "WHERE market = 'um' AND dataset = 'aggTrades' AND symbol = 'BTCUSDT' ORDER BY ALL",
    )
    assert btc.rows() == [windows[0], windows[1]]  # split by the unchecked days, not merged
    # fundingRate is monthly: July had not ended by the first window's last day, so it was not
    # checked; August and September ended inside the second window and are checked whole
    funding = query(
        db_path,
        "SELECT first_date, last_date FROM dataset_checks "
        "WHERE market = 'um' AND dataset = 'fundingRate'",
    )
    assert funding.rows() == [(date(2022, 8, 1), date(2022, 9, 30))]


def test_a_lookback_picks_up_late_files_and_rewrites_only_its_window(resources, tiny, db_path):
    cover(resources, [(TINY_START, TINY_END)])
    late = _late_file(tiny)
    assert late is not None, "the tiny scenario has a late dataset file in its last week"
    tiny.set_now(datetime(2022, 10, 16, 10, 0, tzinfo=UTC))
    lookback = (date(2022, 9, 25), date(2022, 10, 15))
    cover(resources, [lookback])
    assert_truth(db_path, tiny, [(TINY_START, TINY_END), lookback])
    market, dataset, folder, day = late
    days = query(
        db_path,
        "SELECT count(*) AS n FROM dataset_days WHERE market = $m AND dataset = $d "
        "AND symbol = $s AND date = $day",
        {"m": market, "d": dataset, "s": folder, "day": day},
    )
    assert days["n"][0] == 1


def _late_file(universe: Universe) -> tuple[str, str, str, date] | None:
    """A (market, dataset, folder, day) whose daily file is late at the universe's clock."""
    tree = universe.datasets
    now = universe.now.date()
    for market in universe.markets:
        for dataset in CATALOGUE[market]:
            for folder in tree.folder_names(market, dataset):
                for back in range(2, 8):
                    day = now - timedelta(days=back)
                    if tree.late_days(market, dataset, folder, day.toordinal()) >= back:
                        return market, dataset.name, folder, day
    return None


def test_the_same_window_twice_leaves_the_same_tables(resources, db_path):
    cover(resources, [(TINY_START, TINY_END)])
    first = query(db_path, "SELECT * FROM dataset_files ORDER BY ALL")
    cover(resources, [(TINY_START, TINY_END)])
    assert_frame_equal(query(db_path, "SELECT * FROM dataset_files ORDER BY ALL"), first)


def test_a_run_restricted_to_some_symbols_lists_their_folders_and_claims_no_day(
    resources, tiny, db_path
):
    materialize(["futures_symbols"], resources)
    config = {"ops": {"dataset_coverage": {"config": {"symbols": ["BTCUSD_PERP"]}}}}
    result = materialize(["dataset_coverage"], resources, TINY_START, TINY_END, run_config=config)
    listed = query(db_path, "SELECT DISTINCT dataset, symbol FROM dataset_files ORDER BY ALL")
    assert set(listed["symbol"]) == {"BTCUSD_PERP", "BTCUSD"}  # and the pair's index klines
    assert ("indexPriceKlines", "BTCUSD") in listed.rows()
    assert query(db_path, "SELECT count(*) AS n FROM dataset_probe_log")["n"][0] == 0
    assert query(db_path, RUNS).is_empty()  # files of unchecked days are no runs
    assert metadata(result, "dataset_coverage")["markets"] == "um+cm, 1 symbols"


def test_a_failed_listing_writes_nothing_of_the_window(sim, resources, db_path):
    cover(resources, [(TINY_START, date(2022, 8, 31))])
    before = query(db_path, "SELECT * FROM dataset_files ORDER BY ALL")
    sim.set_faults(FaultPlan.parse("500=1@/metrics/ETHUSDT/"))
    result = materialize(
        ["dataset_coverage"], resources, TINY_START, TINY_END, raise_on_error=False
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.event_specific_data.error.to_string()
    assert "listing um/metrics files for 2022-07-01..2022-10-08 failed for 1 folder(s)" in message
    assert "ETHUSDT" in message
    assert_frame_equal(query(db_path, "SELECT * FROM dataset_files ORDER BY ALL"), before)


def test_a_dataset_binance_adds_is_covered_without_a_code_change(tmp_path):
    added = Dataset("optionsGreeks", periods=("daily",), size=900)
    catalogue = {**CATALOGUE, "cm": (*CATALOGUE["cm"], added)}
    universe = Universe(
        tiny_cm_lives(), now=datetime(2022, 10, 9, 10, tzinfo=UTC), datasets=catalogue
    )
    window = (date(2022, 9, 1), date(2022, 10, 8))
    with SimServer(universe) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        cover(resources, [window])
    assert_truth(tmp_path / "bfa.duckdb", universe, [window])
    greeks = query(
        tmp_path / "bfa.duckdb",
        "SELECT DISTINCT symbol FROM dataset_runs WHERE dataset = 'optionsGreeks'",
    )
    # every contract that trades in the window (EOSUSD_PERP was delisted on 2022-08-20)
    assert set(greeks["symbol"]) == set(universe.symbols_of("cm")) - {"EOSUSD_PERP"}


def test_folders_without_a_file_in_the_window_write_nothing_and_fail_nothing(resources, db_path):
    """EOSUSD_PERP was delisted on 2022-08-20: its folders exist and hold nothing of
    September, so every part staged for it is empty."""
    materialize(["futures_symbols"], resources)
    config = {"ops": {"dataset_coverage": {"config": {"symbols": ["EOSUSD_PERP"]}}}}
    result = materialize(
        ["dataset_coverage"], resources, "2022-09-01", "2022-09-30", run_config=config
    )
    assert metadata(result, "dataset_coverage")["files"] == 0
    assert query(db_path, "SELECT count(*) AS n FROM dataset_files")["n"][0] == 0
