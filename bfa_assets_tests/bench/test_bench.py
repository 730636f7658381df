"""The benchmarks still run (on a tiny setting; benchmarks are never timed in tests)."""

from __future__ import annotations

import os

from bfa_assets_tests.bench import markets, storages
from bfa_assets_tests.bench.__main__ import main

SMALL = ["--symbols", "12", "--days", "10", "--latency-ms", "0", "--sizes", "", "--no-write",
         "--lookback-histories", "5", "--small-run-turns", "1"]  # fmt: skip


def test_the_benchmark_runs_end_to_end_on_a_small_setting(capsys):
    assert main(SMALL) == 0
    table = capsys.readouterr().out
    # 12 USD-M symbols and the simulator's share of COIN-M contracts (3), counted together
    assert "| full history, empty database | 15 | 10 |" in table
    row = next(line for line in table.splitlines() if line.startswith("| full history"))
    cells = row.split("|")
    wall, pipeline_cpu, simulator_cpu = (float(c.strip(" s")) for c in cells[4:7])
    requests, in_flight = int(cells[7]), int(cells[8])
    # the two processes counted apart: the pipeline's tree (a Dagster run, seconds of CPU) and
    # the simulator, which rendered its listings before the run and only serves them (~0 s);
    # neither more than the machine's cores could give in the wall time
    assert 0 <= simulator_cpu < pipeline_cpu <= wall * os.cpu_count()
    assert requests > 12 and in_flight >= 1  # counted by the simulator as it served them
    assert "| daily lookback (20 days), filled database | 15 | 20 |" in table
    # the lookback on a copy cut to 5 days, beside the one on the whole (10-day) history
    assert "| 5 days | " in table and "| 10 days | " in table
    for query in ("snapshot", "snapshot (SQL)", "timeline", "range", "top"):
        assert f"| {query} |" in table
    for floor in ("import duckdb", "import pyarrow.ipc"):  # `bfa query` beside its floors
        assert f"| floor: `{floor}` |" in table
    assert "| delistings | " in table and "| summary | " in table
    # a small run beside Dagster's own floor for the same command
    assert "| a partitioned asset that does nothing, 3 partitions | " in table
    assert "| bfa: `daily_volume` and its checks, 3 days, 50 symbols | " in table
    assert "| availability.duckdb |" in table and "| available-by-date.arrow |" in table
    # the release step, on the database the lookback left (20 days)
    assert "| whole history | 20 | " in table and "| 1 year | 20 | " in table
    for asset in ("futures_symbols", "daily_availability", "daily_volume", "release_artifact"):
        assert f"| {asset} | " in table


def test_the_storage_comparison_runs_on_each_instance_storage(capsys):
    assert storages.main(["--symbols", "3", "--days", "3", "--latency-ms", "0", "--no-write"]) == 0
    table = capsys.readouterr().out
    for storage in ("batching", "sqlite"):
        (row,) = [line for line in table.splitlines() if line.startswith(f"| {storage} | ")]
        assert row.endswith("| — |")  # no PostgreSQL server
    (postgres,) = [line for line in table.splitlines() if line.startswith("| postgres | ")]
    assert postgres.endswith(" s |")  # the server's CPU, measured


def test_the_full_history_runs_per_market(capsys):
    assert markets.main(["--symbols", "6", "--days", "3", "--latency-ms", "0", "--no-write"]) == 0
    rows = {
        line.split("|")[1].strip(): line.split("|")
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| USD-M") or line.startswith("| COIN-M")
    }
    assert list(rows) == ["USD-M", "COIN-M", "USD-M and COIN-M"]
    requests = {label: int(cells[5]) for label, cells in rows.items()}
    # a run restricted to one market lists and fetches that market's files only
    assert requests["USD-M"] < requests["USD-M and COIN-M"]
    assert requests["COIN-M"] < requests["USD-M and COIN-M"]
