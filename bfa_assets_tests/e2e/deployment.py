"""A production deployment's three Dagster processes on one host (docs/deployment.md): a code
server, `dagster-webserver` and `dagster-daemon run` on deploy/workspace.yaml, each started on
its own, as subprocesses; restarting the code server is a deploy of new code."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bfa_assets_tests.e2e.dagster_dev import (
    BIN,
    DAGSTER,
    HOST,
    MODULE,
    PROJECT,
    DagsterDev,
    location_entry,
    location_loaded,
    spawn,
    stop_group,
)
from bfa_assets_tests.processes import free_port, wait_until

LOCATION = "bfa"  # the code location's name in deploy/workspace.yaml
DEPLOY_WORKSPACE = PROJECT / "deploy" / "workspace.yaml"


PROCESSES = ("code-server", "webserver", "daemon")


@dataclass
class Deployment:
    """The three processes of a production deployment on one host (docs/deployment.md), each
    with its output in `<name>.log`."""

    dev: DagsterDev
    folder: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start_code_server(self, timeout: float = 180) -> None:
        """`dagster code-server start` at the address deploy/workspace.yaml reads; wait until
        it serves (the gRPC health check that `dagster api grpc-health-check` makes)."""
        host, port = (
            self.dev.env["DAGSTER_CODE_SERVER_HOST"],
            self.dev.env["DAGSTER_CODE_SERVER_PORT"],
        )
        command = [str(DAGSTER), "code-server", "start", "-m", MODULE,
                   "--location-name", LOCATION, "-h", host, "-p", port]  # fmt: skip
        process = self.start("code-server", command)
        wait_until(lambda: _serving(f"{host}:{port}"), timeout, "the code server", process)

    def restart_code_server(self, timeout: float = 180) -> None:
        """A deploy of new code: stop the code server, start it again, and wait until the
        webserver has reloaded the location from the new server."""
        before = location_entry(self.dev)["versionKey"]
        stop_group(self.processes.pop("code-server"))
        self.start_code_server(timeout)
        wait_until(
            lambda: _reloaded(location_entry(self.dev), before),
            timeout,
            "the webserver reloading the code location",
            self.processes["webserver"],
        )

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        """Start one of PROCESSES, its output in `<name>.log`."""
        process = spawn(command, self.folder, self.dev.env, self.folder / f"{name}.log")
        self.processes[name] = process
        return process


@contextmanager
def dagster_deployment(
    folder: Path, env: dict[str, str], timeout: float = 180
) -> Iterator[Deployment]:
    """Start the code server, then `dagster-webserver` and `dagster-daemon run` on
    deploy/workspace.yaml, and wait until the webserver has loaded the code location."""
    port = free_port()
    env = {**env, "DAGSTER_CODE_SERVER_HOST": HOST, "DAGSTER_CODE_SERVER_PORT": str(free_port())}
    logs = tuple(folder / f"{name}.log" for name in PROCESSES)
    deployment = Deployment(DagsterDev(f"http://{HOST}:{port}", env, logs, LOCATION), folder)
    workspace = ["-w", str(DEPLOY_WORKSPACE)]
    try:
        deployment.start_code_server(timeout)
        webserver = deployment.start(
            "webserver", [str(BIN / "dagster-webserver"), *workspace, "-h", HOST, "-p", str(port)]
        )
        wait_until(lambda: location_loaded(deployment.dev), timeout, "dagster-webserver",
                   webserver)  # fmt: skip
        deployment.start("daemon", [str(BIN / "dagster-daemon"), "run", *workspace])
        yield deployment
    finally:
        for process in reversed(deployment.processes.values()):
            stop_group(process)


def _serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def _reloaded(entry: dict, version_before: str) -> bool:
    """Whether the location is loaded again, from a new server (while the server is down, the
    webserver shows a load error: that is expected on the way)."""
    error = (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError"
    return entry["loadStatus"] == "LOADED" and not error and entry["versionKey"] != version_before
