"""A small run's fixed cost: a 3-day `daily_volume` back-fill of 50 symbols, beside its floors.

A small back-fill barely depends on its size: Dagster's start-up, the code location's imports,
planning and the checks make most of it. It is timed as an operator runs it (`dagster asset
materialize` on the filled database, the run config restricting it to 50 symbols, its checks
included), in turns with two floors: `python -c 'import dagster'`, and the same command over a
daily-partitioned asset that does nothing (`trivial_defs.py`, with a stock instance of its own),
which is what Dagster itself costs a run of three partitions. Medians of wall and CPU.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import duckdb

from bfa_assets_tests.bench.commands import BIN, timed_run

TURNS = 5
SYMBOLS = 50
DAYS = 3
IMPORT = "`python -c 'import dagster'`"
TRIVIAL = "a partitioned asset that does nothing, 3 partitions"
OURS = f"bfa: `daily_volume` and its checks, {DAYS} days, {SYMBOLS} symbols"


def _symbols(db: Path, end: date) -> list[str]:
    """The first USD-M symbols (by name) with a 1m file on `end`."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT symbol FROM daily_availability WHERE date = $end AND market = 'um' "
            "AND available ORDER BY symbol LIMIT $n",
            {"end": end, "n": SYMBOLS},
        ).fetchall()
    return [symbol for (symbol,) in rows]


def time_small_run(
    env: dict[str, str], db: Path, end: date, turns: int = TURNS
) -> dict[str, tuple[float, float]]:
    """name -> (median wall ms, median CPU ms) of the small run and its two floors, `turns`
    runs of each in turns."""
    start = end - timedelta(days=DAYS - 1)
    period = ["--partition-range", f"{start}...{end}"]
    config = json.dumps({"ops": {"daily_volume": {"config": {"symbols": _symbols(db, end)}}}})
    with TemporaryDirectory(prefix="bfa-bench-trivial-") as home:
        (Path(home) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        trivial = [str(Path(__file__).with_name("trivial_defs.py")), "--select", "trivial"]
        runs = {
            IMPORT: ([str(BIN / "python"), "-c", "import dagster"], env),
            TRIVIAL: (
                [str(BIN / "dagster"), "asset", "materialize", "-f", *trivial, *period],
                {**env, "DAGSTER_HOME": home},
            ),
            OURS: (
                [str(BIN / "dagster"), "asset", "materialize", "-m", "bfa_assets.definitions",
                 "--select", "daily_volume", "--config-json", config, *period],
                env,
            ),
        }  # fmt: skip
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(turns):
            for name, (command, run_env) in runs.items():
                samples[name].append(timed_run(command, run_env))
    return {
        name: (statistics.median(w for w, _ in taken), statistics.median(c for _, c in taken))
        for name, taken in samples.items()
    }


def table(timings: dict[str, tuple[float, float]]) -> list[str]:
    """The Markdown table of `time_small_run`."""
    floor_wall = timings[IMPORT][0]
    lines = [
        "| a small run | wall (median) | CPU (median) | wall above `import dagster` |",
        "|---|---|---|---|",
    ]
    for name, (wall, cpu) in timings.items():
        above = "—" if name == IMPORT else f"{(wall - floor_wall) / 1000:.2f} s"
        lines.append(f"| {name} | {wall / 1000:.2f} s | {cpu / 1000:.2f} s | {above} |")
    return lines
