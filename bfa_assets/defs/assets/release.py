"""release_artifact: the files users download, written atomically and optionally published."""

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from bfa_assets import quality
from bfa_assets.defs.assets import DUCKDB_POOL, OWNERS
from bfa_assets.defs.assets.rankings import volume_rankings
from bfa_assets.defs.partitions import single_run
from bfa_assets.defs.resources import ReleaseResource, VisionResource, Warehouse
from bfa_assets.markdown import markdown_table
from bfa_assets.release.build import build_release
from bfa_assets.release.github import publish_release


@dg.asset(
    deps=[volume_rankings],
    kinds={"duckdb", "parquet", "github"},
    group_name="release",
    owners=OWNERS,
    pool=DUCKDB_POOL,
    backfill_policy=single_run,  # lets one CLI run pair it with a partition range
)
def release_artifact(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    release: ReleaseResource,
    vision: VisionResource,
) -> dg.MaterializeResult:
    """`availability.duckdb` (+ `.gz`), `available-by-date.arrow`,
    `volume-rankings-timeseries.parquet`, `stats.json`, `RELEASE_NOTES.md` and `SHA256SUMS` in
    BFA_RELEASE_DIR.

    The database is a compact copy of every table plus the view `availability_with_volume`
    under the original tool's 17 column names; the Arrow file holds each day's snapshot as one
    record batch; the Parquet file has the original 13 columns in their order.
    RELEASE_NOTES.md records the data-quality findings. The folder is built aside and swapped
    in atomically, so readers never see half a release. With BFA_GITHUB_REPO and GITHUB_TOKEN
    set, the files also go to the `latest` GitHub release.
    """
    started = time.monotonic()
    release_dir = Path(release.release_dir)
    exchange, problem = vision.exchange_info()
    with warehouse.get_connection() as conn:
        findings = quality.data_findings(conn, exchange, problem)
        built = build_release(conn, release_dir, datetime.now(UTC), findings)
    context.log.info(f"release of {built.stats['latest_date']} written to {built.path}")
    published = "not configured (set BFA_GITHUB_REPO and GITHUB_TOKEN)"
    target = release.github_target()
    if target is not None:
        result = publish_release(
            target,
            [release_dir / name for name in built.files],
            name=f"bfa {built.stats['latest_date']}",
            body=(release_dir / "RELEASE_NOTES.md").read_text(),
        )
        published = result.release_url
    files = pl.DataFrame(
        [(name, size, digest[:16]) for name, (size, digest) in built.files.items()],
        schema=["file", "bytes", "sha256 (prefix)"], orient="row",
    )  # fmt: skip
    return dg.MaterializeResult(metadata={
        "release_dir": dg.MetadataValue.path(str(release_dir.resolve())),
        "latest_date": str(built.stats["latest_date"]),
        "availability_rows": built.stats["availability_rows"],
        "ranking_rows": built.stats["table_rows"]["volume_rankings"],
        "files": dg.MetadataValue.md(markdown_table(files)),
        "database_bytes": built.files["availability.duckdb"][0],
        "checks_failed": sum(not f.passed for f in findings),
        "github_release": published,
        "duration_s": round(time.monotonic() - started, 2),
    })  # fmt: skip
