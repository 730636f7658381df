"""The one partitions definition: a day per partition since Vision's first USD-M file."""

from datetime import date

import dagster as dg

from bfa_assets.common.days import HISTORY_START

# end_offset=0: the newest partition is yesterday, the last complete UTC day (Vision is T+1).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=HISTORY_START.isoformat(), timezone="UTC", end_offset=0
)

# A back-fill of any range is one run that reads the whole window, not one run per day.
single_run = dg.BackfillPolicy.single_run()

# The tags of a run over a partition range (what the UI's single-run back-fill launches).
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(start: date, end: date) -> dict[str, str]:
    """One run over the partitions [start, end]."""
    return {RANGE_START: start.isoformat(), RANGE_END: end.isoformat()}
