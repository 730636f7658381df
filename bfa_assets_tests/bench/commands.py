"""`bfa query` as whole commands, as a user runs them, beside their floors.

A sub-command's floor is a bare interpreter importing what that sub-command truly needs:
DuckDB for the SQL answers, pyarrow (its IPC reader) for a snapshot from the release's
snapshot file. The target (DESIGN §10) is each command within 1.3x its floor. A third floor,
DuckDB's engine imported as `bfa query` imports it (store.engine) and the release opened and
closed, shows what a SQL answer cannot do without, before any query. Commands and floors run
in turns, so that a burst of load from other processes on the machine falls on all of them
alike; each figure is the median of the runs, in wall time and in CPU time (user + system,
from the kernel's accounting of the finished child), because wall time on a shared machine is
noisy.
"""

from __future__ import annotations

import compileall
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import bfa_assets
from bfa_assets.release.files import SNAPSHOT
from bfa_assets.store.snapshot_file import SnapshotFile

BIN = Path(sys.executable).parent
REPEATS = 10
DUCKDB, PYARROW = "import duckdb", "import pyarrow.ipc"
OPEN = "DuckDB's engine imported, the release opened"


@dataclass(frozen=True)
class Timing:
    wall_ms: float  # median
    cpu_ms: float  # median of user + system
    floor: str | None = None  # the floor it is measured against (None: it is a floor)


def floors(db: Path) -> dict[str, list[str]]:
    python = str(BIN / "python")
    opened = (
        "from bfa_assets.store.engine import duckdb; "
        f"duckdb.connect({str(db)!r}, read_only=True).close()"
    )
    return {
        DUCKDB: [python, "-c", DUCKDB],
        PYARROW: [python, "-c", PYARROW],
        OPEN: [python, "-c", opened],
    }


def sub_commands(db: Path, alone: Path, day: date, symbol: str) -> dict[str, tuple[str, list]]:
    """name -> (floor, arguments of `bfa query`); `alone` is the database without the
    snapshot file beside it. Each asks about checked days (a month back from `day`, or as far
    as the release's checked days go), so that every command gives a whole answer."""
    checked = SnapshotFile(db.with_name(SNAPSHOT)).coverage.ranges[-1]
    month_ago = str(max(day - timedelta(days=30), checked[0]))
    return {
        "snapshot": (PYARROW, ["snapshot", str(day), "--db", str(db)]),
        "snapshot (SQL)": (DUCKDB, ["snapshot", str(day), "--db", str(alone)]),
        "timeline": (DUCKDB, ["timeline", symbol, "--db", str(db)]),
        "range": (DUCKDB, ["range", month_ago, str(day), "--db", str(db)]),
        "top": (DUCKDB, ["top", str(day), "--db", str(db)]),
        "delistings": (DUCKDB, ["delistings", month_ago, "--db", str(db)]),
        "new-listings": (DUCKDB, ["new-listings", month_ago, "--db", str(db)]),
        "summary": (DUCKDB, ["summary", "--db", str(db)]),
    }


def timed_run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run of `command` (which must succeed; what it logs is
    shown only when it fails)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.decode()[-4000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def time_commands(db: Path, day: date, symbol: str, repeats: int = REPEATS) -> dict[str, Timing]:
    """The floors and every sub-command with `--json` (what scripts run), `repeats` turns.

    The project's modules are compiled first, as an installed package's are: with
    PYTHONDONTWRITEBYTECODE set (as on the benchmark machine) every run would compile them.
    """
    compileall.compile_dir(Path(bfa_assets.__file__).parent, quiet=1)
    with TemporaryDirectory(prefix="bfa-bench-alone-") as tmp:
        alone = Path(tmp) / db.name
        alone.symlink_to(db.resolve())
        runs = floors(db)
        floor_of: dict[str, str | None] = dict.fromkeys(runs)
        for name, (floor, args) in sub_commands(db, alone, day, symbol).items():
            runs[name] = [str(BIN / "bfa"), "query", *args, "--json"]
            floor_of[name] = floor
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(repeats):
            for name, command in runs.items():
                samples[name].append(timed_run(command))
    return {
        name: Timing(
            statistics.median(w for w, _ in taken), statistics.median(c for _, c in taken),
            floor_of[name],
        )
        for name, taken in samples.items()
    }  # fmt: skip


def table(timings: dict[str, Timing]) -> list[str]:
    """The Markdown table of `time_commands`: each command and its ratios to its floor."""
    lines = [
        "| `bfa query … --json` | wall (median) | CPU (median) | floor | CPU ÷ floor | "
        "wall ÷ floor | CPU ÷ (engine imported, release opened) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, timing in timings.items():
        label, cells = name, "— | — | — | —"
        if timing.floor is None:
            label = f"floor: `{name}`" if name.startswith("import") else f"floor: {name}"
        else:
            floor = timings[timing.floor]
            opened = timings[OPEN].cpu_ms if timing.floor == DUCKDB else None
            cells = (
                f"`{timing.floor}` | {timing.cpu_ms / floor.cpu_ms:.2f} | "
                f"{timing.wall_ms / floor.wall_ms:.2f} | "
                + (f"{timing.cpu_ms / opened:.2f}" if opened else "—")
            )
        lines.append(f"| {label} | {timing.wall_ms:.0f} ms | {timing.cpu_ms:.0f} ms | {cells} |")
    return lines
