"""`bfa query`: every sub-command on a released database, as text and JSON, and its errors.

The release here checked every day of `tiny`; test_cli_coverage.py asks one with holes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bfa_assets.cli.main import main
from bfa_assets_tests.cli_run import as_json, bfa
from bfa_assets_tests.rankings_reference import expected_rankings

BFA = str(Path(sys.executable).parent / "bfa")


def test_snapshot_lists_the_symbols_available_that_day(capsys, released):
    day = date(2022, 9, 5)
    rows = as_json(capsys, released.release_dir, "snapshot", day.isoformat())
    truth = [r["symbol"] for r in released.universe.availability_truth(day, day) if r["available"]]
    assert [r["symbol"] for r in rows] == sorted(truth)
    ranks = {r["symbol"]: r["rank"] for r in expected_rankings(released.universe, day, day)}
    assert {r["symbol"]: r["rank"] for r in rows if r["rank"] is not None} == ranks
    reply = bfa(capsys, released.release_dir, "snapshot", day.isoformat())
    assert reply.code == 0 and reply.out.splitlines()[0].split() == [
        "symbol",
        "file_size_bytes",
        "quote_volume",
        "rank",
    ]
    assert f"({len(truth)} rows)" in reply.out


def test_timeline_shows_every_day_of_a_symbol(capsys, released):
    rows = as_json(capsys, released.release_dir, "timeline", "ETHUSDT")
    checked = [r for r in rows if r["checked"]]
    assert len(checked) == 100 and rows[0]["date"] == "2022-07-01" and rows[99] == checked[-1]
    assert [r["date"] for r in checked if not r["available"]] == ["2022-08-02"]
    after = rows[100:]  # to the release's newest day, none of them checked
    assert after[0]["date"] == "2022-10-09" and after[-1]["date"] == str(released.newest)
    assert {(r["checked"], r["available"]) for r in after} == {(False, None)}
    non_ascii = as_json(capsys, released.release_dir, "timeline", "我踏马来了USDT")
    assert non_ascii[0]["date"] == "2022-09-20"
    text = bfa(capsys, released.release_dir, "timeline", "ETHUSDT").out
    assert "\n2022-08-02  no\n" in text and "not checked" not in text.splitlines()[1]
    unchecked = len(after)
    assert f"\n2022-10-09 … {released.newest} ({unchecked:,} days): not checked\n" in text
    assert text.endswith(f"({100 + unchecked:,} days: 99 with a file, 1 without, "
                         f"{unchecked:,} not checked)\n")  # fmt: skip


def test_range_gives_first_and_last_day_per_symbol(capsys, released):
    answer = as_json(capsys, released.release_dir, "range", "2022-08-15", "2022-08-25")
    rows = {r["symbol"]: r for r in answer}
    assert (
        rows["SRMUSDT"]["last_available"] == "2022-08-20" and rows["SRMUSDT"]["days_available"] == 6
    )
    assert rows["龙虾USDT"]["first_available"] == "2022-08-15"
    assert "ICPUSDT_SETTLED" not in rows and "币安人生USDT" not in rows


def test_new_listings_and_delistings(capsys, released):
    assert [
        r["symbol"] for r in as_json(capsys, released.release_dir, "new-listings", "2022-09-01")
    ] == ["币安人生USDT"]
    srm = as_json(capsys, released.release_dir, "delistings", "2022-08-20")
    assert srm == {
        "date": "2022-08-20",
        "days_needed_after": 7,
        "delisted": [{"symbol": "SRMUSDT", "kind": "perpetual", "days_checked_after": 7}],
        "not_known_yet": [],
    }
    delivery = as_json(capsys, released.release_dir, "delistings", "2022-09-30")
    assert [r["symbol"] for r in delivery["delisted"]] == ["BTCUSDT_220930"]
    newest = as_json(capsys, released.release_dir, "delistings", "2022-10-08")
    assert newest["delisted"] == [] and {
        r["days_checked_after"] for r in newest["not_known_yet"]
    } == {0}
    assert "ETHUSDT" in {r["symbol"] for r in newest["not_known_yet"]}  # live, as far as we know


def test_top_lists_the_highest_ranks(capsys, released):
    day = date(2022, 9, 5)
    rows = as_json(capsys, released.release_dir, "top", day.isoformat(), "-n", "3")
    expected = sorted(
        expected_rankings(released.universe, day, day), key=lambda r: (r["rank"], r["symbol"])
    )
    assert [(r["rank"], r["symbol"]) for r in rows] == [
        (r["rank"], r["symbol"]) for r in expected[:3]
    ]


def test_a_negative_rank_change_means_the_symbol_moved_up_as_the_help_says(capsys, released):
    day = date(2022, 9, 5)
    before = {
        r["symbol"]: r["rank"]
        for r in expected_rankings(released.universe, day - timedelta(1), day - timedelta(1))
    }
    rows = as_json(capsys, released.release_dir, "top", day.isoformat(), "-n", "20")
    risers = [r for r in rows if r["rank"] < before.get(r["symbol"], 0)]
    assert risers and all(
        r["rank_change_1d"] == r["rank"] - before[r["symbol"]] < 0 for r in risers
    )
    text = bfa(capsys, released.release_dir, "top", day.isoformat(), "-n", "20").out
    riser = risers[0]
    line = next(line for line in text.splitlines() if f" {riser['symbol']} " in line)
    assert f" {riser['rank_change_1d']} " in f"{line} "  # printed with its minus sign
    with pytest.raises(SystemExit):
        main(["query", "top", "--help"])
    assert (
        "rank today minus rank N calendar days earlier: NEGATIVE = moved UP"
        in capsys.readouterr().out
    )


def test_summary_states_the_checked_and_unchecked_days(capsys, released):
    facts = as_json(capsys, released.release_dir, "summary")
    assert facts["history"] == ["2019-09-25", str(released.newest)]
    assert facts["latest_checked_date"] == "2022-10-08"
    assert (facts["checked_ranges"], facts["checked_days"]) == ([["2022-07-01", "2022-10-08"]], 100)
    assert facts["unchecked_ranges"] == [  # before the first checked day, and after the last
        ["2019-09-25", "2022-06-30"], ["2022-10-09", str(released.newest)]
    ]  # fmt: skip
    assert facts["complete"] is False
    assert (facts["symbols_discovered"], facts["symbols_checked"], facts["symbols_with_files"]) == (
        14, 14, 14
    )  # fmt: skip
    assert (facts["availability_rows"], facts["ranked_days"]) == (1181, 100)
    text = bfa(capsys, released.release_dir, "summary").out
    assert "latest_checked_date: 2022-10-08" in text
    assert "checked_ranges: 2022-07-01 … 2022-10-08 (100 days)" in text


def test_tables_print_readable_numbers_and_json_keeps_them_exact(capsys, released):
    day = "2022-09-05"
    rows = {r["symbol"]: r for r in as_json(capsys, released.release_dir, "snapshot", day)}
    text = bfa(capsys, released.release_dir, "snapshot", day).out
    btc = next(line for line in text.splitlines() if line.startswith("BTCUSDT "))
    volume, size = rows["BTCUSDT"]["quote_volume"], rows["BTCUSDT"]["file_size_bytes"]
    assert volume != round(volume)  # JSON: the stored float, not a rounded one
    assert btc.split() == [
        "BTCUSDT",
        f"{size:,}",
        f"{round(volume):,}",
        str(rows["BTCUSDT"]["rank"]),
    ]
    assert ".0 " not in text and "e+" not in text
    top = as_json(capsys, released.release_dir, "top", day, "-n", "3")
    top_text = bfa(capsys, released.release_dir, "top", day, "-n", "3").out.splitlines()
    shares = [line.split()[3] for line in top_text[1:-1]]  # small numbers keep their decimals
    assert shares == [str(r["market_share_pct"]) for r in top] and "." in shares[-1]
    wide = next(line for line in text.splitlines() if line.startswith("龙虾USDT"))
    # its file size starts two characters earlier: 龙 and 虾 take two columns each
    assert wide.index(" 1") == btc.index(" 1") - 2


def test_clear_errors(capsys, released, tmp_path):
    reply = bfa(capsys, released.release_dir, "timeline", "NOSUCHUSDT")
    assert reply.code == 1 and "unknown symbol 'NOSUCHUSDT'" in reply.err
    assert main(["query", "summary", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no database at" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["query", "snapshot", "2022-13-01"])
    assert (
        exit_.value.code == 2
        and "not a date: '2022-13-01' (use YYYY-MM-DD)" in capsys.readouterr().err
    )


def test_a_symbol_in_the_wrong_case_gets_a_hint(capsys, released):
    reply = bfa(capsys, released.release_dir, "timeline", "btcusdt")
    assert reply.code == 1 and reply.out == ""
    assert (
        "unknown symbol 'btcusdt' in USD-M; did you mean 'BTCUSDT'? (names are case-sensitive)"
        in reply.err
    )
    assert "did you mean 'ETHUSDT'" in bfa(capsys, released.release_dir, "timeline", "ETHUSTD").err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["range", "2022-08-31", "2022-08-01"], "start 2022-08-31 is after end 2022-08-01"),
        (["snapshot", "2019-09-24"], "2019-09-24 is before 2019-09-25, the first day of USD-M"),
        (["top", "2019-01-01"], "2019-01-01 is before 2019-09-25"),
        (["range", "2019-01-01", "2022-08-01"], "2019-01-01 is before 2019-09-25"),
        (["delistings", "2999-01-01"], "2999-01-01 is in the future (today is "),
    ],
)
def test_impossible_dates_are_usage_errors_not_empty_answers(capsys, released, args, message):
    with pytest.raises(SystemExit) as exit_:
        bfa(capsys, released.release_dir, *args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and f"usage: bfa query {args[0]}" in err


def test_the_working_database_is_refused_as_not_a_release(capsys, released):
    code = main(["query", "snapshot", "2022-09-05", "--db", str(released.db_path)])
    err = capsys.readouterr().err
    assert code == 1 and f"cannot answer from {released.db_path}: it is not a release" in err
    assert "not the working one" in err and "Catalog" not in err


def test_snapshot_reads_the_snapshot_file_beside_the_database_and_sql_without_one(
    capsys, released, tmp_path
):
    day = "2022-09-05"
    from_file = as_json(capsys, released.release_dir, "snapshot", day)
    alone = tmp_path / "availability.duckdb"
    alone.write_bytes((released.release_dir / "availability.duckdb").read_bytes())
    assert main(["query", "snapshot", day, "--db", str(alone), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_file and len(from_file) > 5
    (tmp_path / "available-by-date.arrow").write_bytes(b"damaged")
    assert main(["query", "snapshot", day, "--db", str(alone)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bfa: cannot read the snapshot file ") and "Traceback" not in err


def test_the_console_script_reads_the_release_named_by_the_environment(released):
    done = subprocess.run(
        [BFA, "query", "top", "2022-10-08", "-n", "1", "--json"],
        env={"BFA_RELEASE_DIR": str(released.release_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["rank"] == 1


def test_a_reader_that_stops_early_ends_the_command_quietly(released):
    """`bfa query … | head`: the reader has gone before the answer is written."""
    db = str(released.release_dir / "availability.duckdb")
    command = subprocess.Popen(
        [BFA, "query", "timeline", "ETHUSDT", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    command.stdout.close()  # long before the interpreter has started and imported DuckDB
    err = command.stderr.read().decode()
    assert command.wait(timeout=120) == 141 and err == ""


def test_the_sub_commands_import_only_what_they_need(released):
    """No Dagster and no data-frame library anywhere; DuckDB only for SQL answers, and there
    only its engine (store.engine), not the duckdb package's Python layer."""
    probe = (
        "import sys\nfrom bfa_assets.cli.main import main\nmain(sys.argv[1:])\n"
        "heavy = ('dagster', 'polars', 'pandas', 'numpy', 'duckdb', '_duckdb', 'pyarrow')\n"
        "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)"
    )
    db = str(released.release_dir / "availability.duckdb")

    def imported(*args: str) -> str:
        done = subprocess.run([sys.executable, "-c", probe, "query", *args, "--db", db],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stderr.strip()

    # pyarrow imports numpy itself when it is installed (matplotlib, for the release's picture,
    # brings it): the snapshot imports what `import pyarrow.ipc` does, nothing more
    floor = "import sys, pyarrow.ipc\n" + probe.split("\n", 3)[3]
    alone = subprocess.run(
        [sys.executable, "-c", floor], capture_output=True, text=True, timeout=120
    ).stderr.strip()
    assert "pyarrow" in alone and imported("snapshot", "2022-09-05") == alone
    assert imported("top", "2022-09-05") == "_duckdb"
    assert imported("timeline", "ETHUSDT", "--json") == "_duckdb"


@pytest.mark.parametrize(("args", "header"), [
    (["snapshot", "2022-09-05"], "symbol"), (["timeline", "ETHUSDT"], "date"),
    (["range", "2022-08-15", "2022-08-25"], "symbol"), (["new-listings", "2022-09-20"], "symbol"),
    (["top", "2022-09-05", "-n", "5"], "rank"),
])  # fmt: skip
def test_every_sub_command_prints_a_table_with_the_same_rows_as_its_json(
    capsys, released, args, header
):
    rows = as_json(capsys, released.release_dir, *args)
    reply = bfa(capsys, released.release_dir, *args)
    lines = reply.out.splitlines()
    assert reply.code == 0 and rows and lines[0].split()[0] == header
    days_not_checked = sum(1 for row in rows if row.get("checked") is False)  # timeline: 1 line
    assert lines[-1].startswith(f"({len(rows):,} ")
    assert len(lines) == len(rows) - days_not_checked + (days_not_checked > 0) + 2
    shown = [row for row in rows if row.get("checked") is not False]
    assert all(
        str(next(iter(row.values()))) in line for row, line in zip(shown, lines[1:], strict=False)
    )


def test_new_listings_of_a_day_after_the_latest_discovery_are_not_known_yet(capsys, released):
    today = datetime.now(UTC).date().isoformat()
    reply = bfa(capsys, released.release_dir, "new-listings", today, "--json")
    assert reply.code == 3 and reply.out == ""
    assert f"symbols first listed on {today} are not known yet: the latest discovery" in reply.err
