"""The full history per market: USD-M alone, COIN-M alone, and both, on one simulator.

    python -m bfa_assets_tests.bench.markets [--symbols N] [--days D] [--latency-ms X] [--no-write]

Runs the benchmark's full-history run (`dagster asset materialize` of all five assets over every
partition, one run, each from an empty database and instance) three times against the same
simulator: restricted by the run config to USD-M, then to COIN-M (`markets: [um]` or `[cm]` on
`daily_availability` and `daily_volume`, as an operator restricts a back-fill; the symbols,
rankings and release steps run whole), then over both. Prints a Markdown table and (unless
--no-write) writes it into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bfa_assets.common.markets import MARKETS, NAMES
from bfa_assets.quality.findings import scoped_run_config
from bfa_assets_tests.bench.__main__ import (
    HISTORY_START,
    RunMeasure,
    bench_parser,
    heading,
    materialize,
    publish,
    workspace,
)
from bfa_assets_tests.instances import write_instance

STEPS = ("daily_availability", "daily_volume")


def measure_markets(
    symbols: int | None, days: int | None, latency_ms: float
) -> dict[str, RunMeasure]:
    """label -> the full-history run restricted to each market, then over both."""
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=days - 1)) if days else HISTORY_START
    runs: dict[str, RunMeasure] = {}
    with workspace(symbols, latency_ms) as (sim, env, tmp):
        for selection in [*([m] for m in MARKETS), list(MARKETS)]:
            label = " and ".join(NAMES[m] for m in selection)
            folder = Path(tmp) / "-".join(selection)
            write_instance(folder / "dagster", "batching")
            own = {
                **env,
                "DAGSTER_HOME": str(folder / "dagster"),
                "BFA_DUCKDB_PATH": str(folder / "bfa.duckdb"),
                "BFA_RELEASE_DIR": str(folder / "release"),
            }
            config = None
            if len(selection) < len(MARKETS):
                config = scoped_run_config(selection, assets=STEPS)
            runs[label] = materialize(own, sim, start, end, config)
            print(f"  {label}: {runs[label].wall_s:.1f} s", flush=True)
    return runs


def report(runs: dict[str, RunMeasure], args: argparse.Namespace) -> str:
    lines = [
        *heading("bfa_assets_tests.bench.markets", args.latency_ms),
        "",
        "| full history of | wall | pipeline CPU | simulator CPU | requests | "
        + " | ".join(STEPS)
        + " | peak RSS (MiB) |",
        "|---|---|---|---|---|" + "---|" * len(STEPS) + "---|",
    ]
    for label, run in runs.items():
        steps = " | ".join(f"{run.steps.get(step, 0):.1f} s" for step in STEPS)
        lines.append(
            f"| {label} | {run.wall_s:.1f} s | {run.pipeline_cpu_s:.1f} s | "
            f"{run.simulator_cpu_s:.1f} s | {run.requests} | {steps} | {run.peak_rss_mib:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m bfa_assets_tests.bench.markets", __doc__)
    args = parser.parse_args(argv)
    table = report(measure_markets(args.symbols, args.days, args.latency_ms), args)
    publish("markets", table, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
