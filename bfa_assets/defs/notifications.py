"""Run outcomes pushed to Pushover (when PUSHOVER_TOKEN and PUSHOVER_USER are set).

A failure to notify is logged and never fails anything.
"""

import dagster as dg

from bfa_assets.defs.freshness import notify_stale_release
from bfa_assets.defs.partitions import RANGE_END, RANGE_START
from bfa_assets.defs.resources import AutomationResource


def _outcome(context: dg.RunStatusSensorContext) -> str:
    """A few lines an operator can act on from a phone: what ran, over what, what it did."""
    run = context.dagster_run
    tags = run.tags
    window = tags.get(RANGE_START)
    lines = [f"run {run.run_id} ({tags.get('bfa/trigger', 'manual')})"]
    if window:
        lines.append(f"window {window}..{tags.get(RANGE_END)}")
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
    errors = [
        f"{e.step_key}: {e.event_specific_data.error.message.strip()}"
        for e in context.get_step_failure_events()
    ]
    error = "\n".join(errors) or context.failure_event.message or "no message"
    sent = automation.pushover(
        f"bfa run failed: {context.dagster_run.job_name}", f"{_outcome(context)}\n{error}"
    )
    return None if sent else dg.SkipReason("Pushover not configured or unreachable")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS, default_status=dg.DefaultSensorStatus.RUNNING
)
def notify_run_success(
    context: dg.RunStatusSensorContext, automation: AutomationResource
) -> dg.SkipReason | None:
    """Push a successful run to Pushover when BFA_NOTIFY_SUCCESS is set too."""
    if not automation.notify_success:
        return dg.SkipReason("success notifications are off (BFA_NOTIFY_SUCCESS)")
    sent = automation.pushover(
        f"bfa run succeeded: {context.dagster_run.job_name}", _outcome(context)
    )
    return None if sent else dg.SkipReason("Pushover not configured or unreachable")


NOTIFICATIONS = [notify_run_failure, notify_run_success, notify_stale_release]
