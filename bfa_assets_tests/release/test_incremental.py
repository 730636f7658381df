"""An incremental release: built from the previous one, and the same as a whole build.

The data come from the real assets over the simulator (so the change log is written by the
real window writers); each release is compared with a release built whole from the same
working database, table by table, in the order `bfa query` reads, file by file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from bfa_assets.release.build import build_release
from bfa_assets.release.layout import LAYOUT
from bfa_assets.store.schema import MIGRATIONS
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, metadata
from bfa_assets_tests.release.equivalence import assert_same_release
from bfa_assets_tests.vision_sim.scenarios import TINY_NOW

VERSION = len(MIGRATIONS)  # the working database's schema version

DATA = ["daily_availability", "daily_volume", "volume_rankings"]
ON_OCT_4 = datetime(2022, 10, 4, 10, 0, tzinfo=UTC)  # before BTCUSDT's 2022-10-01 re-upload


def build(stats_of: Path) -> dict:
    return json.loads((stats_of / "stats.json").read_text())["build"]


def whole_build(db: Path, folder: Path) -> Path:
    with duckdb.connect(str(db)) as conn:
        build_release(conn, folder, datetime.now(UTC), full=True)
    return folder


def release(db: Path, folder: Path, **options: object) -> dict:
    with duckdb.connect(str(db)) as conn:
        built = build_release(conn, folder, datetime.now(UTC), **options)
    return built.stats["build"]


def only(symbols: list[str]) -> dict:
    config = {"config": {"symbols": symbols}}
    return {"ops": {"daily_availability": config, "daily_volume": config}}


def bar(folder: Path, symbol: str, day: str) -> tuple:
    with duckdb.connect(str(folder / "availability.duckdb"), read_only=True) as conn:
        return conn.execute(
            "SELECT close_price, quote_volume, source_key FROM daily_volume "
            "WHERE symbol = ? AND date = ?",
            [symbol, day],
        ).fetchall()[0]


@pytest.fixture
def history(sim, tiny, tmp_path) -> dict:
    """2022-07-01..2022-10-03 loaded on 2022-10-04 and released (the first release: whole)."""
    tiny.set_now(ON_OCT_4)
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    materialize(["futures_symbols"], resources)
    materialize(DATA, resources, "2022-07-01", "2022-10-03")
    materialize(["release_artifact"], resources)
    return resources


def test_the_first_release_is_built_whole(history, tmp_path):
    first = build(tmp_path / "release")
    assert (first["kind"], first["reason"]) == ("full", "there is no previous release")
    assert first["changes_through"]["seq"] == 4  # the log's first row, one per dated asset
    assert_same_release(tmp_path / "release", whole_build(tmp_path / "bfa.duckdb", tmp_path / "w"))


def test_after_two_runs_one_of_them_restricted_the_release_rebuilds_from_their_first_day(
    history, tiny, tmp_path
):
    """Two runs between releases, the first for BTCUSDT only; a re-uploaded file among them."""
    before = bar(tmp_path / "release", "BTCUSDT", "2022-10-01")
    tiny.set_now(TINY_NOW)  # BTCUSDT's 2022-10-01 files were re-uploaded on 2022-10-05
    materialize(DATA, history, "2022-09-20", "2022-10-08", run_config=only(["BTCUSDT"]))
    materialize(DATA, history, "2022-10-04", "2022-10-08")
    materialize(["release_artifact"], history)
    second = build(tmp_path / "release")
    assert second["kind"] == "incremental"
    assert second["rebuilt_from"] == "2022-09-20"
    assert second["reason"] == "the rows from 2022-09-20 on rebuilt (6 writes since it)"
    assert bar(tmp_path / "release", "BTCUSDT", "2022-10-01") != before  # the re-upload is in
    notes = (tmp_path / "release" / "RELEASE_NOTES.md").read_text()
    assert "Built from the previous release: the rows from 2022-09-20 on rebuilt" in notes
    assert_same_release(tmp_path / "release", whole_build(tmp_path / "bfa.duckdb", tmp_path / "w"))


def test_volume_of_days_no_longer_available_is_gone_from_the_incremental_release_too(
    history, tiny, tmp_path
):
    db, folder = tmp_path / "bfa.duckdb", tmp_path / "release"
    tiny.set_now(TINY_NOW)
    materialize(DATA, history, "2022-09-20", "2022-10-08")
    release(db, folder)
    tiny.set_now(datetime(2022, 10, 7, 0, 0, tzinfo=UTC))  # 2022-10-06.. not published then
    materialize(DATA, history, "2022-09-20", "2022-10-08")
    with duckdb.connect(str(folder / "availability.duckdb"), read_only=True) as conn:
        before = conn.execute("SELECT count(*) FROM daily_volume WHERE date >= '2022-10-06'")
        assert before.fetchall()[0][0] > 20
    assert release(db, folder)["kind"] == "incremental"
    with duckdb.connect(str(folder / "availability.duckdb"), read_only=True) as conn:
        after = conn.execute("SELECT count(*) FROM daily_volume WHERE date >= '2022-10-06'")
        assert after.fetchall()[0][0] == 0
    assert_same_release(folder, whole_build(db, tmp_path / "w"))


def test_a_release_with_nothing_written_since_rebuilds_no_dated_row(history, tmp_path):
    db, folder = tmp_path / "bfa.duckdb", tmp_path / "release"
    built = release(db, folder)
    assert (built["kind"], built["rebuilt_from"]) == ("incremental", None)
    assert built["reason"] == "no dated row changed (0 writes since it)"
    assert_same_release(folder, whole_build(db, tmp_path / "w"))


def _damage_database(folder: Path, db: Path) -> None:
    path = folder.resolve() / "availability.duckdb"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_stats(change):
    def edit(folder: Path, db: Path) -> None:
        path = folder.resolve() / "stats.json"
        stats = json.loads(path.read_text())
        change(stats)
        path.write_text(json.dumps(stats))

    return edit


def _diverged_copy(folder: Path, db: Path) -> None:
    """The release was made from a copy of the working database that has since moved on."""
    copy = db.with_name("copy.duckdb")
    copy.write_bytes(db.read_bytes())
    with duckdb.connect(str(copy)) as conn:
        conn.execute(
            "INSERT INTO change_log SELECT max(seq) + 1, uuid(), 'volume_rankings', "
            "DATE '2022-10-03', DATE '2022-10-03', NULL, now(), NULL FROM change_log"
        )
        build_release(conn, folder, datetime.now(UTC))


def _edited_outside_the_pipeline(folder: Path, db: Path) -> None:
    """A row deleted by hand: the change log cannot know; the row counts do."""
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM daily_volume WHERE date = '2022-08-01' AND symbol = 'BTCUSDT'")


def _removed(folder: Path, db: Path) -> None:
    folder.unlink()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_removed, "there is no previous release"),
        (_damage_database, "the previous release's database does not match its SHA256SUMS"),
        (
            _edit_stats(lambda s: s.pop("build")),
            "the previous release does not say which changes it includes",
        ),
        (
            _edit_stats(lambda s: s["build"].update(layout=1)),
            f"the previous release has layout 1 and schema version {VERSION}, "
            f"this one {LAYOUT} and {VERSION}",
        ),
        (_diverged_copy, "the previous release was made from another working database"),
        (
            _edited_outside_the_pipeline,
            "the updated copy's row counts differed from the working "
            "database's (daily_volume: 1680 not 1679)",  # both markets,
        ),
    ],
)
def test_the_release_is_built_whole_when_the_previous_one_cannot_be_trusted(
    history, tmp_path, spoil, reason
):
    db, folder = tmp_path / "bfa.duckdb", tmp_path / "release"
    spoil(folder, db)
    built = release(db, folder)
    assert built["kind"] == "full" and built["reason"].startswith(reason)
    assert_same_release(folder, whole_build(db, tmp_path / "w"))


def test_a_whole_build_can_be_asked_for_in_the_run_config(history, tmp_path):
    """After an edit of the working database by hand, which its change log cannot know of."""
    full = {"ops": {"release_artifact": {"config": {"full": True}}}}
    result = materialize(["release_artifact"], history, run_config=full)
    built = build(tmp_path / "release")
    assert (built["kind"], built["reason"]) == ("full", "a full build was asked for")
    meta = metadata(result, "release_artifact")
    assert (meta["build"], meta["build_reason"]) == ("full", "a full build was asked for")
    assert set(meta["step_seconds"]) == {"database", "gzip", "pictures", "snapshot file",
                                         "parquet", "stats, notes and sums"}  # fmt: skip
