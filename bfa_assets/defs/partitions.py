"""The one partitions definition: a day per partition since Vision's first USD-M file."""

import dagster as dg

HISTORY_START = "2019-09-25"

# end_offset=0: the newest partition is yesterday, the last complete UTC day (Vision is T+1).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=HISTORY_START, timezone="UTC", end_offset=0
)

# A back-fill of any range is one run that reads the whole window, not one run per day.
single_run = dg.BackfillPolicy.single_run()
