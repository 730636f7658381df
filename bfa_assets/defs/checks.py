"""Asset checks: unpartitioned, each reads the whole table (the logic is in bfa_assets/quality/).

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

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from bfa_assets.defs.resources import DapiResource, FapiResource, ReleaseResource, Warehouse
from bfa_assets.quality import availability, rankings, volume
from bfa_assets.quality.findings import Finding
from bfa_assets.release.verify import release_integrity as verify_release

FIRST = {"dagster/priority": "1"}  # checked before the in-process executor moves on
# By key, not by the asset objects: the release asset reads the results of these checks.
AVAILABILITY = "daily_availability"
VOLUME = "daily_volume"
RANKINGS = "volume_rankings"
RELEASE = "release_artifact"


def as_result(finding: Finding) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
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
    max_drop: float = 0.2  # a day is short when it falls this share below the 7-day median
    pending_days: int = 1  # newest days that may still be publishing


@dg.asset_check(asset=AVAILABILITY, name=availability.CONTINUITY, op_tags=FIRST)
def continuity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR if a day between the first and the newest checked day was never checked for a
    market (from its first day on); each hole names the run config that fills it."""
    with warehouse.get_connection() as conn:
        return as_result(availability.continuity(conn))


@dg.asset_check(asset=AVAILABILITY, op_tags=FIRST)
def completeness(config: CompletenessConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
    """WARN for days whose available count falls well below their market's 7-day median."""
    with warehouse.get_connection() as conn:
        return as_result(availability.completeness(conn, config.max_drop, config.pending_days))


@dg.asset_check(asset=AVAILABILITY, op_tags=FIRST, blocking=True)
def file_size_when_available(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR for rows with a file size but no file, or a file but no size."""
    with warehouse.get_connection() as conn:
        return as_result(availability.file_size_when_available(conn))


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(availability.CROSS_CHECK, asset=AVAILABILITY)],
    can_subset=True,  # a check that yields no result is recorded as skipped
    op_tags=FIRST,
)
def exchange_info_cross_check(
    context: dg.AssetCheckExecutionContext,
    fapi: FapiResource,
    dapi: DapiResource,
    warehouse: Warehouse,
) -> Iterator[dg.AssetCheckResult]:
    """WARN if a market's exchangeInfo (USD-M: trading USDT perpetuals; COIN-M: trading
    perpetuals) and its files on Vision match below 95 %.

    Each market is compared on its own: one API that cannot be read (a geo-block, HTTP 451, or
    an outage) is said in the summary and leaves the other market's verdict. Skipped (the UI
    shows it so, and the run's log says why) when no market can be compared.
    """
    views = {api.market: api.exchange_info() for api in (fapi, dapi)}
    with warehouse.get_connection() as conn:
        finding = availability.exchange_cross_check(conn, views)
    if finding.skipped:
        context.log.warning(f"{availability.CROSS_CHECK} skipped: {finding.summary}")
        return
    yield as_result(finding)


@dg.asset_check(asset=VOLUME, op_tags=FIRST, blocking=True)
def volume_sanity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR for impossible bars of either market: OHLC outside [low, high], negatives,
    taker-buy above total (COIN-M: taker-buy contracts above contracts)."""
    with warehouse.get_connection() as conn:
        return as_result(volume.volume_sanity(conn))


@dg.asset_check(asset=VOLUME, op_tags=FIRST, blocking=True)
def volume_on_available_days(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR for volume rows on a day that daily_availability does not have as available."""
    with warehouse.get_connection() as conn:
        return as_result(volume.volume_on_available_days(conn))


@dg.asset_check(asset=VOLUME, op_tags=FIRST)
def volume_coverage(warehouse: Warehouse) -> dg.AssetCheckResult:
    """WARN for available days that have a 1d file on Vision but no volume row."""
    with warehouse.get_connection() as conn:
        return as_result(volume.volume_coverage(conn))


@dg.asset_check(asset=RANKINGS, op_tags=FIRST, blocking=True)
def ranking_sanity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR unless each market's ranks are dense from 1, its shares sum to 100 and only its
    cohort ranks (USD-M: USDT perpetuals; COIN-M: perpetuals)."""
    with warehouse.get_connection() as conn:
        return as_result(rankings.ranking_sanity(conn))


# The checks of the data, whose results the release notes report.
DATA_CHECKS = [
    continuity,
    completeness,
    file_size_when_available,
    exchange_info_cross_check,
    volume_sanity,
    volume_on_available_days,
    volume_coverage,
    ranking_sanity,
]


@dg.asset_check(asset=RELEASE)
def release_integrity(warehouse: Warehouse, release: ReleaseResource) -> dg.AssetCheckResult:
    """ERROR unless SHA256SUMS verifies, the gz round-trips and row counts equal the working db."""
    with warehouse.get_connection() as conn:
        return as_result(verify_release(conn, Path(release.release_dir)))


CHECKS = [*DATA_CHECKS, release_integrity]
