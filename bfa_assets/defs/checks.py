"""Asset checks: unpartitioned, each reads the whole table (the logic is in bfa_assets/quality/).

The checks of one asset run in one step (a multi-asset check, each check still its own in the
UI and selectable alone): a step costs Dagster a fixed time, and a check result a look-up of
its asset's partitions, once per step (docs/benchmarks.md, a small run's fixed cost).

Partitioned checks are Preview in Dagster 1.13 and lose their per-partition result in ranged
runs, so every check judges the whole table after each materialization.

Checks run as soon as their asset is written (a higher step priority than the assets), so by
the time the release is built every check of the run has a result for the release notes. The
sanity checks are blocking: an impossible bar or a broken ranking stops everything downstream
in the same run, and so are the two row invariants the original tool's publish gate enforced
(a file size exactly on available rows; volume rows only on available days). Every failed ERROR
check but `continuity` also makes the release refuse (release/build.py). `continuity` is not
blocking, since a back-fill of one part of the history
leaves holes on purpose; the release refuses a history with holes itself (see release/build).
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb

from bfa_assets.defs.resources import DapiResource, FapiResource, ReleaseResource, Warehouse
from bfa_assets.quality import availability, datasets, rankings, volume
from bfa_assets.quality.findings import Finding
from bfa_assets.release.verify import release_integrity as verify_release

FIRST = {"dagster/priority": "1"}  # checked before the in-process executor moves on
# By key, not by the asset objects: the release asset reads the results of these checks.
AVAILABILITY = "daily_availability"
COVERAGE = "dataset_coverage"
VOLUME = "daily_volume"
RANKINGS = "volume_rankings"
RELEASE = "release_artifact"


def as_result(finding: Finding, key: dg.AssetCheckKey | None = None) -> dg.AssetCheckResult:
    """The finding as Dagster records it; `key` names the check in a multi-asset check."""
    return dg.AssetCheckResult(
        asset_key=key.asset_key if key else None,
        check_name=key.name if key else None,
        passed=finding.passed,
        severity=dg.AssetCheckSeverity(finding.severity),
        description=finding.summary,
        metadata={
            **finding.counts,
            "summary": finding.summary,
            "details": dg.MetadataValue.md(finding.details_markdown()),
        },
    )


class CompletenessConfig(dg.Config):
    """The run config of `completeness` (in the op `daily_availability_checks`)."""

    max_drop: float = 0.2  # a day is short when it falls this share below the 7-day median
    pending_days: int = 1  # newest days that may still be publishing


Judge = Callable[[duckdb.DuckDBPyConnection], Finding]


def judged(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse, judges: dict[str, Judge]
) -> Iterator[dg.AssetCheckResult]:
    """The result of each selected check of `judges` (check name -> its judgment), all on one
    connection. A finding that could not look (`skipped`) yields no result: the UI shows the
    check as skipped, and the run's log says why."""
    selected = {key.name: key for key in context.selected_asset_check_keys}
    with warehouse.reading() as conn:
        for name, judge in judges.items():
            if name not in selected:
                continue
            finding = judge(conn)
            if finding.skipped:
                context.log.warning(f"{name} skipped: {finding.summary}")
            else:
                yield as_result(finding, selected[name])


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            availability.CONTINUITY,
            asset=AVAILABILITY,
            description="ERROR if a day between the first and the newest checked day was never "
            "checked for a market (from its first day on); each hole names the run config that "
            "fills it.",
        ),
        dg.AssetCheckSpec(
            "completeness",
            asset=AVAILABILITY,
            description="WARN for days whose available count falls well below their market's "
            "7-day median.",
        ),
        dg.AssetCheckSpec(
            "file_size_when_available",
            asset=AVAILABILITY,
            blocking=True,
            description="ERROR for rows with a file size but no file, or a file but no size.",
        ),
        dg.AssetCheckSpec(
            availability.CROSS_CHECK,
            asset=AVAILABILITY,
            description="WARN if a market's exchangeInfo (USD-M: trading USDT perpetuals; "
            "COIN-M: trading perpetuals) and its files on Vision match below 95 %. Each market "
            "is compared on its own: an API that cannot be read (HTTP 451, an outage) is said "
            "in the summary and leaves the other market's verdict; skipped when no market can "
            "be compared.",
        ),
    ],
    can_subset=True,
    op_tags=FIRST,
)
def daily_availability_checks(
    context: dg.AssetCheckExecutionContext,
    config: CompletenessConfig,
    fapi: FapiResource,
    dapi: DapiResource,
    warehouse: Warehouse,
) -> Iterator[dg.AssetCheckResult]:
    """The checks of daily_availability (bfa_assets/quality/availability.py)."""
    views = {}
    if dg.AssetCheckKey(dg.AssetKey(AVAILABILITY), availability.CROSS_CHECK) in (
        context.selected_asset_check_keys
    ):  # read before the database is opened: the APIs may take their time
        views = {api.market: api.exchange_info() for api in (fapi, dapi)}
    yield from judged(
        context,
        warehouse,
        {
            availability.CONTINUITY: availability.continuity,
            "completeness": lambda conn: availability.completeness(
                conn, config.max_drop, config.pending_days
            ),
            "file_size_when_available": availability.file_size_when_available,
            availability.CROSS_CHECK: lambda conn: availability.exchange_cross_check(conn, views),
        },
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "volume_sanity",
            asset=VOLUME,
            blocking=True,
            description="ERROR for impossible bars of either market: OHLC outside [low, high], "
            "negatives, taker-buy above total (COIN-M: taker-buy contracts above contracts).",
        ),
        dg.AssetCheckSpec(
            "volume_on_available_days",
            asset=VOLUME,
            blocking=True,
            description="ERROR for volume rows on a day that daily_availability does not have "
            "as available.",
        ),
        dg.AssetCheckSpec(
            "volume_coverage",
            asset=VOLUME,
            description="WARN for available days that have a 1d file on Vision but no volume row.",
        ),
    ],
    can_subset=True,
    op_tags=FIRST,
)
def daily_volume_checks(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    """The checks of daily_volume (bfa_assets/quality/volume.py)."""
    yield from judged(
        context,
        warehouse,
        {
            "volume_sanity": volume.volume_sanity,
            "volume_on_available_days": volume.volume_on_available_days,
            "volume_coverage": volume.volume_coverage,
        },
    )


@dg.asset_check(asset=RANKINGS, op_tags=FIRST, blocking=True)
def ranking_sanity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR unless each market's ranks are dense from 1, its shares sum to 100 and only its
    cohort ranks (USD-M: USDT perpetuals; COIN-M: perpetuals)."""
    with warehouse.reading() as conn:
        return as_result(rankings.ranking_sanity(conn))


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            datasets.CONTINUITY,
            asset=COVERAGE,
            description="WARN for days checked for a market's 1m klines but not for one of its "
            "other datasets (a monthly dataset: whole months); each range names the run config "
            "that back-fills it. A dataset Binance adds shows as its whole history.",
        ),
        dg.AssetCheckSpec(
            datasets.INCIDENTS,
            asset=COVERAGE,
            description=f"WARN for new whole-dataset incidents: a checked day within "
            f"{datasets.RECENT_DAYS} days of the newest on which none of the contracts that had "
            "a dataset's file the day before has it.",
        ),
        dg.AssetCheckSpec(
            datasets.UNIQUE,
            asset=COVERAGE,
            blocking=True,
            description="ERROR for a listed file recorded more than once.",
        ),
    ],
    can_subset=True,
    op_tags=FIRST,
)
def dataset_coverage_checks(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    """The checks of dataset_coverage (bfa_assets/quality/datasets.py)."""
    yield from judged(
        context,
        warehouse,
        {
            datasets.CONTINUITY: datasets.continuity,
            datasets.INCIDENTS: datasets.incidents,
            datasets.UNIQUE: datasets.unique_files,
        },
    )


# The checks of the data, whose results the release notes report.
DATA_CHECKS = [
    daily_availability_checks,
    dataset_coverage_checks,
    daily_volume_checks,
    ranking_sanity,
]


@dg.asset_check(asset=RELEASE)
def release_integrity(warehouse: Warehouse, release: ReleaseResource) -> dg.AssetCheckResult:
    """ERROR unless SHA256SUMS verifies, the gz round-trips and row counts equal the working db."""
    with warehouse.reading() as conn:
        return as_result(verify_release(conn, Path(release.release_dir)))


CHECKS = [*DATA_CHECKS, release_integrity]
