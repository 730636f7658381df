"""One module per asset; each reads its window, calls the libraries, writes, reports."""

OWNERS = ["team:data-engineering"]
DUCKDB_POOL = "bfa_duckdb"  # every asset that writes the working database; limit 1 (dagster.yaml)
