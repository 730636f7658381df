"""make bench: the pipeline's real code paths against the simulator, measured.

    python -m bfa_assets_tests.bench [--symbols N] [--days D] [--latency-ms X] [--sizes 250,500]

Starts the simulator (`full` scenario, 100 ms latency per request by default) in its own
process, then runs the real `dagster asset materialize` command over the full history from an
empty database (all five assets in one run), a daily 20-day lookback on the filled database,
the queries, and the release step on copies of the filled database cut to 1, 3 and 6 years
(bench/release.py); prints Markdown tables and (unless --no-write) writes docs/benchmarks.md.
Peak memory is the resident set of the pipeline's whole process tree, sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import dagster as dg
import duckdb
import httpx

from bfa_assets.store import queries
from bfa_assets.store.snapshot_file import SNAPSHOT_FILE, SnapshotFile
from bfa_assets_tests.bench import release as release_bench
from bfa_assets_tests.processes import simulator_process

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HISTORY_START = date(2019, 9, 25)
ASSETS = "futures_symbols,daily_availability,daily_volume,volume_rankings,release_artifact"
QUERY_REPEATS = 200
COMMAND_REPEATS = 10


@dataclass
class RunMeasure:
    wall_s: float
    requests: int
    bytes_out: int
    peak_rss_mib: float
    steps: dict[str, float] = field(default_factory=dict)  # asset step -> seconds


@dataclass
class SizeResult:
    symbols: int
    days: int
    full: RunMeasure
    lookback: RunMeasure | None = None
    queries: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # name -> (median, p95) ms
    commands: dict[str, tuple[float, float]] = field(default_factory=dict)
    release_bytes: dict[str, int] = field(default_factory=dict)
    release_step: str = ""  # Markdown: the release step at several lengths of history


def _tree_rss_kib(root: int) -> int:
    """Resident set of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
    return total


def run_measured(command: list[str], env: dict[str, str], sim_url: str) -> RunMeasure:
    httpx.delete(f"{sim_url}/_sim/stats")
    peak = 0
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-4000:]}")
    stats = httpx.get(f"{sim_url}/_sim/stats").json()
    return RunMeasure(wall, stats.get("requests", 0), stats.get("bytes_out", 0), peak / 1024)


def asset_step_seconds(env: dict[str, str]) -> dict[str, float]:
    """How long each asset's step of the newest run took, from the instance's event log."""
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]  # dagster.yaml reads it
    try:
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            stats = instance.get_run_step_stats(run.run_id)
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous
    wanted = ASSETS.split(",")
    return {s.step_key: s.end_time - s.start_time for s in stats if s.step_key in wanted}


def materialize(env: dict[str, str], sim_url: str, start: date, end: date) -> RunMeasure:
    command = [
        str(BIN / "dagster"),
        "asset",
        "materialize",
        "-m",
        "bfa_assets.definitions",
        "--select",
        ASSETS,
        "--partition-range",
        f"{start}...{end}",
    ]
    measure = run_measured(command, env, sim_url)
    measure.steps = asset_step_seconds(env)
    return measure


def _timings(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def time_queries(db: Path, day: date, symbol: str) -> dict[str, tuple[float, float]]:
    """In-process timing of the query functions `bfa query` calls (ms); the snapshot also
    without the snapshot file, as it is answered for a database downloaded alone."""
    snapshots = SnapshotFile(db.with_name(SNAPSHOT_FILE))
    calls = {
        "snapshot": lambda c: queries.snapshot(c, day, snapshots),
        "snapshot (SQL)": lambda c: queries.snapshot(c, day),
        "timeline": lambda c: queries.timeline(c, symbol),
        "range": lambda c: queries.date_range(c, day - timedelta(days=30), day),
        "top": lambda c: queries.top(c, day, 20),
    }
    out = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for name, call in calls.items():
            call(conn)  # warm
            samples = []
            for _ in range(QUERY_REPEATS):
                started = time.perf_counter()
                call(conn)
                samples.append((time.perf_counter() - started) * 1000)
            out[name] = _timings(samples)
    return out


def time_commands(db: Path, day: date, symbol: str) -> dict[str, tuple[float, float]]:
    """Whole-command timing of `bfa query` (process start included, ms)."""
    commands = {
        "snapshot": ["snapshot", str(day)],
        "timeline": ["timeline", symbol],
        "range": ["range", str(day - timedelta(days=30)), str(day)],
        "top": ["top", str(day)],
    }
    out = {}
    for name, args in commands.items():
        samples = []
        for _ in range(COMMAND_REPEATS):
            started = time.perf_counter()
            subprocess.run(
                [str(BIN / "bfa"), "query", *args, "--db", str(db), "--json"],
                check=True,
                capture_output=True,
            )
            samples.append((time.perf_counter() - started) * 1000)
        out[name] = _timings(samples)
    return out


@contextmanager
def workspace(symbols: int | None, latency_ms: float):
    """A simulator and an empty instance, database and release folder."""
    args = ["--scenario", "full", "--latency-ms", str(latency_ms)]
    if symbols:
        args += ["--symbols", str(symbols)]
    with TemporaryDirectory(prefix="bfa-bench-") as tmp, simulator_process(*args) as (url, _):
        home = Path(tmp) / "dagster"
        home.mkdir()
        (home / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "BFA_VISION_URL": f"{url}/data.binance.vision",
            "BFA_FAPI_URL": url,
            "BFA_DUCKDB_PATH": f"{tmp}/bfa.duckdb",
            "BFA_RELEASE_DIR": f"{tmp}/release",
        }
        yield url, env, Path(tmp)


def bench_size(
    symbols: int | None, start: date, end: date, latency_ms: float, detailed: bool
) -> SizeResult:
    with workspace(symbols, latency_ms) as (url, env, tmp):
        count = httpx.get(f"{url}/_sim/health").json()["symbols"]
        print(f"… {count} symbols, {start}..{end}: full history", flush=True)
        result = SizeResult(count, (end - start).days + 1, materialize(env, url, start, end))
        print(f"  {result.full}", flush=True)
        if not detailed:
            return result
        print("… daily lookback", flush=True)
        result.lookback = materialize(env, url, end - timedelta(days=19), end)
        print(f"  {result.lookback}", flush=True)
        release = tmp / "release"
        result.release_bytes = {
            p.name: p.stat().st_size
            for p in sorted(release.iterdir())
            if p.suffix in (".duckdb", ".gz", ".parquet", ".arrow")
        }
        db = release / "availability.duckdb"
        print("… queries", flush=True)
        result.queries = time_queries(db, end, "BTCUSDT")
        result.commands = time_commands(db, end, "BTCUSDT")
        result.release_step = release_bench.run(tmp / "bfa.duckdb", [1, 3, 6])
        return result


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory / 1024**2:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def report(results: list[SizeResult], args: argparse.Namespace) -> str:
    biggest = results[-1]
    concurrency = int(os.environ.get("BFA_HTTP_CONCURRENCY", "64"))

    def floor(run: RunMeasure) -> str:  # what the latency alone costs at this concurrency
        return f"{run.requests * args.latency_ms / 1000 / concurrency:.1f} s"

    lines = [
        f"Machine: {machine()}",
        f"Command: `{' '.join(['python -m bfa_assets_tests.bench', *sys.argv[1:]])}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC), simulator latency {args.latency_ms:g} ms "
        f"per request, HTTP concurrency {concurrency}. Latency floor = requests × latency ÷ "
        "concurrency.",
        "",
        "| run | symbols | days | wall | latency floor | requests | MiB received | "
        "peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| full history, empty database | {r.symbols} | {r.days} | "
            f"{r.full.wall_s:.1f} s | {floor(r.full)} | {r.full.requests} | "
            f"{r.full.bytes_out / 2**20:.1f} | "
            f"{r.full.peak_rss_mib:.0f} |"
        )
    if biggest.lookback:
        lb = biggest.lookback
        lines.append(
            f"| daily lookback (20 days), filled database | {biggest.symbols} | 20 | "
            f"{lb.wall_s:.1f} s | {floor(lb)} | {lb.requests} | {lb.bytes_out / 2**20:.1f} | "
            f"{lb.peak_rss_mib:.0f} |"
        )
    runs = [(f"full, {r.symbols} symbols", r.full) for r in results]
    if biggest.lookback:
        runs.append((f"lookback, {biggest.symbols} symbols", biggest.lookback))
    lines += [
        "",
        "| time per asset | " + " | ".join(name for name, _ in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for step in [*ASSETS.split(","), "start, planning, checks"]:
        cells = [
            f"{run.steps.get(step, run.wall_s - sum(run.steps.values())):.1f} s" for _, run in runs
        ]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    if biggest.queries:
        lines += [
            "",
            "| query | in-process median | p95 | `bfa query` median | p95 |",
            "|---|---|---|---|---|",
        ]
        for name, (median, p95) in biggest.queries.items():
            command = biggest.commands.get(name)
            cells = f"{command[0]:.0f} ms | {command[1]:.0f} ms" if command else "— | —"
            lines.append(f"| {name} | {median:.2f} ms | {p95:.2f} ms | {cells} |")
        lines += ["", "| release file | size |", "|---|---|"]
        lines += [
            f"| {name} | {size / 2**20:.1f} MiB |" for name, size in biggest.release_bytes.items()
        ]
    if biggest.release_step:
        lines += ["", biggest.release_step]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bfa_assets_tests.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--symbols", type=int, help="only this many symbols (default: all 1,007)")
    parser.add_argument("--days", type=int, help="only the newest D days of history")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument(
        "--sizes",
        default="250,500",
        help="smaller universes also run for the scaling table ('' = none)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=args.days - 1)) if args.days else HISTORY_START
    sizes = [
        int(s) for s in args.sizes.split(",") if s and (not args.symbols or int(s) < args.symbols)
    ]
    results = [bench_size(n, start, end, args.latency_ms, detailed=False) for n in sizes]
    results.append(bench_size(args.symbols, start, end, args.latency_ms, detailed=True))
    table = report(results, args)
    print(table)
    if not args.no_write:
        page = PROJECT / "docs" / "benchmarks.md"
        text = page.read_text()
        marker = "<!-- bench:results -->"
        before, _, rest = text.partition(marker)
        _, _, after = rest.partition("<!-- /bench:results -->")
        page.write_text(f"{before}{marker}\n{table}\n<!-- /bench:results -->{after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
