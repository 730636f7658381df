"""Dagster as subprocesses, and its GraphQL API: `dagster dev` (webserver, daemon and code
server in one command; a production deployment's three processes are in deployment.py).

The e2e tests drive the UI with a browser; GraphQL (the UI's own API) is used to set the
instance up, to launch what a test does not click, and to watch runs and back-fills: status,
logs on failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from bfa_assets_tests.instances import dagster_env, write_instance
from bfa_assets_tests.processes import free_port, stop, wait_until

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGSTER = BIN / "dagster"
MODULE = "bfa_assets.definitions"
HOST = "127.0.0.1"
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass(frozen=True)
class DagsterDev:
    """Running Dagster: the webserver's URL, the code location's name and settings, and the
    output files of its processes."""

    url: str
    env: dict[str, str]  # the code location's settings, DAGSTER_HOME included
    logs: tuple[Path, ...]
    location: str = MODULE  # `dagster dev -m` names the location after the module

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
        """The end of each process's own output, for failure messages."""
        return "\n".join(
            f"--- {log.name} ---\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in self.logs
            if log.exists()
        )


def instance_env(
    folder: Path, vision_url: str, fapi_url: str, storage: str = "batching", **settings: str
) -> dict[str, str]:
    """Environment of a code location pointed at the simulator, with a fresh instance
    (bfa_assets_tests/instances.py: run queue, the `bfa_duckdb` pool, run monitoring, on the
    given storage) and dagster.env's variables, as every Dagster process gets them.

    The sensors run as they would in production; `BFA_FALLBACK_HOUR=24` (the default here)
    keeps the daily lookback from launching a run of its own just because it is afternoon.
    """
    home = folder / "dagster_home"
    write_instance(home, storage)
    return {
        **dagster_env(),
        "DAGSTER_HOME": str(home),
        "BFA_VISION_URL": vision_url,
        "BFA_FAPI_URL": fapi_url,
        "BFA_DAPI_URL": fapi_url,  # the simulator serves both REST APIs from one base
        "BFA_DUCKDB_PATH": str(folder / "bfa.duckdb"),
        "BFA_RELEASE_DIR": str(folder / "release"),
        "BFA_FALLBACK_HOUR": "24",
        **settings,
    }


def spawn(command: list[str], folder: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a Dagster command in its own process group (so that stopping it stops what it
    started, too), its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "DAGSTER_DISABLE_TELEMETRY": "1"},
            start_new_session=True,
        )


@contextmanager
def dagster_dev(folder: Path, env: dict[str, str], timeout: float = 180) -> Iterator[DagsterDev]:
    """Start `dagster dev` and wait until the webserver and the code location answer."""
    port = free_port()
    log = folder / "dagster-dev.log"
    command = [str(DAGSTER), "dev", "-m", MODULE, "-h", HOST, "-p", str(port)]
    process = spawn(command, folder, env, log)
    dev = DagsterDev(f"http://{HOST}:{port}", env, (log,))
    try:
        wait_until(lambda: location_loaded(dev), timeout, "dagster dev", process)
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
    name loadStatus versionKey locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def location_loaded(dev: DagsterDev) -> bool:
    """Whether every code location has loaded; raises at once if one failed to load."""
    entries = dev.graphql(LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries", [])
    for entry in entries:
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "PythonError":
            raise RuntimeError(f"code location {entry['name']} failed: {loaded['message']}")
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def location_entry(dev: DagsterDev) -> dict:
    """The webserver's entry of the code location: load status, version key, load error."""
    entries = dev.graphql(LOCATIONS_QUERY)["workspaceOrError"]["locationEntries"]
    return next(e for e in entries if e["name"] == dev.location)


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
                f"{run_log(dev, run_id)}\n{dev.log_tail()}"
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
                f"{dev.log_tail()}"
            )
        time.sleep(2)


RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"


def all_runs(dev: DagsterDev) -> list[dict]:
    """Every run of the instance, newest first."""
    return dev.graphql(RUNS_QUERY)["runsOrError"]["results"]


def wait_for_first_run(dev: DagsterDev, timeout: float, run_timeout: float) -> tuple[dict, dict]:
    """Wait until the instance's first run (a sensor's, as nothing else launches one) has
    left the queue and finished; the run, and its tags as a dict."""
    wait_until(lambda: any(r["status"] != "QUEUED" for r in all_runs(dev)), timeout,
               "a run launched by a sensor")  # fmt: skip
    (launched,) = all_runs(dev)
    finished = wait_for_run(dev, launched["runId"], run_timeout)
    return finished, {t["key"]: t["value"] for t in finished["tags"]}


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
        "selector": {"repositoryLocationName": dev.location, "repositoryName": "__repository__",
                     "jobName": "__ASSET_JOB", "assetSelection": [{"path": [a]} for a in assets]},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }  # fmt: skip
    answer = dev.graphql(LAUNCH_RUN, params=params)["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]


LAUNCH_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}
"""


def launch_backfill(dev: DagsterDev, assets: list[str], start: date, end: date) -> str:
    """Back-fill the daily partitions [start, end] of `assets` as the UI's "Launch backfill"
    does for a typed range; the back-fill's id."""
    days = [str(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    params = {"assetSelection": [{"path": [a]} for a in assets], "partitionNames": days,
              "fromFailure": False}  # fmt: skip
    answer = dev.graphql(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert answer["__typename"] == "LaunchBackfillSuccess", answer
    return answer["backfillId"]
