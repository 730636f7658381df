"""`bfa query`: every sub-command on a released database, as text and JSON, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bfa_assets.cli import main
from bfa_assets_tests.rankings_reference import expected_rankings


def bfa(capsys, released, *args: str) -> tuple[int, str, str]:
    code = main(["query", *args, "--db", str(released.release_dir / "availability.duckdb")])
    out = capsys.readouterr()
    return code, out.out, out.err


def as_json(capsys, released, *args: str):
    code, out, err = bfa(capsys, released, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_snapshot_lists_the_symbols_available_that_day(capsys, released):
    day = date(2022, 9, 5)
    rows = as_json(capsys, released, "snapshot", day.isoformat())
    truth = [r["symbol"] for r in released.universe.availability_truth(day, day) if r["available"]]
    assert [r["symbol"] for r in rows] == sorted(truth)
    ranks = {r["symbol"]: r["rank"] for r in expected_rankings(released.universe, day, day)}
    assert {r["symbol"]: r["rank"] for r in rows if r["rank"] is not None} == ranks
    code, text, _ = bfa(capsys, released, "snapshot", day.isoformat())
    assert code == 0 and text.splitlines()[0].split() == [
        "symbol",
        "file_size_bytes",
        "quote_volume",
        "rank",
    ]
    assert f"({len(truth)} rows)" in text


def test_timeline_shows_every_day_of_a_symbol(capsys, released):
    rows = as_json(capsys, released, "timeline", "ETHUSDT")
    assert len(rows) == 100 and rows[0]["date"] == "2022-07-01"
    assert [r["date"] for r in rows if not r["available"]] == ["2022-08-02"]
    non_ascii = as_json(capsys, released, "timeline", "我踏马来了USDT")
    assert non_ascii[0]["date"] == "2022-09-20"


def test_range_gives_first_and_last_day_per_symbol(capsys, released):
    rows = {r["symbol"]: r for r in as_json(capsys, released, "range", "2022-08-15", "2022-08-25")}
    assert (
        rows["SRMUSDT"]["last_available"] == "2022-08-20" and rows["SRMUSDT"]["days_available"] == 6
    )
    assert rows["龙虾USDT"]["first_available"] == "2022-08-15"
    assert "ICPUSDT_SETTLED" not in rows and "币安人生USDT" not in rows


def test_new_listings_and_delistings(capsys, released):
    assert [r["symbol"] for r in as_json(capsys, released, "new-listings", "2022-09-01")] == [
        "币安人生USDT"
    ]
    assert [r["symbol"] for r in as_json(capsys, released, "delistings", "2022-08-20")] == [
        "SRMUSDT"
    ]
    assert [r["symbol"] for r in as_json(capsys, released, "delistings", "2022-09-30")] == [
        "BTCUSDT_220930"
    ]
    assert as_json(capsys, released, "delistings", "2022-10-08") == []  # the newest day: still live


def test_top_lists_the_highest_ranks(capsys, released):
    day = date(2022, 9, 5)
    rows = as_json(capsys, released, "top", day.isoformat(), "-n", "3")
    expected = sorted(
        expected_rankings(released.universe, day, day), key=lambda r: (r["rank"], r["symbol"])
    )
    assert [(r["rank"], r["symbol"]) for r in rows] == [
        (r["rank"], r["symbol"]) for r in expected[:3]
    ]


def test_summary(capsys, released):
    facts = as_json(capsys, released, "summary")
    assert facts["first_date"] == "2022-07-01" and facts["latest_date"] == "2022-10-08"
    assert (facts["symbols"], facts["availability_rows"], facts["ranked_days"]) == (14, 1181, 100)
    _, text, _ = bfa(capsys, released, "summary")
    assert "latest_date: 2022-10-08" in text


def test_clear_errors(capsys, released, tmp_path):
    code, _, err = bfa(capsys, released, "timeline", "NOSUCHUSDT")
    assert code == 1 and "unknown symbol 'NOSUCHUSDT'" in err
    assert main(["query", "summary", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no database at" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["query", "snapshot", "2022-13-01"])
    assert (
        exit_.value.code == 2
        and "not a date: '2022-13-01' (use YYYY-MM-DD)" in capsys.readouterr().err
    )


def test_snapshot_reads_the_snapshot_file_beside_the_database_and_sql_without_one(
    capsys, released, tmp_path
):
    day = "2022-09-05"
    from_file = as_json(capsys, released, "snapshot", day)
    alone = tmp_path / "availability.duckdb"
    alone.write_bytes((released.release_dir / "availability.duckdb").read_bytes())
    assert main(["query", "snapshot", day, "--db", str(alone), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_file and len(from_file) > 5
    (tmp_path / "available-by-date.arrow").write_bytes(b"damaged")
    assert main(["query", "snapshot", day, "--db", str(alone)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bfa: cannot read the snapshot file ") and "Traceback" not in err


def test_the_console_script_reads_the_release_named_by_the_environment(released):
    script = Path(sys.executable).parent / "bfa"
    done = subprocess.run(
        [str(script), "query", "top", "2022-10-08", "-n", "1", "--json"],
        env={"BFA_RELEASE_DIR": str(released.release_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["rank"] == 1


@pytest.mark.parametrize(("args", "header"), [
    (["snapshot", "2022-09-05"], "symbol"), (["timeline", "ETHUSDT"], "date"),
    (["range", "2022-08-15", "2022-08-25"], "symbol"), (["new-listings", "2022-09-20"], "symbol"),
    (["delistings", "2022-07-31"], "symbol"), (["top", "2022-09-05", "-n", "5"], "rank"),
])  # fmt: skip
def test_every_sub_command_prints_a_table_with_the_same_rows_as_its_json(
    capsys, released, args, header
):
    rows = as_json(capsys, released, *args)
    code, text, _ = bfa(capsys, released, *args)
    lines = text.splitlines()
    assert code == 0 and rows and lines[0].split()[0] == header
    assert lines[-1] == f"({len(rows)} rows)" and len(lines) == len(rows) + 2
    assert all(
        str(next(iter(row.values()))) in line for row, line in zip(rows, lines[1:], strict=False)
    )
