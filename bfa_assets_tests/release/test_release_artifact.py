"""release_artifact: verifiable files with the original names and columns, swapped in whole."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from bfa_assets.defs.resources import ReleaseResource
from bfa_assets.release.build import FILES, build_release
from bfa_assets.release.layout import DROPPED
from bfa_assets_tests.cli_run import as_json
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, metadata
from bfa_assets_tests.rankings_reference import expected_rankings
from bfa_assets_tests.release.fake_github import serve_fake_github
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

VIEW_COLUMNS = ["date", "symbol", "available", "file_size_bytes", "last_modified", "url",
                "status_code", "probe_timestamp", "quote_volume_usdt", "trade_count", "volume_base",
                "taker_buy_volume_base", "taker_buy_quote_volume_usdt", "open_price", "high_price",
                "low_price", "close_price"]  # fmt: skip
PARQUET_COLUMNS = ["date", "symbol", "rank", "quote_volume_usdt", "trade_count", "rank_change_1d",
                   "rank_change_7d", "rank_change_14d", "rank_change_30d", "percentile",
                   "market_share_pct", "days_available", "generation_timestamp"]  # fmt: skip
TABLES = ["daily_availability", "daily_volume", "probe_log", "symbols", "volume_files",
          "volume_rankings", "dataset_runs", "dataset_checks"]  # fmt: skip


def counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


def test_every_file_is_there_and_sha256sums_verifies(released):
    folder = released.release_dir
    assert folder.is_symlink() and sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    sums = dict(
        reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    assert sorted(sums) == sorted(set(FILES) - {"SHA256SUMS"})
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_the_gz_round_trips_to_the_database(released):
    folder = released.release_dir
    assert (
        gzip.decompress((folder / "availability.duckdb.gz").read_bytes())
        == (folder / "availability.duckdb").read_bytes()
    )
    # written with ISA-L: still a valid file for the gzip tool
    tool = subprocess.run(["gzip", "-t", str(folder / "availability.duckdb.gz")], check=False)
    assert tool.returncode == 0


def test_the_database_holds_every_table_and_the_17_column_view(released):
    path = released.release_dir / "availability.duckdb"
    assert counts(path) == counts(released.db_path)
    with duckdb.connect(str(path), read_only=True) as conn:
        view = conn.sql("SELECT * FROM availability_with_volume")
        assert view.columns == VIEW_COLUMNS
        rows = conn.execute(
            "SELECT count(*), count(*) FILTER (status_code = 200 AND available), "
            "count(quote_volume_usdt) FROM availability_with_volume"
        ).fetchall()[0]
    with duckdb.connect(str(released.db_path), read_only=True) as conn:
        working = (  # USD-M's rows only: COIN-M has no USDT quote volume for its columns
            conn.execute(
                "SELECT count(*), count(*) FILTER (available) FROM daily_availability "
                "WHERE market = 'um'"
            ).fetchall()[0]
            + conn.execute("SELECT count(*) FROM daily_volume WHERE market = 'um'").fetchall()[0]
        )
    assert rows == working and rows[0] == 1181


def test_the_database_is_a_compact_copy_with_the_working_columns_but_provenance(released):
    """Every table keeps the working columns and types but the ETags, SHA-256s and URLs, which
    were a quarter of the gzipped file and stay in the working database (docs/release.md);
    `daily_availability` has its times in UTC without a zone and the original tool's three
    columns, virtual (docs/release.md, "Who can open it")."""

    def columns(path) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as conn:
            return conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ANY($tables) ORDER BY table_name, ordinal_position",
                {"tables": [*TABLES, "schema_version"]},
            ).fetchall()

    release = released.release_dir / "availability.duckdb"
    dropped = {(t, c) for t, names in DROPPED.items() for c in names}
    assert dropped == {("daily_availability", "etag"), ("daily_availability", "url"),
                       ("daily_volume", "source_etag"), ("daily_volume", "sha256"),
                       ("volume_files", "source_etag"), ("volume_files", "sha256")}  # fmt: skip
    kept = []
    for table, column, kind in columns(released.db_path):
        if (table, column) in dropped:
            continue
        if (table, column) in (("daily_availability", "last_modified"),
                               ("daily_availability", "checked_at")):  # fmt: skip
            kind = "TIMESTAMP"
        kept.append((table, column, kind))
        if (table, column) == ("daily_availability", "checked_at"):
            kept += [(table, "status_code", "INTEGER"), (table, "url", "VARCHAR"),
                     (table, "probe_timestamp", "TIMESTAMP")]  # fmt: skip
    assert len(columns(release)) > 40 and columns(release) == kept
    with duckdb.connect(str(release), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM duckdb_indexes()").fetchall() == [(0,)]
        virtual = "SELECT count(*) FROM duckdb_columns() WHERE column_default IS NOT NULL"
        assert conn.execute(virtual).fetchall() == [(3,)]
        assert conn.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall() == [(0,)]


def test_the_read_tables_hold_the_joined_rows_in_their_sort_order(released):
    joined = """
        SELECT a.date, a.market, a.symbol, a.available, a.file_size_bytes, v.quote_volume,
               v.contracts, r.notional_usd, r.rank
        FROM daily_availability a LEFT JOIN daily_volume v USING (date, market, symbol)
        LEFT JOIN volume_rankings r USING (date, market, symbol)
    """
    with duckdb.connect(str(released.db_path), read_only=True) as conn:
        by_symbol = conn.execute(f"{joined} ORDER BY market, symbol, date").fetchall()
    with duckdb.connect(str(released.release_dir / "availability.duckdb"), read_only=True) as conn:
        stored_by_symbol = conn.execute("SELECT * FROM daily_by_symbol").fetchall()
        stored_by_date = conn.execute("SELECT * FROM available_by_date").fetchall()
    assert len(by_symbol) > 1000 and stored_by_symbol == by_symbol
    by_date = sorted((d, m, s, size) for d, m, s, ok, size, *_ in by_symbol if ok)
    assert stored_by_date == by_date and {m for _, m, *_ in by_date} == {"um", "cm"}


def test_the_parquet_file_has_the_13_original_columns_in_order(released):
    table = pq.read_table(released.release_dir / "volume-rankings-timeseries.parquet")
    assert table.column_names == PARQUET_COLUMNS
    assert table.num_rows == len(expected_rankings(released.universe, TINY_START, TINY_END))
    metadata_ = pq.ParquetFile(released.release_dir / "volume-rankings-timeseries.parquet").metadata
    assert metadata_.row_group(0).column(0).compression == "SNAPPY"
    first = table.slice(0, 3).to_pylist()
    assert [r["rank"] for r in first] == [1, 2, 3] and first[0]["date"] == first[2]["date"]
    keys = [(r["date"], r["rank"], r["symbol"]) for r in table.to_pylist()]
    assert keys == sorted(keys)  # read from the release's table, stored in this order


def test_coin_m_rankings_have_their_own_parquet_file_with_the_notional_and_contract_sizes(
    released,
):
    table = pq.read_table(released.release_dir / "coin-m-volume-rankings-timeseries.parquet")
    assert table.column_names == [
        "notional_usd" if c == "quote_volume_usdt" else c for c in PARQUET_COLUMNS[:-1]
    ] + ["contract_size_usd", "contract_size_inferred", "generation_timestamp"]
    expected = expected_rankings(released.universe, TINY_START, TINY_END, "cm")
    got = {(r["date"], r["symbol"]): r for r in table.to_pylist()}
    assert len(got) == table.num_rows == len(expected) > 100
    for row in expected:
        stored = got[(row["date"], row["symbol"])]
        assert (stored["rank"], stored["trade_count"]) == (row["rank"], row["trade_count"])
        assert stored["notional_usd"] == pytest.approx(row["notional_usd"])
        assert stored["contract_size_usd"] == released.universe.contract_size(row["symbol"])
    keys = [(r["date"], r["rank"], r["symbol"]) for r in table.to_pylist()]
    assert keys == sorted(keys)


def test_stats_notes_and_summary_give_the_same_figures_under_the_same_names(capsys, released):
    stats = json.loads((released.release_dir / "stats.json").read_text())
    summary = as_json(capsys, released.release_dir, "summary")
    assert {name: stats[name] for name in summary} == summary  # one home: bfa query summary's
    assert stats["table_rows"] == counts(released.db_path)
    assert stats["latest_checked_date"] == "2022-10-08"
    assert stats["available_rows"] == 1030 and stats["availability_rows"] == 1181
    assert (stats["symbols_discovered"], stats["perpetual_symbols_discovered"]) == (14, 13)
    notes = (released.release_dir / "RELEASE_NOTES.md").read_text()
    assert "# bfa release 2022-10-08" in notes and "| available_rows | 1,030 |" in notes
    assert "| symbols_discovered | 14 |" in notes and "| symbols_with_files | 14 |" in notes
    assert (
        "| continuity | passed | 100 days checked, 2022-07-01 … 2022-10-08 (100 days), "
        "no gap |" in notes
    )
    assert (
        "| volume_coverage | FAILED (WARN) | 2 available days with a 1d file have no volume row |"
        in notes
    )
    assert (
        stats["checks"]["volume_coverage"] == "FAILED (WARN)"
        and stats["checks"]["ranking_sanity"] == "passed"
    )


def test_the_release_says_which_days_were_checked_and_that_it_is_partial(released):
    """tiny checks 2022-07-01..2022-10-08: everything before and after is unknown, and the
    release says so."""
    stats = json.loads((released.release_dir / "stats.json").read_text())
    newest = released.newest
    assert stats["complete"] is False and stats["checked_days"] == 100
    assert stats["history"] == ["2019-09-25", str(newest)]
    assert stats["checked_ranges"] == [["2022-07-01", "2022-10-08"]]
    assert stats["unchecked_ranges"] == [["2019-09-25", "2022-06-30"], ["2022-10-09", str(newest)]]
    notes = (released.release_dir / "RELEASE_NOTES.md").read_text()
    assert "checked on 100 days: 2022-07-01 … 2022-10-08 (100 days)" in notes
    assert (
        "**Partial history.** Not checked: 2019-09-25 … 2022-06-30 (1,010 days), "
        f"2022-10-09 … {newest} (" in notes
    )


def test_a_new_release_swaps_in_whole_and_a_failed_one_leaves_the_old(released, tmp_path):
    working = tmp_path / "copy.duckdb"
    working.write_bytes(released.db_path.read_bytes())
    target = tmp_path / "release"
    with duckdb.connect(str(working)) as conn:
        first = build_release(conn, target, datetime(2022, 10, 9, tzinfo=UTC))
        second = build_release(conn, target, datetime(2022, 10, 10, tzinfo=UTC))
        third = build_release(conn, target, datetime(2022, 10, 11, tzinfo=UTC))
        assert target.resolve() == third.path
        assert not first.path.exists() and second.path.exists()  # one previous release kept
        conn.execute("DROP TABLE volume_rankings")
        with pytest.raises(duckdb.Error):
            build_release(conn, target, datetime(2022, 10, 12, tzinfo=UTC))
    assert target.resolve() == third.path
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in third.path.parent.iterdir()) == sorted(
        [second.path.name, third.path.name]
    )


def test_the_release_is_published_to_github_when_configured(sim, tmp_path):
    token = "ghp_secret_for_tests_only"
    with serve_fake_github(token=token, repos={"acme/bfa"}) as github:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        resources["release"] = ReleaseResource(
            release_dir=str(tmp_path / "release"),
            github_repo="acme/bfa",
            github_token=token,
            github_api_url=github.api_url,
        )
        materialize(["futures_symbols"], resources)
        result = materialize(["release_artifact"], resources)
        newest = datetime.now(UTC).date() - timedelta(days=1)  # nothing checked: the newest day
        dated = github.release("acme/bfa", f"data-{newest}")
        release = github.release("acme/bfa", "latest")
        assert sorted(a.name for a in release.assets) == sorted(FILES)
        for asset in release.assets:
            assert asset.data == (tmp_path / "release" / asset.name).read_bytes()
        assert [(a.name, a.data) for a in dated.assets] == [
            (a.name, a.data) for a in release.assets
        ]
        types = {a.name: a.content_type for a in release.assets}
        assert (types["symbols-per-day.png"], types["symbols-per-day.svg"]) == (
            "image/png",
            "image/svg+xml",
        )
    meta = metadata(result, "release_artifact")
    assert meta["github_release"].startswith("https://github.example/")
    assert token not in json.dumps({k: str(v) for k, v in meta.items()})


# --- what the release refuses, and what it reports --------------------------------------------

DATA = ["daily_availability", "daily_volume", "volume_rankings"]


def test_a_history_with_a_hole_is_refused_unless_a_partial_release_is_asked_for(sim, tmp_path):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    materialize(["futures_symbols"], resources)
    materialize(DATA, resources, "2022-07-01", "2022-07-10")
    materialize(DATA, resources, "2022-08-01", "2022-08-10")
    refused = materialize(["release_artifact"], resources, raise_on_error=False)
    assert not refused.success and not (tmp_path / "release").exists()
    (failure,) = refused.get_step_failure_events()
    message = failure.event_specific_data.error.message
    assert "never checked: USD-M: 2022-07-11 … 2022-07-31 (21 days)" in message
    assert "; COIN-M: 2022-07-11 … 2022-07-31 (21 days); to fill the gap, back-fill " in message
    assert "volume_rankings with the run config `markets: [cm]`" in message
    assert "back-fill 2022-07-11 … 2022-07-31 (21 days) of daily_availability" in message
    assert "allow_partial: true" in message

    partial = {"ops": {"release_artifact": {"config": {"allow_partial": True}}}}
    materialize(["release_artifact"], resources, run_config=partial)
    stats = json.loads((tmp_path / "release" / "stats.json").read_text())
    assert stats["complete"] is False and stats["checked_days"] == 20
    assert stats["unchecked_ranges"][:3] == [
        ["2019-09-25", "2022-06-30"],
        ["2022-07-11", "2022-07-31"],
        ["2022-08-11", stats["history"][1]],
    ]
    notes = (tmp_path / "release" / "RELEASE_NOTES.md").read_text()
    assert "Not checked: 2019-09-25 … 2022-06-30 (1,010 days), 2022-07-11 … 2022-07-31" in notes


def test_the_notes_carry_the_checks_of_the_run_that_built_the_release(sim, tmp_path):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    materialize(["futures_symbols"], resources)
    window = ("2022-09-01", "2022-09-10")
    result = materialize([*DATA, "release_artifact"], resources, *window, checks=True)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    stats = json.loads((tmp_path / "release" / "stats.json").read_text())
    noted = {name for name in evaluations if name != "release_integrity"}
    skipped = "exchange_info_cross_check"  # compares 2022-10-07, which this run did not check
    assert set(stats["checks"]) == {*noted, skipped} and len(noted) == 7
    for name in noted:
        outcome = stats["checks"][name]
        assert outcome == (
            "passed" if evaluations[name].passed else f"FAILED ({evaluations[name].severity.value})"
        )
    assert stats["checks"][skipped] == "skipped"
    notes = (tmp_path / "release" / "RELEASE_NOTES.md").read_text()
    assert notes.count("| this run |") == 8
    assert (
        f"| {skipped} | skipped | no result: it could not look (the run's log says why) |" in notes
    )


def test_an_impossible_bar_stops_the_rankings_and_the_release_and_is_never_published(sim, tmp_path):
    db, window = tmp_path / "bfa.duckdb", ("2022-09-01", "2022-09-10")
    resources = pipeline_resources(sim, db)
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability", "daily_volume"], resources, *window)
    with duckdb.connect(str(db)) as conn:  # a bar no file could hold; its file is unchanged
        conn.execute("UPDATE daily_volume SET low_price = high_price + 1 WHERE date = '2022-09-05'")
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize(
            ["daily_volume", "volume_rankings", "release_artifact"],
            resources,
            *window,
            checks=True,
            raise_on_error=False,
            instance=instance,
        )
        assert not result.success
        done = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
        assert done == {"daily_volume"} and not (tmp_path / "release").exists()
        alone = materialize(
            ["release_artifact"], resources, raise_on_error=False, instance=instance
        )
    (failure,) = alone.get_step_failure_events()
    assert (
        "ERROR checks failed: volume_sanity: USD-M: 11 of 110 bars are impossible; "
        "COIN-M: 7 of 70 bars are impossible" in failure.event_specific_data.error.message
    )
    assert not (tmp_path / "release").exists()
