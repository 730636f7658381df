"""The simulator as a server: SimApp on uvicorn, in a background thread or in front."""

from __future__ import annotations

from bfa_assets_tests.asgi_server import BackgroundServer
from bfa_assets_tests.vision_sim.app import SimApp
from bfa_assets_tests.vision_sim.faults import FaultPlan
from bfa_assets_tests.vision_sim.universe import BUCKET, Universe


class SimServer(BackgroundServer):
    """A running simulator on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        universe: Universe,
        faults: FaultPlan | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ):
        self.app = SimApp(universe, faults)
        super().__init__(
            self.app,
            port,
            host,
            name="vision-sim",
            lifespan="on",
            timeout_keep_alive=30,
            backlog=4096,
        )

    @property
    def universe(self) -> Universe:
        return self.app.universe

    @property
    def vision_url(self) -> str:
        return f"{self.url}/{BUCKET}"

    @property
    def fapi_url(self) -> str:
        return self.url

    @property
    def dapi_url(self) -> str:
        """COIN-M's REST base: the same server as `fapi_url` (paths start `/dapi/`)."""
        return self.url

    def set_faults(self, plan: FaultPlan) -> None:
        self.app.faults = plan

    def __enter__(self) -> SimServer:
        self.start()
        return self
