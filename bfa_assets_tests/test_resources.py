"""Resources as the code location builds them from the environment."""

from __future__ import annotations

from bfa_assets.defs.resources import build_resources


def test_the_working_database_is_opened_with_a_bounded_memory_limit(tmp_path, monkeypatch):
    monkeypatch.delenv("BFA_DUCKDB_PATH", raising=False)
    monkeypatch.chdir(tmp_path)  # the default path, data/bfa.duckdb, lands here
    warehouse = build_resources()["warehouse"]
    with warehouse.get_connection() as conn:
        (limit,) = conn.execute("SELECT current_setting('memory_limit')").fetchall()[0]
        (tables,) = conn.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0]
    assert limit.endswith("MiB") and float(limit.split()[0]) < 1024
    assert tables >= 6 and (tmp_path / "data" / "bfa.duckdb").is_file()  # migrated


def test_connections_that_only_read_cache_less_than_the_writers(tmp_path, monkeypatch):
    """The checks and the release's reads scan whole tables: a small cache keeps their memory
    from growing with the history (store/memory.py)."""
    from bfa_assets.release.database import open_read_only

    monkeypatch.delenv("BFA_DUCKDB_PATH", raising=False)
    monkeypatch.chdir(tmp_path)  # the default path, data/bfa.duckdb, lands here
    warehouse = build_resources()["warehouse"]
    limit = "SELECT current_setting('memory_limit')"
    with warehouse.get_connection() as conn:
        (writing,) = conn.execute(limit).fetchall()[0]
    with warehouse.reading() as conn:
        (reading,) = conn.execute(limit).fetchall()[0]
    with open_read_only(tmp_path / "data" / "bfa.duckdb") as conn:
        (release,) = conn.execute(limit).fetchall()[0]
    assert writing == "366.2 MiB" and reading == release == "61.0 MiB"
