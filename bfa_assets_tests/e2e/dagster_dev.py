"""`dagster dev` (webserver + daemon + code server) as a subprocess, and its GraphQL API.

The e2e tests drive the UI with a browser; GraphQL (the UI's own API) is used only to set the
instance up and to watch what the UI started: run and back-fill status, logs on failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bfa_assets_tests.processes import free_port, stop, wait_until

PROJECT = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).with_name("dagster")
MODULE = "bfa_assets.definitions"
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass(frozen=True)
class DagsterDev:
    """A running `dagster dev`: its URL, process (a session leader) and files."""

    url: str
    process: subprocess.Popen
    env: dict[str, str]  # the code location's settings, DAGSTER_HOME included
    log: Path

    @property
    def duckdb_path(self) -> Path:
        return Path(self.env["BFA_DUCKDB_PATH"])

    def graphql(self, query: str, **variables: object) -> dict:
        """POST a query to the webserver's GraphQL endpoint; its `data`, or raise on errors."""
        answer = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30
        )
        answer.raise_for_status()
        body = answer.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def log_tail(self, lines: int = 40) -> str:
        """The end of dagster dev's own output, for failure messages."""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def instance_env(folder: Path, vision_url: str, fapi_url: str, **settings: str) -> dict[str, str]:
    """Environment of a code location pointed at the simulator, with a fresh instance (the
    project's dagster.yaml: sqlite storage, run queue, the `bfa_duckdb` pool, run monitoring).

    The sensors run as they would in production; `BFA_FALLBACK_HOUR=24` (the default here)
    keeps the daily lookback from launching a run of its own just because it is afternoon.
    """
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    return {
        "DAGSTER_HOME": str(home),
        "BFA_VISION_URL": vision_url,
        "BFA_FAPI_URL": fapi_url,
        "BFA_DUCKDB_PATH": str(folder / "bfa.duckdb"),
        "BFA_RELEASE_DIR": str(folder / "release"),
        "BFA_FALLBACK_HOUR": "24",
        **settings,
    }


@contextmanager
def dagster_dev(folder: Path, env: dict[str, str], timeout: float = 180) -> Iterator[DagsterDev]:
    """Start `dagster dev` in its own process group (so teardown kills webserver, daemon and
    code server together) and wait until the webserver and the code location answer."""
    port = free_port()
    log = folder / "dagster-dev.log"
    command = [str(DAGSTER), "dev", "-m", MODULE, "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "DAGSTER_DISABLE_TELEMETRY": "1"},
            start_new_session=True,
        )
    dev = DagsterDev(f"http://127.0.0.1:{port}", process, env, log)
    try:
        wait_until(lambda: _location_loaded(dev), timeout, "dagster dev", process)
        yield dev
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it (a code server or run
    worker can outlive `dagster dev` itself)."""
    stop(process, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


LOCATIONS_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def _location_loaded(dev: DagsterDev) -> bool:
    """Whether every code location has loaded; raises at once if one failed to load."""
    entries = dev.graphql(LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries", [])
    for entry in entries:
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "PythonError":
            raise RuntimeError(f"code location {entry['name']} failed: {loaded['message']}")
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def skip_community_dialog(dev: DagsterDev) -> None:
    """Mark the "Join the Dagster community" dialog as seen, as its Skip button does: it
    otherwise pops up a second after some page load and swallows a click."""
    assert dev.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True


RUN_QUERY = """
query Run($runId: ID!) { runOrError(runId: $runId) {
    __typename ... on Run { runId status tags { key value } assetSelection { path } }
} }
"""


def run(dev: DagsterDev, run_id: str) -> dict:
    """A run's id, status, tags and asset selection."""
    found = dev.graphql(RUN_QUERY, runId=run_id)["runOrError"]
    assert found["__typename"] == "Run", f"run {run_id}: {found['__typename']}"
    return found


def wait_for_run(dev: DagsterDev, run_id: str, timeout: float) -> dict:
    """Wait until a run has finished (whatever its outcome); the run."""
    deadline = time.monotonic() + timeout
    while (found := run(dev, run_id))["status"] not in RUN_DONE:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"run {run_id} still {found['status']} after {timeout} s\n"
                f"{run_log(dev, run_id)}\n--- dagster dev ---\n{dev.log_tail()}"
            )
        time.sleep(2)
    return found


BACKFILL_QUERY = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) {
    __typename ... on PartitionBackfill {
        id status numPartitions error { message } runs(limit: 100) { runId status }
    }
} }
"""


def wait_for_backfill(dev: DagsterDev, backfill_id: str, timeout: float) -> dict:
    """Wait until the back-fill daemon has finished a back-fill and its runs; the back-fill."""
    deadline = time.monotonic() + timeout
    while True:
        found = dev.graphql(BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
        assert found["__typename"] == "PartitionBackfill", f"{backfill_id}: {found}"
        runs_done = all(r["status"] in RUN_DONE for r in found["runs"])
        if found["status"] in BACKFILL_DONE and runs_done:
            return found
        if time.monotonic() > deadline:
            logs = "\n".join(run_log(dev, r["runId"]) for r in found["runs"])
            raise TimeoutError(
                f"back-fill {backfill_id} not finished after {timeout} s: {found}\n{logs}\n"
                f"--- dagster dev ---\n{dev.log_tail()}"
            )
        time.sleep(2)


RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"


def all_runs(dev: DagsterDev) -> list[dict]:
    """Every run of the instance, newest first."""
    return dev.graphql(RUNS_QUERY)["runsOrError"]["results"]


LOGS_QUERY = """
query Logs($runId: ID!) { logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { message level } } }
    ... on PythonError { message }
} }
"""


def run_log(dev: DagsterDev, run_id: str, lines: int = 60) -> str:
    """The last messages of a run's event log, for failure messages."""
    data = dev.graphql(LOGS_QUERY, runId=run_id)["logsForRun"]
    events = data.get("events") or []
    text = [f"{e.get('level', '')} {e['__typename']}: {e.get('message', '')}" for e in events]
    return f"--- run {run_id} ---\n" + ("\n".join(text[-lines:]) or data.get("message", ""))


LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
} }
"""


def launch_run(dev: DagsterDev, assets: list[str], tags: dict[str, str] | None = None) -> str:
    """Queue a run of `assets` the way the UI's Materialize button does; the run id."""
    params = {
        "selector": {"repositoryLocationName": MODULE, "repositoryName": "__repository__",
                     "jobName": "__ASSET_JOB", "assetSelection": [{"path": [a]} for a in assets]},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }  # fmt: skip
    answer = dev.graphql(LAUNCH_RUN, params=params)["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]
