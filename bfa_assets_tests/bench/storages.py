"""The Dagster instance's storages compared on the benchmark's full-history run.

    python -m bfa_assets_tests.bench.storages [--symbols N] [--days D] [--latency-ms X]
        [--storages batching,sqlite,postgres] [--no-write]

Runs the benchmark's full-history run (`dagster asset materialize` of all five assets over
every partition, one run, empty database; bfa_assets_tests/bench) once on each instance
storage of bfa_assets_tests/instances.py: the embedded SQLite with batched asset events, Dagster's
stock SQLite, and PostgreSQL (deploy/dagster.yaml) on a throwaway cluster, all with dagster.env.
The storages differ in Dagster's bookkeeping of ~21,000 asset events, which is the time outside
the assets' steps ("start, planning, checks"). Prints a Markdown table and (unless --no-write)
writes it into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bfa_assets_tests.bench.__main__ import (
    HISTORY_START,
    bench_parser,
    heading,
    materialize,
    publish,
    workspace,
)
from bfa_assets_tests.instances import STORAGES
from bfa_assets_tests.postgres import server_cpu_seconds


@dataclass(frozen=True)
class StorageRun:
    storage: str
    wall_s: float
    outside_steps_s: float  # "start, planning, checks"
    pipeline_cpu_s: float  # the `dagster asset materialize` process tree
    server_cpu_s: float | None  # PostgreSQL's, when it is the storage


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(storage: str, symbols: int | None, days: int | None, latency_ms: float) -> StorageRun:
    """One full-history run on `storage`. Its CPU is that of the finished child processes (the
    simulator is still running, so only the pipeline's process tree counts)."""
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=days - 1)) if days else HISTORY_START
    postgres = storage == "postgres"
    with workspace(symbols, latency_ms, storage) as (url, env, _):
        server_before = server_cpu_seconds(env) if postgres else 0.0
        cpu_before = _children_cpu_s()
        run = materialize(env, url, start, end)
        cpu = _children_cpu_s() - cpu_before
        server_cpu = server_cpu_seconds(env) - server_before if postgres else None
    outside = run.wall_s - sum(run.steps.values())
    print(f"  {storage}: {run.wall_s:.1f} s, outside the steps {outside:.1f} s", flush=True)
    return StorageRun(storage, run.wall_s, outside, cpu, server_cpu)


def report(runs: list[StorageRun], args: argparse.Namespace) -> str:
    lines = [
        *heading("bfa_assets_tests.bench.storages", args.latency_ms),
        "",
        "| instance storage | full history | start, planning, checks | pipeline CPU "
        "| PostgreSQL server CPU |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        server = "—" if run.server_cpu_s is None else f"{run.server_cpu_s:.1f} s"
        lines.append(
            f"| {run.storage} | {run.wall_s:.1f} s | {run.outside_steps_s:.1f} s "
            f"| {run.pipeline_cpu_s:.1f} s | {server} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m bfa_assets_tests.bench.storages", __doc__)
    parser.add_argument("--storages", default=",".join(STORAGES), help="which, in this order")
    args = parser.parse_args(argv)
    storages = args.storages.split(",")
    if unknown := set(storages) - set(STORAGES):
        parser.error(f"unknown storages {sorted(unknown)}: choose from {', '.join(STORAGES)}")
    runs = [measure(s, args.symbols, args.days, args.latency_ms) for s in storages]
    table = report(runs, args)
    publish("storages", table, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
