"""Sensors that request runs: the daily lookback, and the back-fill of new symbols.

The decisions themselves are plain functions (bfa_assets/automation/scheduling.py); these
sensors feed them the clock, a cheap look at Vision and the discovery's metadata, and turn them
into runs.
"""

import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from bfa_assets.automation.scheduling import (
    Backfill,
    daily_decision,
    lookback_window,
    plan_new_symbol_backfill,
)
from bfa_assets.common import markets
from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.symbols import futures_symbols
from bfa_assets.defs.partitions import range_tags
from bfa_assets.defs.resources import AutomationResource, VisionResource
from bfa_assets.http.client import HTTPFailure
from bfa_assets.quality.findings import scoped_run_config

# Selections from the graph: everything from discovery on, and everything from availability on.
EVERYTHING = dg.AssetSelection.assets(futures_symbols).downstream()
HISTORY = dg.AssetSelection.assets(daily_availability).downstream()


# On unless BFA_DAILY_SENSOR=off (the demo: a newcomer looks first). The UI's toggle wins.
DAILY_DEFAULT = (
    dg.DefaultSensorStatus.STOPPED
    if os.environ.get("BFA_DAILY_SENSOR") == "off"
    else dg.DefaultSensorStatus.RUNNING
)


@dg.sensor(
    asset_selection=EVERYTHING,
    minimum_interval_seconds=int(os.environ.get("BFA_SENSOR_INTERVAL_SECONDS", "300")),
    default_status=DAILY_DEFAULT,
)
def daily_lookback(
    context: dg.SensorEvaluationContext, vision: VisionResource, automation: AutomationResource
) -> dg.SensorResult | dg.SkipReason:
    """Once yesterday's files of both markets are on Vision (or at the fallback hour), one run
    over the lookback, for both markets.

    Re-checking the last `lookback_days` days every day picks up late and re-published files.
    The cursor (the last day requested) and the run key per day make each day requested once,
    across daemon restarts. The look at Vision has its own short retry policy, well inside
    Dagster's 60 s for a tick: while Vision does not answer, the tick is skipped, saying so,
    and a later tick tries again.
    """
    last = date.fromisoformat(context.cursor) if context.cursor else None

    def unpublished(day: date) -> list[str]:
        """The markets still without `day`; a market not looked at counts as one (`all([])`
        is True: nothing seen must never read as published)."""
        published = vision.published(day, automation.probes())
        return [markets.name(m) for m in markets.MARKETS if not published.get(m, False)]

    try:
        decision = daily_decision(datetime.now(UTC), last, unpublished, automation.fallback_hour)
    except HTTPFailure as error:
        return dg.SkipReason(f"Vision did not answer the publication probe, trying again: {error}")
    if decision.day is None:
        return dg.SkipReason(decision.reason)
    start, end = lookback_window(decision.day, automation.lookback_days)
    request = dg.RunRequest(
        run_key=f"daily-{decision.day}",
        tags={**range_tags(start, end), "bfa/trigger": decision.reason},
    )
    return dg.SensorResult(run_requests=[request], cursor=decision.day.isoformat())


@dg.sensor(
    asset_selection=HISTORY,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_symbol_backfill(
    context: dg.SensorEvaluationContext, automation: AutomationResource
) -> dg.SensorResult:
    """After a discovery that found new symbols with older history, one ranged run for them.

    The run is restricted to those symbols through run config, from their first file to
    yesterday; the daily lookback already covers recent days for every symbol. Reads the
    discovery's metadata, not the database, which a running run may hold locked.
    """
    events = context.instance.fetch_materializations(
        futures_symbols.key, limit=25, cursor=context.cursor, ascending=True
    )
    requests, skipped = [], []
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    for record in events.records:
        metadata = record.asset_materialization.metadata
        first_days = {
            s: date.fromisoformat(d) if d else None
            for s, d in metadata["new_symbols_first_days"].value.items()
        }
        plan = plan_new_symbol_backfill(
            first_days, metadata["symbols_known"].value, yesterday, automation.lookback_days
        )
        if not isinstance(plan, Backfill):
            skipped.append(plan)
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"new-symbols-{record.storage_id}",
                run_config=scoped_run_config(symbols=plan.symbols),
                tags={
                    **range_tags(plan.start, plan.end),
                    "bfa/trigger": f"{len(plan.symbols)} new symbols",
                },
            )
        )
    skip = None if requests else dg.SkipReason("; ".join(skipped) or "no new discovery")
    return dg.SensorResult(run_requests=requests, cursor=events.cursor, skip_reason=skip)


SENSORS = [daily_lookback, new_symbol_backfill]
