"""One module per asset: read the window, call one step (bfa_assets/steps), report metadata."""

import warnings

import dagster as dg

OWNERS = ["team:data-engineering"]
DUCKDB_POOL = "bfa_duckdb"  # every asset that writes the working database; limit 1 (dagster.yaml)

# Single-run back-fills are the design's core (a back-fill of 2,600 days is one run); Dagster
# marks the parameter beta and would say so five times in every process that loads the code.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
