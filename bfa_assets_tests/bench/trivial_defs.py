"""The least a Dagster run can be: one daily-partitioned asset that does nothing, with bfa's
partitions, back-fill policy and executor. `bench/small_run.py` times a run of it beside a
small run of bfa's, to tell Dagster's own fixed cost from bfa's."""

import dagster as dg

from bfa_assets.defs.partitions import daily_partitions, single_run


@dg.asset(partitions_def=daily_partitions, backfill_policy=single_run)
def trivial() -> dg.MaterializeResult:
    return dg.MaterializeResult()


defs = dg.Definitions(assets=[trivial], executor=dg.in_process_executor)
