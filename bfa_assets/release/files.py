"""The names of the files a release holds (Dagster-free, imports nothing)."""

DATABASE = "availability.duckdb"
DATABASE_GZ = "availability.duckdb.gz"
SNAPSHOT = "available-by-date.arrow"
PARQUET = "volume-rankings-timeseries.parquet"
STATS = "stats.json"
NOTES = "RELEASE_NOTES.md"
SUMS = "SHA256SUMS"
FILES = (DATABASE, DATABASE_GZ, SNAPSHOT, PARQUET, STATS, NOTES, SUMS)
