"""Asset checks: unpartitioned, each reads the whole table (see quality.py for the logic).

Partitioned checks are Preview in Dagster 1.13 and lose their per-partition result in ranged
runs, so every check judges the whole table after each materialization.
"""

from pathlib import Path

import dagster as dg

from bfa_assets import quality
from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.rankings import volume_rankings
from bfa_assets.defs.assets.release import release_artifact
from bfa_assets.defs.assets.volume import daily_volume
from bfa_assets.defs.resources import ReleaseResource, VisionResource, Warehouse


def as_result(finding: quality.Finding) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=finding.passed,
        severity=dg.AssetCheckSeverity(finding.severity),
        description=finding.summary,
        metadata={**finding.counts, "summary": finding.summary,
                  "details": dg.MetadataValue.md(finding.details_markdown())},
    )  # fmt: skip


class CompletenessConfig(dg.Config):
    max_drop: float = 0.2  # a day is short when it falls this share below the 7-day median
    pending_days: int = 1  # newest days that may still be publishing


@dg.asset_check(asset=daily_availability)
def continuity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR if a day between the first and the newest probed day was never probed."""
    with warehouse.get_connection() as conn:
        return as_result(quality.continuity(conn))


@dg.asset_check(asset=daily_availability)
def completeness(config: CompletenessConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
    """WARN for days whose available count falls well below the 7-day median."""
    with warehouse.get_connection() as conn:
        return as_result(quality.completeness(conn, config.max_drop, config.pending_days))


@dg.asset_check(asset=daily_availability)
def exchange_info_cross_check(vision: VisionResource, warehouse: Warehouse) -> dg.AssetCheckResult:
    """WARN if exchangeInfo's trading USDT perpetuals and Vision's files match below 95 %.

    A geo-block (HTTP 451) or an unreachable API passes as skipped, saying so.
    """
    info, problem = vision.exchange_info()
    with warehouse.get_connection() as conn:
        return as_result(quality.exchange_cross_check(conn, info, problem))


@dg.asset_check(asset=daily_volume)
def volume_sanity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR for impossible bars: OHLC outside [low, high], negatives, taker-buy above total."""
    with warehouse.get_connection() as conn:
        return as_result(quality.volume_sanity(conn))


@dg.asset_check(asset=daily_volume)
def volume_coverage(warehouse: Warehouse) -> dg.AssetCheckResult:
    """WARN for available days that have a 1d file on Vision but no volume row."""
    with warehouse.get_connection() as conn:
        return as_result(quality.volume_coverage(conn))


@dg.asset_check(asset=volume_rankings)
def ranking_sanity(warehouse: Warehouse) -> dg.AssetCheckResult:
    """ERROR unless ranks are dense from 1, shares sum to 100 and only USDT perpetuals rank."""
    with warehouse.get_connection() as conn:
        return as_result(quality.ranking_sanity(conn))


@dg.asset_check(asset=release_artifact)
def release_integrity(warehouse: Warehouse, release: ReleaseResource) -> dg.AssetCheckResult:
    """ERROR unless SHA256SUMS verifies, the gz round-trips and row counts equal the working db."""
    with warehouse.get_connection() as conn:
        return as_result(quality.release_integrity(conn, Path(release.release_dir)))


CHECKS = [continuity, completeness, exchange_info_cross_check, volume_sanity, volume_coverage,
          ranking_sanity, release_integrity]  # fmt: skip
