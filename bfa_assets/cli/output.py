"""How `bfa query` prints answers: aligned tables with readable numbers, or exact JSON.

Tables are for people: whole numbers without `.0`, thousands separators, numbers from 1,000
on without decimals and smaller ones with at most six (never an exponent), a sign on rank
changes, runs of unchecked days as one marker line. JSON is for scripts: the values as stored
(floats in full), dates as ISO strings. Standard library only, and nothing the interpreter
has not loaded anyway (see bfa_assets.cli).
"""

from __future__ import annotations

import json
from datetime import date
from itertools import groupby
from unicodedata import east_asian_width

from bfa_assets.common.days import HISTORY_START
from bfa_assets.store.answers import Delistings, Table
from bfa_assets.store.coverage import span

VOLUME = """  quote_volume      USD-M: the day's quote-asset volume from the 1d file (blank: no
                    verified 1d file)
  contracts         COIN-M: the day's volume in contracts, from the 1d file
  notional_usd      COIN-M perpetuals: contracts x contract size in USD, what they are ranked
                    by (blank: a delivery contract, or no volume)"""
SNAPSHOT_COLUMNS = f"""columns (--market um: quote_volume; --market cm: contracts, notional_usd):
  symbol            the contract's folder name on Vision
  file_size_bytes   size of that day's 1m kline zip
{VOLUME}
  rank              its rank that day in its market's cohort (USD-M: USDT perpetuals by quote
                    volume; COIN-M: perpetuals by notional_usd; 1 = highest; blank: not in
                    that cohort, or no volume)"""
TIMELINE_COLUMNS = f"""columns:
  date              every day from the symbol's first 1m file on Vision to the release's
                    latest checked day; runs of days not checked for it are one line
                    ("not checked"); in --json every day is a row, with "checked": false
  available         yes: the day's 1m file exists; no: checked, and there is none
  file_size_bytes, rank, and the volume columns of the market, as in `bfa query snapshot`:
{VOLUME}"""
RANGE_COLUMNS = """columns (from the checked days of [start, end]; exit status 3 if some were not):
  first_available   the first day in the range with a 1m file
  last_available    the last such day
  days_available    how many days in the range had one"""
LISTING_COLUMNS = """The first 1m file comes from listing the symbol's folder on Vision from its
start, so the answer does not depend on which days were checked; it needs a discovery run
(futures_symbols) after the day's files were published (exit status 3 otherwise).
columns:
  kind              perpetual or delivery (a dated contract, SYMBOL_YYMMDD)
  quote_asset       the asset volume is quoted in (USDT, USDC, BTC, ...)"""
DELISTING_COLUMNS = """columns:
  kind                perpetual or delivery (a delivery contract ends on its delivery date)
  days_checked_after  of the days after the date, how many were checked for the symbol
                      (each without a file); delisted once it reaches the number needed"""
TOP_COLUMNS = """columns (the cohort: the market's perpetuals with a volume row that day; USD-M:
the USDT-quoted ones, by quote volume; COIN-M: all of them, by USD notional):
  rank               dense rank by the market's measure, 1 = highest; ties share a rank
  quote_volume_usdt  USD-M: the day's quote volume in USDT
  notional_usd       COIN-M (instead): the day's volume in contracts x contract size, in USD
  market_share_pct   its share of the cohort's total, in percent (4 decimals)
  rank_change_Nd     rank today minus rank N calendar days earlier: NEGATIVE = moved UP
                     (e.g. -3: from rank 8 to 5); blank: not ranked N days earlier"""


SUMMARY_FACTS = f"""facts of the market asked about (named as in the release's stats.json, whose
top-level figures are USD-M's and whose `markets` holds each market's, and RELEASE_NOTES.md):
  generated_at                 when the release was made (UTC)
  history                      the days the release is about: from the market's first day
                               (USD-M: {HISTORY_START}, the first day of futures data on Vision;
                               COIN-M: its oldest contract's first 1m file) to the day before
                               it was made
  checked_days, checked_ranges     the days it checked for the market (listed every symbol's
                                   files for)
  latest_checked_date          the newest of them
  unchecked_days, unchecked_ranges the days of the history it did not check, those after the
                                   latest checked day included: answers about them exit with 3
  complete                     yes when every day of the history was checked
  symbols_discovered           every folder of the market's klines on Vision ever listed
                               (delisted too);
  perpetual_symbols_discovered, delivery_symbols_discovered   of them, perpetuals and dated
  symbols_checked              symbols checked on at least one day (first file on or before it)
  symbols_with_files           symbols with a 1m file on at least one checked day
  availability_rows, available_rows   rows of daily_availability, and those with a file
  available_on_latest_checked_date    symbols with a 1m file on the latest checked day
  ranked_days, latest_ranked_date     days with a volume ranking, and the newest of them"""


DATASETS_COLUMNS = """Every dataset of the market with a checked day: aggTrades, trades, bookDepth,
metrics, the 1m level of klines, markPriceKlines, indexPriceKlines and premiumIndexKlines,
fundingRate (monthly files: whole months), ... as found on Vision.
columns:
  folder            the dataset's folder: the symbol, or its pair (COIN-M index klines)
  first_day         the first checked day with a file (blank: none on any checked day)
  last_day          the last such day
  days_with_file    checked days with a file
  days_missing      checked days without one between first_day and last_day
  days_not_checked  days between first_day and last_day nobody checked (not known)
  checked_from, checked_to   the first and last day checked for the dataset"""
COVERAGE_COLUMNS = """One row per (dataset, symbol) with a file on the day, for every dataset
checked that day (a dataset not checked that day is named under the table; exit status 3 if
the day was checked for none). symbol: the folder name (a pair for COIN-M index klines)."""
GAPS_COLUMNS = """Stretches between a symbol's first and last file without the file:
  kind        missing (checked, no file), not checked (nobody looked: not known), or
              incident (missing for every contract that had the file the day before and the
              day after; a row without a symbol sums it up with the contracts it hit)
  days        the stretch's length
  contracts   (incident rows) the contracts that missed it"""


def render(result: object, as_json: bool) -> str:
    if isinstance(result, Delistings):
        return _delistings_json(result) if as_json else _delistings_text(result)
    if isinstance(result, dict):
        if as_json:
            return json.dumps(result, default=str, indent=2, ensure_ascii=False)
        return "\n".join(f"{key}: {fact(value)}" for key, value in result.items())
    if as_json:
        return json.dumps(result.dicts(), default=str, ensure_ascii=False)
    text = (_timeline_text if "checked" in result.columns else _table_text)(result)
    return f"{text}\n({result.note})" if result.note else text


def table_text(columns: tuple[str, ...], rows: list[tuple], markers: dict | None = None) -> str:
    """Aligned columns (numbers to the right), then the row count. `markers`: lines to print
    before the row of that index (or after the last one), outside the columns."""
    if not rows and not markers:
        return "(no rows)"
    cells = [[_cell(name, value) for name, value in zip(columns, row, strict=True)] for row in rows]
    widths = [max(map(_width, column)) for column in zip(columns, *cells, strict=True)]
    right = [any(_is_number(row[i]) for row in rows) for i in range(len(columns))]
    lines, markers = [_line(columns, widths, right)], markers or {}
    for index, row in enumerate(cells):
        lines += markers.get(index, [])
        lines.append(_line(row, widths, right))
    lines += markers.get(len(cells), [])
    return "\n".join(lines) + f"\n({_count(len(rows), 'row')})"


def _table_text(result: Table) -> str:
    return table_text(result.columns, result.rows)


def _line(cells: list[str] | tuple[str, ...], widths: list[int], right: list[bool]) -> str:
    padded = (
        " " * (w - _width(c)) + c if r else c + " " * (w - _width(c))
        for c, w, r in zip(cells, widths, right, strict=True)
    )
    return "  ".join(padded).rstrip()


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for wide characters (龙虾USDT is 8 wide, not 6)."""
    if text.isascii():
        return len(text)
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:+,}" if column.startswith("rank_change") and value else f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _timeline_text(result: Table) -> str:
    """Checked days as rows; each run of unchecked days as one marker line."""
    if not result.rows:
        return "(no rows)"
    shown: list[tuple] = []
    markers: dict[int, list[str]] = {}
    for checked, run in groupby(result.rows, key=lambda row: row[1]):
        days = list(run)
        if checked:
            shown += [(row[0], *row[2:]) for row in days]
        else:
            markers[len(shown)] = [f"{span(days[0][0], days[-1][0])}: not checked"]
    with_file = sum(1 for row in shown if row[1])
    counts = (
        f"{_count(len(result.rows), 'day')}: {with_file:,} with a file, "
        f"{len(shown) - with_file:,} without, {len(result.rows) - len(shown):,} not checked"
    )
    body = table_text(("date", *result.columns[2:]), shown, markers)
    return body.rsplit("\n", 1)[0] + f"\n({counts})"


def _delistings_text(result: Delistings) -> str:
    needed = result.days_needed
    return "\n".join([
        f"delisted on {result.day} (last file that day; the {needed} days after it checked, "
        "none with a file):",
        table_text(result.delisted.columns, result.delisted.rows),
        "",
        f"not known yet (last file so far on {result.day}, but fewer than {needed} of the days "
        "after it checked):",
        table_text(result.not_known_yet.columns, result.not_known_yet.rows),
    ])  # fmt: skip


def _delistings_json(result: Delistings) -> str:
    return json.dumps(
        {
            "date": result.day,
            "days_needed_after": result.days_needed,
            "delisted": result.delisted.dicts(),
            "not_known_yet": result.not_known_yet.dicts(),
        },
        default=str,
        ensure_ascii=False,
    )


def fact(value: object) -> str:
    """A summary value: ranges of days as `first … last (N days)`, lists joined."""
    if isinstance(value, list):
        return ", ".join(fact(item) for item in value) if value else "none"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], date):
        return span(*value)
    return _cell("", value)
