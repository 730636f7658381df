"""The code location: one Definitions object with every asset, check, sensor and resource."""

import dagster as dg

from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.coverage import dataset_coverage
from bfa_assets.defs.assets.rankings import volume_rankings
from bfa_assets.defs.assets.release import release_artifact
from bfa_assets.defs.assets.symbols import futures_symbols
from bfa_assets.defs.assets.volume import daily_volume
from bfa_assets.defs.checks import CHECKS
from bfa_assets.defs.notifications import NOTIFICATIONS
from bfa_assets.defs.resources import build_resources
from bfa_assets.defs.sensors import SENSORS

ASSETS = [
    futures_symbols,
    daily_availability,
    dataset_coverage,
    daily_volume,
    volume_rankings,
    release_artifact,
]

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    sensors=[*SENSORS, *NOTIFICATIONS],
    resources=build_resources(),
    executor=dg.in_process_executor,  # steps of a run share one DuckDB file: never in parallel
)
