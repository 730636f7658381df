"""Serving the simulator with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading

import uvicorn

from bfa_assets_tests.vision_sim.app import SimApp
from bfa_assets_tests.vision_sim.faults import FaultPlan
from bfa_assets_tests.vision_sim.universe import BUCKET, Universe


def _config(app: SimApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        backlog=4096,
        server_header=False,
    )


class SimServer:
    """A running simulator on 127.0.0.1; use as a context manager.

    The socket is bound before the server starts, so `port` is known at once (0 = a free port).
    """

    def __init__(
        self,
        universe: Universe,
        faults: FaultPlan | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ):
        self.app = SimApp(universe, faults)
        self._socket = socket.create_server((host, port), backlog=4096)
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(_config(self.app))
        self._thread: threading.Thread | None = None

    @property
    def universe(self) -> Universe:
        return self.app.universe

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def vision_url(self) -> str:
        return f"{self.url}/{BUCKET}"

    @property
    def fapi_url(self) -> str:
        return self.url

    def set_faults(self, plan: FaultPlan) -> None:
        self.app.faults = plan

    def start(self) -> SimServer:
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name=f"vision-sim:{self.port}",
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the simulator failed to start")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def serve_forever(self) -> None:
        """Run in the calling thread until interrupted (the command line uses this)."""
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
