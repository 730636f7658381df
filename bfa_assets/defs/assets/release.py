"""release_artifact: the files users download, written atomically and optionally published."""

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from bfa_assets.cli.output import fact
from bfa_assets.common.markdown import table
from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.assets.coverage import dataset_coverage
from bfa_assets.defs.assets.rankings import volume_rankings
from bfa_assets.defs.checks import DATA_CHECKS
from bfa_assets.defs.freshness import release_policy
from bfa_assets.defs.resources import ReleaseResource, Warehouse
from bfa_assets.quality.findings import Finding
from bfa_assets.release.build import ReleaseRefused, build_release
from bfa_assets.release.files import DATABASE, NOTES
from bfa_assets.release.github import publish_release


class ReleaseConfig(dg.Config):
    """`allow_partial`: publish a history with unchecked days between the first and the newest
    checked day (the release then says it is partial, in its notes and in stats.json).
    `full`: build the database whole instead of from the previous release (after an edit of the
    working database outside the pipeline, which its change log cannot know of)."""

    allow_partial: bool = False
    full: bool = False


def latest_check_results(
    context: dg.AssetExecutionContext, checks: list[dg.AssetChecksDefinition]
) -> list[Finding]:
    """The newest recorded result of each check, as the UI shows it, saying which run it came
    from (a check of this run runs before the release: see defs/checks.py). A planned check
    that recorded no result was skipped (the UI says so too)."""
    findings = []
    for check in checks:
        for key in check.check_keys:
            record = context.instance.get_latest_asset_check_evaluation_record(key)
            if record is None:  # never planned
                continue
            run = "this run" if record.run_id == context.run.run_id else f"run {record.run_id}"
            evaluation = record.event.asset_check_evaluation if record.event else None
            if evaluation is not None:
                findings.append(
                    Finding(
                        key.name,
                        evaluation.passed,
                        evaluation.severity.value,
                        evaluation.description or "",
                        source=run,
                    )
                )
            else:  # planned, and the check recorded no result
                reason = "no result: it could not look (the run's log says why)"
                findings.append(Finding(key.name, True, "", reason, source=run, skipped=True))
    return findings


@warehouse_asset(
    daily=False,
    deps=[volume_rankings, dataset_coverage],
    kinds={"duckdb", "parquet", "github"},
    group_name="release",
    freshness_policy=release_policy(),
)
def release_artifact(
    context: dg.AssetExecutionContext,
    config: ReleaseConfig,
    warehouse: Warehouse,
    release: ReleaseResource,
) -> dg.MaterializeResult:
    """`availability.duckdb` (+ `.gz`), `available-by-date.arrow`,
    `volume-rankings-timeseries.parquet`, `coin-m-volume-rankings-timeseries.parquet`,
    `stats.json`, `RELEASE_NOTES.md` and `SHA256SUMS` in BFA_RELEASE_DIR, both markets.

    The database is a compact copy of every table plus the view `availability_with_volume`
    under the original tool's 17 column names (USD-M's rows); the Arrow file holds each market's
    day's snapshot as one record batch; the USD-M Parquet file has the original 13 columns in
    their order, COIN-M's its ranking by USD notional. The notes state
    which days were checked and the latest result of every data check. A history with unchecked
    days inside it is refused (unless `allow_partial`), and so is one whose ERROR checks fail.
    The database is brought up to date from the previous release (only the days written since
    are rebuilt) when that is safe, else built whole; stats.json says which and why.
    The folder is built aside and swapped in atomically, so readers never see half a release.
    With BFA_GITHUB_REPO and GITHUB_TOKEN set, the files also go to the `latest` GitHub release.
    """
    started = time.monotonic()
    release_dir = Path(release.release_dir)
    checks = latest_check_results(context, DATA_CHECKS)
    try:
        with warehouse.get_connection() as conn:
            built = build_release(
                conn,
                release_dir,
                datetime.now(UTC),
                checks,
                allow_partial=config.allow_partial,
                full=config.full,
            )
    except ReleaseRefused as refused:
        raise dg.Failure(f"release refused: {refused}") from None
    stats = built.stats
    context.log.info(f"release of {stats['latest_checked_date']} written to {built.path}")
    published = "not configured (set BFA_GITHUB_REPO and GITHUB_TOKEN)"
    target = release.github_target()
    if target is not None:
        result = publish_release(
            target,
            {release_dir / name: digest for name, (_, digest) in built.files.items()},
            # dated by its newest checked day (by the newest day it is about if none is)
            day=stats["latest_checked_date"] or stats["history"][1],
            name=f"bfa {stats['latest_checked_date']}",
            body=(release_dir / NOTES).read_text(),
            keep=release.releases_kept,
        )
        published = result.release_url
        context.log.info(
            f"published {', '.join(result.tags)}; deleted {', '.join(result.pruned) or 'none'}"
        )
    files = [(name, size, digest[:16]) for name, (size, digest) in built.files.items()]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stats["availability_rows"],
            "release_dir": dg.MetadataValue.path(str(release_dir.resolve())),
            # the figures of `bfa query summary`, under its names (its ranges as text)
            **{
                name: _figure(value) for name, value in stats.items() if not isinstance(value, dict)
            },
            "files": dg.MetadataValue.md(table(["file", "bytes", "sha256 (prefix)"], files)),
            "database_bytes": built.files[DATABASE][0],
            "build": stats["build"]["kind"],
            "build_reason": stats["build"]["reason"],
            "step_seconds": dg.MetadataValue.json(built.timings),
            "checks_failed": sum(not f.passed for f in checks),
            "github_release": published,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )


def _figure(value: object) -> object:
    """A figure as metadata: numbers and flags as they are (the UI plots numbers), days and
    ranges as `bfa query summary` prints them."""
    return value if isinstance(value, bool | int | float) else fact(value)
