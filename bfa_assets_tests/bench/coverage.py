"""Dataset coverage's full history: every dataset of both markets but the 1m klines.

    python -m bfa_assets_tests.bench.coverage [--graph] [--symbols N] [--days D]
        [--latency-ms X] [--no-write]

`dagster asset materialize` of `futures_symbols` and `dataset_coverage` over every partition
(one run, as a UI back-fill is), from an empty database and instance, against the `full`
scenario's simulator; with `--graph`, of every asset (the 1m graph and coverage), then the
daily lookback (the newest 20 days) of every asset on the filled database, with the size of
the gzipped release. Prints a Markdown table and (unless --no-write) writes it into
docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from bfa_assets.release.files import DATABASE_GZ
from bfa_assets_tests.bench.__main__ import (
    HISTORY_START,
    RunMeasure,
    bench_parser,
    heading,
    materialize,
    publish,
    workspace,
)

COVERAGE = "futures_symbols,dataset_coverage"
GRAPH = (
    "futures_symbols,daily_availability,dataset_coverage,daily_volume,volume_rankings,"
    "release_artifact"
)


def _row(label: str, run: RunMeasure, files: int) -> str:
    step = run.steps.get("dataset_coverage", 0.0)
    return (
        f"| {label} | {files:,} | {run.requests:,} | {run.wall_s:.1f} s | {step:.1f} s | "
        f"{run.pipeline_cpu_s:.1f} s | {run.simulator_cpu_s:.1f} s | {run.peak_rss_mib:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m bfa_assets_tests.bench.coverage", __doc__)
    parser.add_argument("--graph", action="store_true", help="every asset, then the lookback")
    args = parser.parse_args(argv)
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=args.days - 1)) if args.days else HISTORY_START
    assets = GRAPH if args.graph else COVERAGE
    rows = []
    with workspace(args.symbols, args.latency_ms) as (sim, env, tmp):
        contracts = sum(httpx.get(f"{sim[0]}/_sim/health").json()["contracts"].values())
        full = materialize(env, sim, start, end, assets=assets)
        with duckdb.connect(str(tmp / "bfa.duckdb"), read_only=True) as conn:
            (files,) = conn.execute("SELECT count(*) FROM dataset_files").fetchall()[0]
        label = "every asset" if args.graph else "futures_symbols, dataset_coverage"
        rows.append(_row(f"full history: {label}", full, files))
        if args.graph:
            lookback = materialize(env, sim, end - timedelta(days=19), end, assets=GRAPH)
            rows.append(_row("daily lookback (20 days): every asset", lookback, files))
            gz = (tmp / "release" / DATABASE_GZ).stat().st_size
    table = [
        *heading("bfa_assets_tests.bench.coverage", args.latency_ms),
        f"{contracts:,} contracts, {(end - start).days + 1:,} days.",
        "",
        "| run | dataset files | requests | wall | dataset_coverage | pipeline CPU | "
        "simulator CPU | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    if args.graph:
        table += ["", f"Gzipped release database: {gz / 2**20:.1f} MiB.", ""]
        for label, run in (("Full history", full), ("Lookback", lookback)):
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in run.every_step.items())
            table.append(f"{label}, steps: {steps}.")
    publish("coverage-graph" if args.graph else "coverage", "\n".join(table), args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
