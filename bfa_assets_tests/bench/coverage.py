"""Dataset coverage's full history: every dataset of both markets but the 1m klines.

    python -m bfa_assets_tests.bench.coverage [--symbols N] [--days D] [--latency-ms X] [--no-write]

`dagster asset materialize` of `futures_symbols` and `dataset_coverage` over every partition
(one run, as a UI back-fill is), from an empty database and instance, against the `full`
scenario's simulator. Prints a Markdown table with the files and keys listed, and (unless
--no-write) writes it into docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from bfa_assets_tests.bench.__main__ import (
    HISTORY_START,
    bench_parser,
    heading,
    materialize,
    publish,
    workspace,
)

SELECTION = "futures_symbols,dataset_coverage"


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m bfa_assets_tests.bench.coverage", __doc__)
    args = parser.parse_args(argv)
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=args.days - 1)) if args.days else HISTORY_START
    with workspace(args.symbols, args.latency_ms) as (sim, env, tmp):
        contracts = httpx.get(f"{sim[0]}/_sim/health").json()["contracts"]
        run = materialize(env, sim, start, end, assets=SELECTION)
        with duckdb.connect(str(tmp / "bfa.duckdb"), read_only=True) as conn:
            (files,) = conn.execute("SELECT count(*) FROM dataset_files").fetchall()[0]
    step = run.steps.get("dataset_coverage", 0.0)
    table = "\n".join(
        [
            *heading("bfa_assets_tests.bench.coverage", args.latency_ms),
            "",
            "| contracts | days | files listed | requests | wall | dataset_coverage | "
            "pipeline CPU | simulator CPU | peak RSS (MiB) |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {sum(contracts.values()):,} | {(end - start).days + 1:,} | {files:,} | "
            f"{run.requests:,} | {run.wall_s:.1f} s | {step:.1f} s | {run.pipeline_cpu_s:.1f} s | "
            f"{run.simulator_cpu_s:.1f} s | {run.peak_rss_mib:.0f} |",
        ]
    )
    publish("coverage", table, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
