"""A run killed with SIGKILL at any point leaves each table exactly as before or exactly as after
the run; a re-run completes it; the release folder is never half-written."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from bfa_assets.release.files import FILES
from bfa_assets.release.folders import PARTIAL, sha256_file
from bfa_assets_tests.pipeline import query
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, build

PROJECT = Path(__file__).resolve().parents[2]
START, END = date(2022, 8, 20), date(2022, 10, 8)
DATA = "daily_availability,daily_volume,volume_rankings"
# tables written together in one transaction, without their timestamp columns (and the URL,
# which names the simulator's port)
GROUPS = {
    "availability": {"daily_availability": "checked_at, url", "probe_log": "checked_at"},
    "volume": {"daily_volume": "fetched_at", "volume_files": "fetched_at",
               "volume_issues": "checked_at"},
    "rankings": {"volume_rankings": "generation_timestamp"},
}  # fmt: skip


def dagster(env: dict, select: str, ranged: bool = True) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m",
               "bfa_assets.definitions", "--select", select]  # fmt: skip
    if ranged:
        command += ["--partition-range", f"{START}...{END}"]
    return subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def environment(sim: SimServer, folder: Path) -> dict:
    home = folder / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "BFA_VISION_URL": sim.vision_url,
            "BFA_FAPI_URL": sim.fapi_url, "BFA_DAPI_URL": sim.dapi_url,
            "BFA_DUCKDB_PATH": str(folder / "bfa.duckdb"),
            "BFA_RELEASE_DIR": str(folder / "release")}  # fmt: skip


def finish(process: subprocess.Popen) -> None:
    assert process.wait(timeout=600) == 0


def state(db: Path) -> dict:
    frames = {}
    for tables in GROUPS.values():
        for table, stamp in tables.items():
            frames[table] = query(db, f"SELECT * EXCLUDE ({stamp}) FROM {table} ORDER BY ALL")
    return frames


def same(a: dict, b: dict, tables: dict) -> bool:
    try:
        for table in tables:
            assert_frame_equal(a[table], b[table])
    except AssertionError:
        return False
    return True


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The database before the run (symbols only) and after it (run to completion)."""
    folder = tmp_path_factory.mktemp("reference")
    with SimServer(build("tiny")) as sim:
        env = environment(sim, folder)
        finish(dagster(env, "futures_symbols", ranged=False))
        shutil.copy(folder / "bfa.duckdb", folder / "before.duckdb")
        sim.app.stats.clear()
        finish(dagster(env, DATA))
        requests = sim.app.stats["requests"]
    return state(folder / "before.duckdb"), state(folder / "bfa.duckdb"), folder, requests


def kill_when(process: subprocess.Popen, ready: Callable[[], bool]) -> None:
    while not ready():
        if process.poll() is not None:
            pytest.fail("the run ended before the kill point")
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


KILL_POINTS = {  # when, as a share of the reference run's requests, and then how long after
    "during availability listing": (0.02, 0.0),
    "during 1d downloads": (0.5, 0.0),
    "after the last download, while parsing and writing": (1.0, 0.2),
    "later, while ranking or committing": (1.0, 1.5),
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_run_leaves_before_or_after_and_a_rerun_completes(reference, tmp_path, point):
    before, after, folder, requests = reference
    share, delay = KILL_POINTS[point]
    with SimServer(build("tiny"), FaultPlan.parse("", latency_ms=15)) as sim:
        env = environment(sim, tmp_path)
        shutil.copy(folder / "before.duckdb", tmp_path / "bfa.duckdb")
        process = dagster(env, DATA)
        threshold = max(1, int(requests * share))
        kill_when(process, lambda: sim.app.stats["requests"] >= threshold)
        if delay:
            time.sleep(delay)
        found = state(tmp_path / "bfa.duckdb")
        for group, tables in GROUPS.items():
            assert same(found, before, tables) or same(found, after, tables), (
                f"{group} is neither as before nor as after the run (killed {point})"
            )
        finish(dagster(env, DATA))
    assert all(same(state(tmp_path / "bfa.duckdb"), after, tables) for tables in GROUPS.values())


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_a_killed_release_leaves_the_previous_one_whole(reference, tmp_path, delay):
    _, _, folder, _ = reference
    with SimServer(build("tiny")) as sim:
        env = environment(sim, tmp_path)
        shutil.copy(folder / "bfa.duckdb", tmp_path / "bfa.duckdb")
        finish(dagster(env, "release_artifact", ranged=False))
        first = (tmp_path / "release").resolve()
        process = dagster(env, "release_artifact", ranged=False)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        current = (tmp_path / "release").resolve()
        assert current.parent == first.parent and not current.name.endswith(PARTIAL)
        verify(tmp_path / "release")
        finish(dagster(env, "release_artifact", ranged=False))
    verify(tmp_path / "release")
    assert not list(first.parent.glob(f"*{PARTIAL}"))


def verify(release: Path) -> None:
    assert sorted(p.name for p in release.iterdir()) == sorted(FILES)
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert sha256_file(release / name) == digest
