"""The `bfa` command line: `bfa query …` over a released database.

By default it reads the release copy (`$BFA_RELEASE_DIR/availability.duckdb`), opened
read-only, so queries work while a run holds the working database. `snapshot` reads the
release's snapshot file beside it when there is one.

A whole command should cost little more than importing what its sub-command needs
(docs/benchmarks.md): DuckDB's engine for the SQL answers (store.engine), pyarrow alone for a
snapshot from the snapshot file, and no data-frame library. So this module, and what the
snapshot path imports (cli.output, common.days, store.answers, store.coverage,
store.snapshot_file), import nothing the interpreter has not loaded anyway: no `pathlib`,
`typing` or `dataclasses`, each a few milliseconds.

Exit statuses: 0 an answer, 1 an error (no or bad database, unknown symbol), 2 a usage error,
3 the release does not know (an unchecked day, or rows that cover only the checked days of a
range): the message on stderr says what would tell it.

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
from bfa_assets.store.coverage import NotKnown, refill_hint, span

OK, ERROR, NOT_KNOWN = 0, 1, 3  # and 2, argparse's status for a usage error


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
    return root


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
    if not holes:
        return None
    return (
        f"not checked for {NAMES[market]}: {', '.join(span(*hole) for hole in holes)}; the rows "
        f"cover only the checked days; {refill_hint(holes, market)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    named = argv[1] if argv[:1] == ["query"] and len(argv) > 1 else None
    args = parser(named if named in COMMANDS else None).parse_args(argv)
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
