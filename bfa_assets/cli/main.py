"""The `bfa` command line: `bfa query …` over a released database, `bfa fetch` to download a
published one (release/fetch.py), `bfa freshness` to tell whether it is stale.

By default it reads the release copy (`$BFA_RELEASE_DIR/availability.duckdb`), opened
read-only, so queries work while a run holds the working database. `snapshot` reads the
release's snapshot file beside it when there is one.

A whole command should cost little more than importing what its sub-command needs
(docs/benchmarks.md): DuckDB's engine for the SQL answers (store.engine), pyarrow alone for a
snapshot from the snapshot file, and no data-frame library. So this module, and what the
snapshot path imports (cli.output, common.days, store.answers, store.coverage,
store.snapshot_file), import nothing the interpreter has not loaded anyway: no `pathlib`,
`typing` or `dataclasses`, each a few milliseconds.

Exit statuses: 0 an answer, 1 an error (no or bad database, unknown symbol, a failed fetch), 2
a usage error, 3 the release does not know (an unchecked day, or rows that cover only the
checked days of a range): the message on stderr says what would tell it; 4 (`bfa freshness`)
the release is stale.

Every sub-command answers for one market, `--market um` (USD-M) or `--market cm` (COIN-M);
without it, USD-M, so that the commands and answers of the time before COIN-M stay the same.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import namedtuple
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from bfa_assets.cli import output
from bfa_assets.common.days import HISTORY_START
from bfa_assets.common.markets import MARKETS, NAMES
from bfa_assets.common.settings import RELEASE_DIR
from bfa_assets.release.files import DATABASE, SNAPSHOT
from bfa_assets.store.answers import DELISTING_DAYS
from bfa_assets.store.coverage import NotKnown, PartlyChecked

OK, ERROR, USAGE, NOT_KNOWN, STALE = 0, 1, 2, 3, 4  # 2 is argparse's status for a usage error
MAX_AGE_HOURS, MAX_LAG_DAYS = 36, 2  # bfa freshness: when a daily release is stale


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def default_db() -> str:
    release_dir = os.environ.get("BFA_RELEASE_DIR", RELEASE_DIR)
    return os.path.join(release_dir, DATABASE)  # noqa: PTH118  (pathlib: see above)


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    if day < HISTORY_START:
        raise argparse.ArgumentTypeError(
            f"{day} is before {HISTORY_START}, the first day of USD-M futures data on Vision"
        )
    if day > (today := datetime.now(UTC).date()):
        raise argparse.ArgumentTypeError(f"{day} is in the future (today is {today} UTC)")
    return day


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


class Command(namedtuple("Command", ["help", "arguments", "query", "values", "columns"])):
    """A sub-command: its help, its arguments, the function of store.queries that answers it
    and the values it passes after the connection, and what its columns mean (for --help)."""

    __slots__ = ()
    help: str
    arguments: list[tuple[str, dict]]
    query: str
    values: Callable[[argparse.Namespace], tuple]
    columns: str


DAY = ("date", {"type": _date, "help": "a day, YYYY-MM-DD (UTC)"})
COMMANDS = {
    "snapshot": Command("symbols with a 1m file on a day", [DAY],
                        "snapshot", lambda a: (a.date,), output.SNAPSHOT_COLUMNS),
    "timeline": Command("every day of one symbol, unchecked days marked",
                        [("symbol", {"help": "exact name, e.g. BTCUSDT (case-sensitive)"})],
                        "timeline", lambda a: (a.symbol,), output.TIMELINE_COLUMNS),
    "range": Command("symbols with a file in a date range, and their first and last day there",
                     [("start", {"type": _date}), ("end", {"type": _date})],
                     "date_range", lambda a: (a.start, a.end), output.RANGE_COLUMNS),
    "new-listings": Command("symbols whose first 1m file on Vision is of a day", [DAY],
                            "new_listings", lambda a: (a.date,), output.LISTING_COLUMNS),
    "delistings": Command(f"symbols whose last file is of a day: delisted once the "
                          f"{DELISTING_DAYS} days after it were checked", [DAY],
                          "delistings", lambda a: (a.date,), output.DELISTING_COLUMNS),
    "top": Command("highest-volume perpetuals of a day (USD-M: USDT-quoted, by quote volume; "
                   "COIN-M: by USD notional)",
                   [DAY, ("-n", {"type": _positive, "default": 10, "help": "ranks (10)"})],
                   "top", lambda a: (a.date, a.n), output.TOP_COLUMNS),
    "summary": Command("dates, checked and unchecked days, symbols and rows", [],
                       "summary", lambda a: (), output.SUMMARY_FACTS),
    "datasets": Command("every dataset of one symbol: first and last day with a file, days "
                        "missing and not checked",
                        [("symbol", {"help": "exact name, e.g. BTCUSDT (case-sensitive)"})],
                        "dataset_queries.datasets", lambda a: (a.symbol,),
                        output.DATASETS_COLUMNS),
    "coverage": Command("which symbols have each dataset's file on a day",
                        [DAY, ("--dataset", {"help": "one dataset only, e.g. metrics"})],
                        "dataset_queries.coverage", lambda a: (a.date, a.dataset),
                        output.COVERAGE_COLUMNS),
    "gaps": Command("days missing inside each symbol's life in a dataset, and whole-dataset "
                    "incidents",
                    [("--dataset", {"required": True, "help": "the dataset, e.g. metrics"}),
                     ("--symbol", {"help": "one symbol (folder) only"})],
                    "dataset_queries.gaps", lambda a: (a.dataset, a.symbol),
                    output.GAPS_COLUMNS),
}  # fmt: skip


def _formatter(kind: type[argparse.HelpFormatter]) -> Callable[[str], argparse.HelpFormatter]:
    """argparse's help formatter `kind`, given the terminal's width: to find it itself,
    argparse imports shutil, a good part of a snapshot's whole cost."""

    def make(prog: str) -> argparse.HelpFormatter:
        return kind(prog, width=_terminal_width() - 2)  # what argparse leaves as a margin

    return make


def _terminal_width() -> int:
    """shutil.get_terminal_size's answer: $COLUMNS, else the terminal's, else 80."""
    if (columns := os.environ.get("COLUMNS", "")).isdigit():
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal
        return 80


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, one that knows that sub-command alone.

    Every ArgumentParser looks for translations of its messages on disk (gettext), so
    building all seven sub-commands to parse one was a good part of a snapshot's time.
    """
    root = argparse.ArgumentParser(
        prog="bfa",
        description="Binance futures availability on Binance Vision: USD-M and COIN-M.",
        formatter_class=_formatter(argparse.HelpFormatter),
    )
    commands = root.add_subparsers(dest="command", required=True)
    query = commands.add_parser(
        "query",
        help="ask the released database",
        description="Ask the released database. A day is checked when every known symbol's "
        "files were listed for it. Exit status: 0 an answer, 1 an error, 2 a usage error, "
        "3 the release does not know (a day it did not check; the message says how to fill "
        "the gap). Each answer is about one market: --market um (USD-M) or cm (COIN-M); "
        "without --market, USD-M, as before COIN-M was added. A day is checked for one market "
        "at a time: a day checked for USD-M only is not checked for COIN-M.",
        formatter_class=_formatter(argparse.HelpFormatter),
    )
    kinds = query.add_subparsers(dest="query", required=True)
    for name, command in COMMANDS.items():
        if only in (None, name):
            _add_command(kinds, name, command)
    if only is None:
        _add_fetch(commands)
        _add_freshness(commands)
    return root


def _add_freshness(commands: argparse._SubParsersAction) -> None:
    fresh = commands.add_parser(
        "freshness",
        help="fail when the release is older than it should be (for cron or monitoring)",
        description="Say how old the release is: when it was made, and each market's newest "
        "checked day. Exit status 0 when it is fresh, 4 when it is stale (made more than "
        "--max-age hours ago, or a market's newest checked day more than --max-lag days "
        "before today, UTC), 1 when there is no release to judge. A stopped daemon or sensor "
        "cannot report itself: run this from outside (cron, a monitoring system).",
        formatter_class=_formatter(argparse.HelpFormatter),
    )
    fresh.add_argument("--db", help=f"release database (default: $BFA_RELEASE_DIR/{DATABASE})")
    fresh.add_argument(
        "--max-age",
        type=_positive,
        default=MAX_AGE_HOURS,
        help=f"hours since the release was made (default {MAX_AGE_HOURS}: a daily release "
        "with half a day of slack)",
    )
    fresh.add_argument(
        "--max-lag",
        type=_positive,
        default=MAX_LAG_DAYS,
        help=f"days from a market's newest checked day to today (default {MAX_LAG_DAYS}: "
        "yesterday's files may not be on Vision yet)",
    )
    fresh.add_argument("--json", action="store_true", help="print JSON instead of lines")


def _add_fetch(commands: argparse._SubParsersAction) -> None:
    fetch = commands.add_parser(
        "fetch",
        help="download a published release, verify it, and put it where bfa query reads",
        description="Download the latest release (or the one of --date) from GitHub, verify "
        "every file against its SHA256SUMS, and swap it in atomically: files unchanged since "
        "the current release are not downloaded again, an interrupted download resumes. On "
        "any failure the current release stays as it was (exit status 1). GITHUB_TOKEN, when "
        "set, is sent to GitHub's API (more requests an hour); BFA_GITHUB_API_URL points "
        "elsewhere (GitHub Enterprise).",
        formatter_class=_formatter(argparse.HelpFormatter),
    )
    fetch.add_argument(
        "--repo",
        default=os.environ.get("BFA_GITHUB_REPO"),
        help="the repository that publishes the releases, OWNER/NAME (default: $BFA_GITHUB_REPO)",
    )
    fetch.add_argument(
        "--date", type=_date, help="the data date of the release (default: the latest release)"
    )
    fetch.add_argument("--dir", help="where to put it (default: $BFA_RELEASE_DIR)")


def _add_command(kinds: argparse._SubParsersAction, name: str, command: Command) -> None:
    sub = kinds.add_parser(
        name,
        help=command.help,
        description=command.help[0].upper() + command.help[1:] + ".",
        epilog=command.columns,
        formatter_class=_formatter(argparse.RawDescriptionHelpFormatter),
    )
    for argument, options in command.arguments:
        sub.add_argument(argument, **options)
    sub.add_argument(
        "--db",
        default=None,
        help=f"release database to read (default: $BFA_RELEASE_DIR/{DATABASE})",
    )
    sub.add_argument(
        "--market",
        choices=MARKETS,
        default="um",
        help=f"the market to answer for: {', '.join(f'{m} ({n})' for m, n in NAMES.items())}; "
        "default um, as before COIN-M",
    )
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.set_defaults(sub_parser=sub)  # for errors that print the sub-command's usage


def answer(args: argparse.Namespace) -> object:
    """The sub-command's answer, from the snapshot file or the database."""
    db = args.db or default_db()
    if not os.path.isfile(db):  # noqa: PTH113
        raise CliError(
            f"no database at {db}: materialize release_artifact first, or pass --db PATH"
        )
    snapshots = os.path.join(os.path.dirname(db), SNAPSHOT)  # noqa: PTH118, PTH120
    if args.query == "snapshot" and os.path.isfile(snapshots):  # noqa: PTH113
        return _from_snapshot_file(snapshots, args.date, args.market)
    return _from_database(db, COMMANDS[args.query], args)


def _from_snapshot_file(path: str, day: date, market: str) -> object:
    # imported here: only this answer needs pyarrow
    from bfa_assets.store.snapshot_file import SnapshotFile, SnapshotFileError

    try:
        return SnapshotFile(path).rows(day, market)
    except SnapshotFileError as error:
        raise CliError(str(error)) from None


def _from_database(db: str, command: Command, args: argparse.Namespace) -> object:
    # imported here: DuckDB is most of a SQL answer's cost, and the snapshot file's needs none
    from bfa_assets.store import dataset_queries, queries
    from bfa_assets.store.engine import duckdb

    module, _, function = command.query.rpartition(".")
    answer_of = getattr(dataset_queries if module else queries, function)
    try:
        with duckdb.connect(db, read_only=True) as conn:
            queries.check_release(conn)
            return answer_of(conn, *command.values(args), market=args.market)
    except queries.NotARelease as error:
        raise CliError(f"cannot answer from {db}: {error}") from None
    except (
        queries.UnknownSymbol,
        dataset_queries.UnknownDataset,
        dataset_queries.NoSuchFolder,
    ) as error:
        raise CliError(str(error)) from None
    except duckdb.Error as error:
        raise CliError(f"cannot read {db}: {error}") from None


def partial_note(result: object, market: str = "um") -> str | None:
    """For rows that cover only some of the asked days: which days they could not see."""
    holes = getattr(result, "unchecked", None)
    return str(PartlyChecked(holes, market)) if holes else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    named = argv[1] if argv[:1] == ["query"] and len(argv) > 1 else None
    args = parser(named if named in COMMANDS else None).parse_args(argv)
    if args.command == "fetch":
        return fetch_release(args)
    if args.command == "freshness":
        return judge_freshness(args)
    if args.query == "range" and args.start > args.end:
        args.sub_parser.error(f"start {args.start} is after end {args.end}")
    try:
        result = answer(args)
    except CliError as error:
        return _fail(str(error), ERROR)
    except NotKnown as error:
        return _fail(str(error), NOT_KNOWN)
    status = _write(output.render(result, args.json))
    note = partial_note(result, args.market)
    return _fail(note, NOT_KNOWN) if note and status == OK else status


def fetch_release(args: argparse.Namespace) -> int:
    # imported here: a query needs none of it
    from pathlib import Path

    from bfa_assets.release.fetch import API_URL, FetchError, fetch, terminal_progress

    if not args.repo:
        return _fail("which repository? --repo OWNER/NAME (or set BFA_GITHUB_REPO)", USAGE)
    release_dir = Path(args.dir or os.environ.get("BFA_RELEASE_DIR", RELEASE_DIR))
    try:
        done = fetch(
            args.repo,
            release_dir,
            args.date,
            api_url=os.environ.get("BFA_GITHUB_API_URL", API_URL),
            token=os.environ.get("GITHUB_TOKEN"),
            progress=terminal_progress(),
        )
    except FetchError as error:
        return _fail(f"{error} (the release at {release_dir} is unchanged)", ERROR)
    return _write(
        f"fetched {done.tag} of {args.repo} into {release_dir}: {len(done.downloaded)} files "
        f"downloaded ({done.bytes_downloaded / 2**20:,.1f} MiB), {len(done.unchanged)} unchanged"
    )


def judge_freshness(args: argparse.Namespace) -> int:
    import json

    from bfa_assets.store import queries
    from bfa_assets.store.engine import duckdb

    db = args.db or default_db()
    if not os.path.isfile(db):  # noqa: PTH113
        return _fail(f"no release at {db}: nothing to judge (stale, or never fetched)", ERROR)
    try:
        with duckdb.connect(db, read_only=True) as conn:
            queries.check_release(conn)
            made, newest = queries.freshness(conn)
    except (queries.NotARelease, duckdb.Error) as error:
        return _fail(f"cannot read {db}: {error}", ERROR)
    now = datetime.now(UTC).replace(tzinfo=None)
    hours = (now - made).total_seconds() / 3600
    stale = []
    if hours > args.max_age:
        stale.append(f"made {hours:,.0f} h ago, more than {args.max_age} h")
    lags = {m: None if d is None else (now.date() - d).days for m, d in newest.items()}
    for market, lag in lags.items():
        if lag is None or lag > args.max_lag:
            behind = "never checked" if lag is None else f"{lag} days behind today"
            stale.append(f"{NAMES[market]}'s newest checked day is {behind}")
    facts = {
        "fresh": not stale,
        "generated_at": f"{made:%Y-%m-%d %H:%M:%S} UTC",
        "hours_old": round(hours, 1),
        "newest_checked": {m: None if d is None else d.isoformat() for m, d in newest.items()},
        "days_behind": lags,
        "stale_because": stale,
    }
    if args.json:
        _write(json.dumps(facts, indent=2))
    else:
        days = ", ".join(f"{NAMES[m]} {d or 'none'}" for m, d in newest.items())
        verdict = "fresh" if not stale else "STALE: " + "; ".join(stale)
        _write(f"{verdict} (release made {facts['generated_at']}; newest checked days: {days})")
    return STALE if stale else OK


def _fail(message: str, status: int) -> int:
    print(f"bfa: {message}", file=sys.stderr)
    return status


def _write(text: str) -> int:
    """Print the answer; a reader that stops early (`… | head`) ends it quietly."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's advice for SIGPIPE: point stdout at devnull, so that the flush at exit
        # does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # as a process ended by SIGPIPE, like other Unix tools
    return OK


if __name__ == "__main__":
    sys.exit(main())
