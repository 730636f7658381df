"""The `bfa` command line: `bfa query …` over a released database.

By default it reads the release copy (`$BFA_RELEASE_DIR/availability.duckdb`), opened
read-only, so queries work while a run holds the working database. `snapshot` reads the
release's snapshot file beside it when there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from bfa_assets.store import queries
from bfa_assets.store.snapshot_file import SNAPSHOT_FILE, SnapshotFile, SnapshotFileError

DEFAULT_RELEASE_DIR = "data/release"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def default_db() -> Path:
    return Path(os.environ.get("BFA_RELEASE_DIR", DEFAULT_RELEASE_DIR)) / "availability.duckdb"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


@dataclass(frozen=True)
class Command:
    help: str
    arguments: list[tuple[str, dict]]
    answer: Callable[[duckdb.DuckDBPyConnection, argparse.Namespace], pl.DataFrame | dict]


def _snapshots_beside(db: Path) -> SnapshotFile | None:
    path = db.with_name(SNAPSHOT_FILE)
    return SnapshotFile(path) if path.is_file() else None


DAY = ("date", {"type": _date})
COMMANDS = {
    "snapshot": Command("symbols available on a day", [DAY],
                        lambda c, a: queries.snapshot(c, a.date, _snapshots_beside(a.db))),
    "timeline": Command("every day of one symbol", [("symbol", {})],
                        lambda c, a: queries.timeline(c, a.symbol)),
    "range": Command("symbols available in a date range",
                     [("start", {"type": _date}), ("end", {"type": _date})],
                     lambda c, a: queries.date_range(c, a.start, a.end)),
    "new-listings": Command("symbols whose first file is of a day", [DAY],
                            lambda c, a: queries.new_listings(c, a.date)),
    "delistings": Command("symbols whose last file is of a day", [DAY],
                          lambda c, a: queries.delistings(c, a.date)),
    "top": Command("highest-volume USDT perpetuals of a day",
                   [DAY, ("-n", {"type": _positive, "default": 10})],
                   lambda c, a: queries.top(c, a.date, a.n)),
    "summary": Command("dates, symbols and rows in the database", [],
                       lambda c, a: queries.summary(c)),
}  # fmt: skip


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database to read (default: $BFA_RELEASE_DIR/availability.duckdb)",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    root = argparse.ArgumentParser(prog="bfa", description="Binance USD-M futures availability.")
    commands = root.add_subparsers(dest="command", required=True)
    query = commands.add_parser("query", help="ask the released database")
    kinds = query.add_subparsers(dest="query", required=True)
    for name, command in COMMANDS.items():
        sub = kinds.add_parser(name, help=command.help, parents=[common])
        for argument, options in command.arguments:
            sub.add_argument(argument, **options)
    return root


def run(args: argparse.Namespace) -> str:
    db = args.db = args.db or default_db()
    if not db.is_file():
        raise CliError(
            f"no database at {db}: materialize release_artifact first, or pass --db PATH"
        )
    try:
        with duckdb.connect(str(db), read_only=True) as conn:
            result = COMMANDS[args.query].answer(conn, args)
    except queries.UnknownSymbol as error:
        raise CliError(f"unknown symbol {error.args[0]!r}") from None
    except duckdb.Error as error:
        raise CliError(f"cannot read {db}: {error}") from None
    except SnapshotFileError as error:
        raise CliError(str(error)) from None
    return render(result, args.json)


def render(result: pl.DataFrame | dict, as_json: bool) -> str:
    if isinstance(result, dict):
        if as_json:
            return json.dumps(result, default=str, indent=2, ensure_ascii=False)
        return "\n".join(f"{key}: {value}" for key, value in result.items())
    if as_json:
        return json.dumps(result.to_dicts(), default=str, ensure_ascii=False)
    if result.is_empty():
        return "(no rows)"
    cells = [result.columns, *([_cell(v) for v in row] for row in result.iter_rows())]
    widths = [max(len(row[i]) for row in cells) for i in range(result.width)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines) + f"\n({result.height} rows)"


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(run(args))
    except CliError as error:
        print(f"bfa: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
