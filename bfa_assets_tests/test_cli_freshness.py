"""`bfa freshness`: the outside check of a release's age, for cron or a monitoring system (a
stopped daemon cannot report itself). Exit 0 fresh, 4 stale, 1 nothing to judge."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import duckdb

from bfa_assets.cli.main import main

FAR = "100000"  # days: a tiny release's newest checked day (2022-10-08) is years behind


def freshness(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["freshness", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_release_whose_newest_checked_day_is_behind_is_stale_and_says_why(released, capsys):
    db = str(released.release_dir / "availability.duckdb")
    code, out, _ = freshness(capsys, "--db", db)
    days = (datetime.now(UTC).date() - released.windows[0][1]).days
    assert code == 4
    assert out.startswith(f"STALE: USD-M's newest checked day is {days} days behind today; "
                          f"COIN-M's newest checked day is {days} days behind today")  # fmt: skip
    assert "newest checked days: USD-M 2022-10-08, COIN-M 2022-10-08" in out


def test_a_release_made_recently_with_recent_days_is_fresh(released, capsys):
    db = str(released.release_dir / "availability.duckdb")
    code, out, _ = freshness(capsys, "--db", db, "--max-lag", FAR, "--json")
    facts = json.loads(out)
    assert code == 0 and facts["fresh"] and facts["stale_because"] == []
    assert facts["newest_checked"] == {"um": "2022-10-08", "cm": "2022-10-08"}
    assert 0 <= facts["hours_old"] < 24


def test_a_release_made_too_long_ago_is_stale(released, capsys, tmp_path):
    db = tmp_path / "availability.duckdb"
    shutil.copyfile(released.release_dir / "availability.duckdb", db)
    made = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=50)
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE release_info SET generated_at = ?", [made])
    code, out, _ = freshness(capsys, "--db", str(db), "--max-lag", FAR)
    assert code == 4 and out.startswith("STALE: made 50 h ago, more than 36 h")
    assert freshness(capsys, "--db", str(db), "--max-lag", FAR, "--max-age", "60")[0] == 0


def test_without_a_release_there_is_nothing_to_judge(capsys, tmp_path):
    code, _, err = freshness(capsys, "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and "nothing to judge" in err
