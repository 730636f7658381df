"""How fresh the release must be, and the alarm when it is not.

`release_artifact` carries a cron freshness policy (Dagster's `FreshnessPolicy.cron`): at each
deadline (`BFA_FRESHNESS_DEADLINE`, 14:00 UTC: the daily sensor's fallback hour plus two hours
for its run) it must have been materialized within the window before it
(`BFA_FRESHNESS_WINDOW_MINUTES`, a day). The daemon's freshness evaluation records the state
(PASS, FAIL) as the asset's freshness in the UI; open-source Dagster sends no alert of its own,
so `notify_stale_release` pushes each change to FAIL, and the recovery after it, to Pushover.
A sensor switched off, a Vision outage that outlasts the fallback, or a release that keeps
failing all end in the same alarm. A dead daemon evaluates nothing: `bfa freshness`, run from
outside, covers that (docs/operations.md).
"""

import os
from datetime import timedelta

import dagster as dg

from bfa_assets.common import settings
from bfa_assets.defs.resources import AutomationResource

RELEASE = dg.AssetKey("release_artifact")


def release_policy() -> dg.FreshnessPolicy:
    """The release's policy, from the environment when the definitions load."""
    deadline = os.environ.get("BFA_FRESHNESS_DEADLINE", settings.FRESHNESS_DEADLINE)
    window = int(os.environ.get("BFA_FRESHNESS_WINDOW_MINUTES", settings.FRESHNESS_WINDOW_MINUTES))
    return dg.FreshnessPolicy.cron(
        deadline_cron=deadline, lower_bound_delta=timedelta(minutes=window), timezone="UTC"
    )


@dg.sensor(
    minimum_interval_seconds=int(os.environ.get("BFA_SENSOR_INTERVAL_SECONDS", "300")),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def notify_stale_release(
    context: dg.SensorEvaluationContext, automation: AutomationResource
) -> dg.SkipReason:
    """Push the release's freshness to Pushover when it turns FAIL, and when it recovers; the
    cursor holds the last state seen, so each change is told once."""
    record = context.instance.get_freshness_state_records([RELEASE]).get(RELEASE)
    state = record.freshness_state.value if record else "UNKNOWN"
    before = context.cursor or "UNKNOWN"
    if state == before:
        return dg.SkipReason(f"release_artifact's freshness is still {state}")
    context.update_cursor(state)
    policy = release_policy()
    if state == "FAIL":
        sent = automation.pushover(
            "bfa: the release is stale",
            f"release_artifact was not materialized in the {policy.lower_bound_delta} before "
            f"its deadline ({policy.deadline_cron} UTC). Is the daily_lookback sensor on, and "
            "did its last run succeed? (docs/operations.md)",
        )
    elif before == "FAIL":
        sent = automation.pushover("bfa: the release is fresh again", f"freshness: {state}")
    else:
        return dg.SkipReason(f"release_artifact's freshness went from {before} to {state}")
    told = "told" if sent else "not told (Pushover not configured or unreachable)"
    return dg.SkipReason(f"release_artifact's freshness went from {before} to {state}: {told}")
