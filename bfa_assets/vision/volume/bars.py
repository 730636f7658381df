"""Bars from verified 1d files: parsed in batches, exactly for the days each file was read for.

The columns are Vision's (the USD-M CSV header's names by position, plus the file each bar came
from). COIN-M's files hold contracts and coin at those positions: the table's names, per market,
and types are store.volume's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from bfa_assets.vision import klines
from bfa_assets.vision.volume.plan import Source

BAR_COLUMNS = [
    "date",
    "market",
    "symbol",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "source_key",
    "source_etag",
    "sha256",
]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded and verified 1d file."""

    source: Source
    etag: str  # as served with the bytes
    sha256: str
    body: bytes  # CSV rows without header
    rows: int


@dataclass(frozen=True, slots=True)
class Failed:
    """A file that could not be fetched, verified or parsed, and why."""

    source: Source
    reason: str


@dataclass
class Parsed:
    bars: pl.DataFrame  # BAR_COLUMNS: the needed days that the files hold a bar for
    files: pl.DataFrame  # one row per good file: source_key, source_etag, sha256, market, symbol,
    # bar_days
    failures: list[Failed]
    without_bar: pl.DataFrame  # source_key, date: needed days that a good file holds no bar for


def parse_bars(fetched: Sequence[Fetched]) -> Parsed:
    """Bars for exactly the days each file was read for; files with bad rows are reported.

    A file is authoritative for the days it covers: a needed day it holds no bar for (e.g. a
    monthly file of the month 1d data began) simply gets no bar.
    """
    parsed, bad = klines.parse_batch([(i, f.body, f.rows) for i, f in enumerate(fetched)])
    failures = [Failed(fetched[i].source, reason) for i, reason in bad.items()]
    twice = parsed.filter(pl.struct("source", "date").is_duplicated())["source"].unique()
    failures += [Failed(fetched[i].source, "the file holds two bars for one day") for i in twice]
    failed = {f.source.key for f in failures}
    good = [(i, f) for i, f in enumerate(fetched) if f.source.key not in failed]
    files = pl.DataFrame(
        {
            "source": [i for i, _ in good],
            "source_key": [f.source.key for _, f in good],
            "source_etag": [f.etag for _, f in good],
            "sha256": [f.sha256 for _, f in good],
            "market": [f.source.market for _, f in good],
            "symbol": [f.source.symbol for _, f in good],
            "needed": [list(f.source.days) for _, f in good],
        },
        schema={
            "source": pl.Int64,
            "source_key": pl.String,
            "source_etag": pl.String,
            "sha256": pl.String,
            "market": pl.String,
            "symbol": pl.String,
            "needed": pl.List(pl.Date),
        },
    )
    bars = parsed.join(files.select("source"), on="source", how="semi")
    needed = files.explode("needed").rename({"needed": "date"})
    bar_days = bars.group_by("source").agg(bar_days=pl.col("date").sort())
    return Parsed(
        bars=needed.join(bars, on=["source", "date"], how="inner")
        .select(BAR_COLUMNS)
        .sort("date", "market", "symbol"),
        files=files.join(bar_days, on="source", how="left")
        .with_columns(pl.col("bar_days").fill_null([]))
        .select("source_key", "source_etag", "sha256", "market", "symbol", "bar_days"),
        failures=failures,
        without_bar=needed.join(bars, on=["source", "date"], how="anti").select(
            "source_key", "date"
        ),
    )
