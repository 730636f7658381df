"""The benchmark still runs (on a tiny setting; benchmarks are never timed in tests)."""

from __future__ import annotations

from bfa_assets_tests.bench.__main__ import main


def test_the_benchmark_runs_end_to_end_on_a_small_setting(capsys):
    assert (
        main(["--symbols", "12", "--days", "10", "--latency-ms", "0", "--sizes", "", "--no-write"])
        == 0
    )
    table = capsys.readouterr().out
    assert "| full history, empty database | 12 | 10 |" in table
    assert "| daily lookback (20 days), filled database | 12 | 20 |" in table
    for query in ("snapshot", "snapshot (SQL)", "timeline", "range", "top"):
        assert f"| {query} |" in table
    assert "| availability.duckdb |" in table and "| available-by-date.arrow |" in table
    # the release step, on the database the lookback left (20 days)
    assert "| whole history | 20 | " in table and "| 1 year | 20 | " in table
    for asset in ("futures_symbols", "daily_availability", "daily_volume", "release_artifact"):
        assert f"| {asset} | " in table
