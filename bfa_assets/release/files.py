"""The names of the files a release holds, and of its tags on GitHub (Dagster-free, imports
nothing)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the idiom of PEP 781)
if TYPE_CHECKING:
    from datetime import date

DATABASE = "availability.duckdb"
DATABASE_GZ = "availability.duckdb.gz"
SNAPSHOT = "available-by-date.arrow"
PARQUET = "volume-rankings-timeseries.parquet"  # USD-M's rankings, the original 13 columns
COIN_M_PARQUET = "coin-m-volume-rankings-timeseries.parquet"  # COIN-M's rankings
PICTURE_PNG = "symbols-per-day.png"
PICTURE_SVG = "symbols-per-day.svg"
DATASETS_PARQUET = "dataset-coverage.parquet"  # dataset_runs and dataset_checks, for Parquet
DATASETS_PNG = "dataset-coverage.png"
DATASETS_SVG = "dataset-coverage.svg"
STATS = "stats.json"
NOTES = "RELEASE_NOTES.md"
SUMS = "SHA256SUMS"
FILES = (
    DATABASE,
    DATABASE_GZ,
    SNAPSHOT,
    PARQUET,
    COIN_M_PARQUET,
    PICTURE_PNG,
    PICTURE_SVG,
    DATASETS_PARQUET,
    DATASETS_PNG,
    DATASETS_SVG,
    STATS,
    NOTES,
    SUMS,
)

DATED_PREFIX = "data-"  # a data date's GitHub release: tag data-YYYY-MM-DD (release/github.py)


def dated_tag(day: date) -> str:
    return f"{DATED_PREFIX}{day.isoformat()}"
