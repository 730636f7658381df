"""One module per asset: read the window, call one step (bfa_assets/steps), report metadata."""

import warnings
from collections.abc import Callable

import dagster as dg

from bfa_assets.defs.partitions import daily_partitions, single_run

OWNERS = ["team:data-engineering"]
DUCKDB_POOL = "bfa_duckdb"  # every asset that writes the working database; limit 1 (dagster.yaml)


def warehouse_asset(*, daily: bool, **spec: object) -> Callable:
    """`@dg.asset` with what every asset here shares: it writes the working database (the pool
    of one writer), a back-fill is a single run (an unpartitioned asset can join a ranged run),
    and the owners; `daily` partitions it by day."""
    return dg.asset(
        partitions_def=daily_partitions if daily else None,
        backfill_policy=single_run,
        owners=OWNERS,
        pool=DUCKDB_POOL,
        **spec,
    )


# Single-run back-fills are the design's core (a back-fill of 2,600 days is one run); Dagster
# marks the parameter beta and would say so five times in every process that loads the code.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
