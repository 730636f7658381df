"""make bench: the pipeline's real code paths against the simulator, measured.

    python -m bfa_assets_tests.bench [--symbols N] [--days D] [--latency-ms X] [--sizes 250,500]
        [--instance-storage batching|sqlite|postgres]

Starts the simulator (`full` scenario, 100 ms latency per request by default) in its own
process, then runs the real `dagster asset materialize` command over the full history from an
empty database (all five assets in one run), a daily 20-day lookback on the filled database,
the queries, a small run beside its floors (bench/small_run.py), and the release step on copies
of the filled database cut to 1, 3 and 6 years (bench/release.py); prints Markdown tables and
(unless --no-write) writes docs/benchmarks.md.
Peak memory is the resident set of the pipeline's whole process tree, sampled every 50 ms.
CPU is counted apart for the pipeline's process tree and for the simulator, which share the
machine's cores: a benchmark whose simulator is the bottleneck measures the test double.
The Dagster instance is the embedded one (`batching`) unless --instance-storage says otherwise;
`python -m bfa_assets_tests.bench.storages` compares them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
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
from unittest.mock import patch

import dagster as dg
import duckdb
import httpx

from bfa_assets.common.settings import HTTP_CONCURRENCY as DEFAULT_HTTP_CONCURRENCY
from bfa_assets.release.build import build_release
from bfa_assets.release.files import SNAPSHOT
from bfa_assets.store import queries
from bfa_assets.store.snapshot_file import SnapshotFile
from bfa_assets_tests.bench import commands as whole_commands
from bfa_assets_tests.bench import release as release_bench
from bfa_assets_tests.bench import small_run
from bfa_assets_tests.instances import STORAGES, dagster_env, storage_env, write_instance
from bfa_assets_tests.processes import simulator_process

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HISTORY_START = date(2019, 9, 25)
ASSETS = "futures_symbols,daily_availability,daily_volume,volume_rankings,release_artifact"
QUERY_REPEATS = 200


VISION_ASSETS = ("futures_symbols", "daily_availability", "daily_volume")


@dataclass
class RunMeasure:
    wall_s: float
    requests: int
    bytes_out: int
    peak_rss_mib: float
    pipeline_cpu_s: float  # user + sys of the pipeline's process tree
    simulator_cpu_s: float  # user + sys of the simulator process
    max_in_flight: int  # the most requests the simulator had in flight at once
    steps: dict[str, float] = field(default_factory=dict)  # asset step -> seconds
    every_step: dict[str, float] = field(default_factory=dict)  # checks' steps too
    backoffs: int = 0  # the Vision client's concurrency cuts, over all assets

    def latency_floor_s(self, latency_ms: float) -> float:
        """What the latency alone costs at the concurrency the run actually reached."""
        return self.requests * latency_ms / 1000 / max(1, self.max_in_flight)


@dataclass
class SizeResult:
    symbols: int
    days: int
    full: RunMeasure
    lookback: RunMeasure | None = None
    queries: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # name -> (median, p95) ms
    commands: dict[str, whole_commands.Timing] = field(default_factory=dict)
    release_bytes: dict[str, int] = field(default_factory=dict)
    release_step: str = ""  # Markdown: the release step at several lengths of history
    # the daily lookback on copies of the filled database cut to N days (a daily run's memory
    # should not grow with the history it sits on)
    lookbacks: dict[int, RunMeasure] = field(default_factory=dict)
    small_run: dict[str, tuple[float, float]] = field(default_factory=dict)  # small_run.py


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


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    """CPU of this process's reaped children and their reaped descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(command: list[str], env: dict[str, str], sim_url: str, sim_pid: int) -> RunMeasure:
    httpx.delete(f"{sim_url}/_sim/stats")
    peak = 0
    sim_cpu, children_cpu = _process_cpu_s(sim_pid), _children_cpu_s()
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
    pipeline_cpu = _children_cpu_s() - children_cpu  # the simulator is reaped only later
    sim_cpu = _process_cpu_s(sim_pid) - sim_cpu
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-4000:]}")
    stats = httpx.get(f"{sim_url}/_sim/stats").json()
    return RunMeasure(
        wall,
        stats.get("requests", 0),
        stats.get("bytes_out", 0),
        peak / 1024,
        pipeline_cpu,
        sim_cpu,
        stats.get("max_in_flight", 0),
    )


def from_event_log(env: dict[str, str], measure: RunMeasure, assets: str = ASSETS) -> None:
    """Each asset step's time in the newest run, and the Vision client's concurrency cuts in
    it (`concurrency_backoffs` of each asset's newest materialization), from the instance."""
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]  # dagster.yaml reads it
    try:
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            stats = instance.get_run_step_stats(run.run_id)
            events = [
                instance.get_latest_materialization_event(dg.AssetKey(a)) for a in VISION_ASSETS
            ]
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous
    wanted = assets.split(",")
    measure.every_step = {s.step_key: s.end_time - s.start_time for s in stats}
    measure.steps = {k: v for k, v in measure.every_step.items() if k in wanted}
    metadata = [e.asset_materialization.metadata for e in events if e and e.run_id == run.run_id]
    measure.backoffs = sum(
        int(m["concurrency_backoffs"].value) for m in metadata if "concurrency_backoffs" in m
    )


def materialize(
    env: dict[str, str],
    sim: tuple[str, int],
    start: date,
    end: date,
    run_config: dict | None = None,
    assets: str = ASSETS,
) -> RunMeasure:
    command = [
        str(BIN / "dagster"),
        "asset",
        "materialize",
        "-m",
        "bfa_assets.definitions",
        "--select",
        assets,
        "--partition-range",
        f"{start}...{end}",
        *(["--config-json", json.dumps(run_config)] if run_config else []),
    ]
    measure = run_measured(command, env, *sim)
    from_event_log(env, measure, assets)
    return measure


def _timings(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _newest_day_with_files(db: Path) -> date:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT max(date) FROM available_by_date").fetchall()[0][0]


def time_queries(db: Path, day: date, symbol: str) -> dict[str, tuple[float, float]]:
    """In-process timing of the query functions `bfa query` calls (ms); the snapshot also
    without the snapshot file, as it is answered for a database downloaded alone."""
    snapshots = SnapshotFile(db.with_name(SNAPSHOT))
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


@contextmanager
def workspace(symbols: int | None, latency_ms: float, storage: str = "batching"):
    """A simulator and an empty instance (on `storage`), database and release folder."""
    args = ["--scenario", "full", "--latency-ms", str(latency_ms), "--prerender"]
    if symbols:
        args += ["--symbols", str(symbols)]
    with (
        TemporaryDirectory(prefix="bfa-bench-") as tmp,
        simulator_process(*args, ready_within=900) as (url, process),
        storage_env(storage) as instance_env,
        patch.dict(os.environ, instance_env),  # asset_step_seconds opens the instance here
    ):
        home = Path(tmp) / "dagster"
        write_instance(home, storage)
        env = {
            **os.environ,
            **dagster_env(),
            "DAGSTER_HOME": str(home),
            "BFA_VISION_URL": f"{url}/data.binance.vision",
            "BFA_FAPI_URL": url,
            "BFA_DAPI_URL": url,
            "BFA_DUCKDB_PATH": f"{tmp}/bfa.duckdb",
            "BFA_RELEASE_DIR": f"{tmp}/release",
        }
        yield (url, process.pid), env, Path(tmp)


def bench_size(
    symbols: int | None,
    start: date,
    end: date,
    latency_ms: float,
    detailed: bool,
    storage: str = "batching",
    lookback_histories: tuple[int, ...] = (),
    small_run_turns: int = small_run.TURNS,
) -> SizeResult:
    with workspace(symbols, latency_ms, storage) as (sim, env, tmp):
        contracts = httpx.get(f"{sim[0]}/_sim/health").json()["contracts"]
        count = sum(contracts.values())
        print(f"… {contracts} contracts, {start}..{end}: full history", flush=True)
        result = SizeResult(count, (end - start).days + 1, materialize(env, sim, start, end))
        print(f"  {result.full}", flush=True)
        if not detailed:
            return result
        print("… daily lookback", flush=True)
        result.lookback = materialize(env, sim, end - timedelta(days=19), end)
        print(f"  {result.lookback}", flush=True)
        release = tmp / "release"
        result.release_bytes = {
            p.name: p.stat().st_size
            for p in sorted(release.iterdir())
            if p.suffix in (".duckdb", ".gz", ".parquet", ".arrow")
        }
        db = release / "availability.duckdb"
        print("… queries", flush=True)
        day = _newest_day_with_files(db)  # before ~08:00 UTC yesterday's are not published
        result.queries = time_queries(db, day, "BTCUSDT")
        result.commands = whole_commands.time_commands(db, day, "BTCUSDT")
        print("… a small run", flush=True)
        result.small_run = small_run.time_small_run(env, tmp / "bfa.duckdb", end, small_run_turns)
        result.release_step = release_bench.run(tmp / "bfa.duckdb", [1, 3, 6])
        for days in [d for d in lookback_histories if d < result.days]:
            print(f"… daily lookback on {days} days of history", flush=True)
            result.lookbacks[days] = lookback_on_history(env, sim, tmp, days, end)
            print(f"  {result.lookbacks[days]}", flush=True)
        return result


def lookback_on_history(
    env: dict[str, str], sim: tuple[str, int], tmp: Path, days: int, end: date
) -> RunMeasure:
    """The daily lookback on a copy of the filled database cut to its newest `days` days, with
    that copy's release beside it, as a daily run finds them."""
    folder = tmp / f"history-{days}"
    folder.mkdir()
    db = folder / "bfa.duckdb"
    release_bench.cut_history(tmp / "bfa.duckdb", db, days)
    with duckdb.connect(str(db)) as conn:
        build_release(conn, folder / "release", datetime.now(UTC))
    cut = {**env, "BFA_DUCKDB_PATH": str(db), "BFA_RELEASE_DIR": str(folder / "release")}
    try:
        return materialize(cut, sim, end - timedelta(days=19), end)
    finally:
        shutil.rmtree(folder)


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
    ceiling = int(os.environ.get("BFA_HTTP_CONCURRENCY", DEFAULT_HTTP_CONCURRENCY))

    def row(name: str, symbols: int, days: int, run: RunMeasure) -> str:
        return (
            f"| {name} | {symbols} | {days} | {run.wall_s:.1f} s | {run.pipeline_cpu_s:.1f} s | "
            f"{run.simulator_cpu_s:.1f} s | {run.requests} | {run.max_in_flight} | "
            f"{run.backoffs} | {run.latency_floor_s(args.latency_ms):.1f} s | "
            f"{run.bytes_out / 2**20:.1f} | {run.peak_rss_mib:.0f} |"
        )

    lines = [
        f"Machine: {machine()}; symbols = USD-M symbols + COIN-M contracts",
        f"Command: `{' '.join(['python -m bfa_assets_tests.bench', *sys.argv[1:]])}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC), simulator latency {args.latency_ms:g} ms "
        f"per request, HTTP concurrency ceiling {ceiling}. CPU = user + sys seconds (pipeline: "
        "the `dagster` process tree; simulator: its process; both share the cores). In flight "
        "= the most requests the simulator had at once; backoffs = the client's concurrency "
        "cuts. Latency floor = requests × latency ÷ in flight.",
        "",
        "| run | symbols | days | wall | pipeline CPU | simulator CPU | requests | in flight | "
        "backoffs | latency floor | MiB received | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(row("full history, empty database", r.symbols, r.days, r.full))
    if biggest.lookback:
        lines.append(
            row("daily lookback (20 days), filled database", biggest.symbols, 20, biggest.lookback)
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
        lines += ["", "| query | in-process median | p95 |", "|---|---|---|"]
        for name, (median, p95) in biggest.queries.items():
            lines.append(f"| {name} | {median:.2f} ms | {p95:.2f} ms |")
        lines += ["", *whole_commands.table(biggest.commands)]
        lines += ["", "| release file | size |", "|---|---|"]
        lines += [
            f"| {name} | {size / 2**20:.1f} MiB |" for name, size in biggest.release_bytes.items()
        ]
    if biggest.lookbacks:
        lines += [
            "",
            "| daily lookback (20 days) on a history of | wall | pipeline CPU | peak RSS (MiB) |",
            "|---|---|---|---|",
        ]
        runs_by_days = {**biggest.lookbacks, biggest.days: biggest.lookback}
        for days, run in sorted(runs_by_days.items()):
            lines.append(
                f"| {days:,} days | {run.wall_s:.1f} s | {run.pipeline_cpu_s:.1f} s | "
                f"{run.peak_rss_mib:.0f} |"
            )
    if biggest.small_run:
        lines += ["", *small_run.table(biggest.small_run)]
    if biggest.release_step:
        lines += ["", biggest.release_step]
    return "\n".join(lines)


def bench_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark command takes: the universe, the history, the latency."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, help="only this many symbols (default: all 1,007)")
    parser.add_argument("--days", type=int, help="only the newest D days of history")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m bfa_assets_tests.bench", __doc__)
    parser.add_argument(
        "--sizes",
        default="250,500",
        help="smaller universes also run for the scaling table ('' = none)",
    )
    parser.add_argument(
        "--instance-storage", choices=STORAGES, default="batching", help="the instance's storage"
    )
    parser.add_argument(
        "--lookback-histories",
        default="650,1300",
        help="the daily lookback also on copies cut to these many days of history ('' = none)",
    )
    parser.add_argument(
        "--small-run-turns", type=int, default=small_run.TURNS, help="turns of the small run"
    )
    args = parser.parse_args(argv)
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = max(HISTORY_START, end - timedelta(days=args.days - 1)) if args.days else HISTORY_START
    sizes = [
        int(s) for s in args.sizes.split(",") if s and (not args.symbols or int(s) < args.symbols)
    ]
    storage = args.instance_storage
    results = [bench_size(n, start, end, args.latency_ms, False, storage) for n in sizes]
    histories = tuple(int(d) for d in args.lookback_histories.split(",") if d)
    results.append(
        bench_size(
            args.symbols, start, end, args.latency_ms, True, storage, histories,
            args.small_run_turns,
        )
    )  # fmt: skip
    publish("results", report(results, args), args.no_write)
    return 0


def heading(module: str, latency_ms: float) -> list[str]:
    """The first lines of a benchmark command's section: the machine and the command."""
    return [
        f"Machine: {machine()}",
        f"Command: `{' '.join([f'python -m {module}', *sys.argv[1:]])}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC), simulator latency {latency_ms:g} ms.",
    ]


def publish(name: str, table: str, no_write: bool) -> None:
    """Print a benchmark command's section and (unless `no_write`) write it into
    docs/benchmarks.md."""
    print(table)
    if not no_write:
        write_section(name, table)


def write_section(name: str, text: str) -> None:
    """Replace what docs/benchmarks.md holds between `<!-- bench:NAME -->` and its closing
    marker by `text` (each benchmark command writes its own section)."""
    page = PROJECT / "docs" / "benchmarks.md"
    opening, closing = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    before, _, rest = page.read_text().partition(opening)
    _, _, after = rest.partition(closing)
    page.write_text(f"{before}{opening}\n{text}\n{closing}{after}")


if __name__ == "__main__":
    sys.exit(main())
