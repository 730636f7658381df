"""Sensors: the daily lookback, the back-fill of new symbols, and run notifications."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.rankings import volume_rankings
from bfa_assets.defs.assets.release import release_artifact
from bfa_assets.defs.assets.symbols import futures_symbols
from bfa_assets.defs.assets.volume import daily_volume
from bfa_assets.defs.resources import AutomationResource, VisionResource
from bfa_assets.scheduling import (
    Backfill,
    daily_decision,
    lookback_window,
    plan_new_symbol_backfill,
)

EVERYTHING = [futures_symbols, daily_availability, daily_volume, volume_rankings, release_artifact]
HISTORY = [daily_availability, daily_volume, volume_rankings, release_artifact]


def range_tags(start: date, end: date) -> dict[str, str]:
    """One run over a partition range (the assets have single-run back-fill policies)."""
    return {"dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat()}  # fmt: skip


@dg.sensor(asset_selection=EVERYTHING, minimum_interval_seconds=300,
           default_status=dg.DefaultSensorStatus.RUNNING)  # fmt: skip
def daily_lookback(
    context: dg.SensorEvaluationContext, vision: VisionResource, automation: AutomationResource
) -> dg.SensorResult | dg.SkipReason:
    """Once yesterday's files are on Vision (or at the fallback hour), one run over the lookback.

    Re-checking the last `lookback_days` days every day picks up late and re-published files.
    The cursor (the last day requested) and the run key per day make each day requested once,
    across daemon restarts.
    """
    last = date.fromisoformat(context.cursor) if context.cursor else None
    decision = daily_decision(
        datetime.now(UTC), last,
        lambda day: vision.day_published(day, automation.probe_symbols), automation.fallback_hour,
    )  # fmt: skip
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
        config = {"config": {"symbols": plan.symbols}}
        requests.append(
            dg.RunRequest(
                run_key=f"new-symbols-{record.storage_id}",
                run_config={"ops": {"daily_availability": config, "daily_volume": config}},
                tags={
                    **range_tags(plan.start, plan.end),
                    "bfa/trigger": f"{len(plan.symbols)} new symbols",
                },
            )
        )
    skip = None if requests else dg.SkipReason("; ".join(skipped) or "no new discovery")
    return dg.SensorResult(run_requests=requests, cursor=events.cursor, skip_reason=skip)


def _outcome(context: dg.RunStatusSensorContext) -> str:
    """A few lines an operator can act on from a phone: what ran, over what, what it did."""
    run = context.dagster_run
    tags = run.tags
    window = tags.get("dagster/asset_partition_range_start")
    lines = [f"run {run.run_id[:8]} ({tags.get('bfa/trigger', 'manual')})"]
    if window:
        lines.append(f"window {window}..{tags.get('dagster/asset_partition_range_end')}")
    stats = context.instance.get_run_stats(run.run_id)
    if stats.start_time and stats.end_time:
        lines.append(
            f"took {stats.end_time - stats.start_time:.0f} s, "
            f"{stats.materializations} materializations, {stats.steps_failed} failed steps"
        )
    return "\n".join(lines)


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING)
def notify_run_failure(
    context: dg.RunFailureSensorContext, automation: AutomationResource
) -> dg.SkipReason | None:
    """Push a failed run, with its error, to Pushover when PUSHOVER_TOKEN/USER are set."""
    errors = [f"{e.step_key}: {e.event_specific_data.error.message.strip()}"
              for e in context.get_step_failure_events()]  # fmt: skip
    error = "\n".join(errors) or context.failure_event.message or "no message"
    sent = automation.pushover(f"bfa run failed: {context.dagster_run.job_name}",
                               f"{_outcome(context)}\n{error}")  # fmt: skip
    return None if sent else dg.SkipReason("Pushover not configured or unreachable")


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS,
                      default_status=dg.DefaultSensorStatus.RUNNING)  # fmt: skip
def notify_run_success(
    context: dg.RunStatusSensorContext, automation: AutomationResource
) -> dg.SkipReason | None:
    """Push a successful run to Pushover when BFA_NOTIFY_SUCCESS is set too."""
    if not automation.notify_success:
        return dg.SkipReason("success notifications are off (BFA_NOTIFY_SUCCESS)")
    sent = automation.pushover(f"bfa run succeeded: {context.dagster_run.job_name}",
                               _outcome(context))  # fmt: skip
    return None if sent else dg.SkipReason("Pushover not configured or unreachable")


SENSORS = [daily_lookback, new_symbol_backfill, notify_run_failure, notify_run_success]
