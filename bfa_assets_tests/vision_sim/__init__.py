"""A local Binance Vision (S3 bucket), USD-M and COIN-M REST simulator with exact ground truth.

with SimServer(scenarios.build("tiny")) as sim:
    sim.vision_url, sim.fapi_url, sim.dapi_url, sim.universe.availability_truth(start, end)
    sim.universe.availability_truth(start, end, market="cm")
"""

from bfa_assets_tests.vision_sim.faults import FaultPlan
from bfa_assets_tests.vision_sim.scenarios import build
from bfa_assets_tests.vision_sim.server import SimServer
from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

__all__ = ["FaultPlan", "SimServer", "SymbolLife", "Universe", "build"]
