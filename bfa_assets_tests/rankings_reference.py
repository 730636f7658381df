"""An independent, plain-Python computation of volume_rankings from the simulator's truth.

Written from the definition, not from the SQL: per date and market, the market's cohort with a
volume row (USD-M: USDT-quoted perpetuals by quote volume; COIN-M: perpetuals by USD notional,
contracts x contract size), dense-ranked; rank changes against the rank N calendar days earlier;
percentile = (standard rank - 1) / (n - 1) * 100; market share of the day's cohort total;
available days in [date - 29, date].
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import polars as pl


def _measure(universe, market: str, symbol: str, bar) -> float:
    """What a market ranks by: USD-M's quote volume, COIN-M's contracts x contract size."""
    if market == "um":
        return float(bar.quote_volume)
    return float(bar.volume) * universe.contract_size(symbol)


def expected_rankings(universe, start: date, end: date, market: str = "um") -> list[dict]:
    cohort_symbols = {
        s
        for s in universe.symbols_of(market)
        if not universe.life(s).delivery and (market == "cm" or universe.life(s).quote == "USDT")
    }
    volume = defaultdict(dict)  # date -> symbol -> (measure, trades)
    for row in universe.volume_truth(start - timedelta(days=30), end, market=market):
        if (symbol := row["symbol"]) in cohort_symbols:
            measure = _measure(universe, market, symbol, row["bar"])
            volume[row["date"]][symbol] = (measure, row["bar"].count)
    available = {
        (r["symbol"], r["date"])
        for r in universe.availability_truth(start - timedelta(days=29), end, market=market)
        if r["available"]
    }
    ranks = {day: _dense_ranks(day_volume) for day, day_volume in volume.items()}
    rows = []
    day = start
    while day <= end:
        day_volume = volume.get(day, {})
        total = sum(q for q, _ in day_volume.values())
        ordered = sorted(day_volume.items(), key=lambda kv: -kv[1][0])
        size = len(day_volume)
        for symbol, (quote, trades) in day_volume.items():
            rank = ranks[day][symbol]
            standard = 1 + sum(1 for _, (q, _) in ordered if q > quote)
            recent = [day - timedelta(days=k) for k in range(30)]
            row = {
                "date": day, "market": market, "symbol": symbol, "rank": rank,
                "quote_volume_usdt": quote if market == "um" else None,
                "notional_usd": quote if market == "cm" else None,
                "trade_count": trades,
                "percentile": 0.0 if size == 1 else (standard - 1) / (size - 1) * 100,
                "market_share_pct": quote * 100 / total if total else None,
                "days_available": sum((symbol, d) in available for d in recent),
            }  # fmt: skip
            for n in (1, 7, 14, 30):
                before = ranks.get(day - timedelta(days=n), {}).get(symbol)
                row[f"rank_change_{n}d"] = None if before is None else rank - before
            rows.append(row)
        day += timedelta(days=1)
    return rows


def _dense_ranks(day_volume: dict[str, tuple[float, int]]) -> dict[str, int]:
    distinct = sorted({q for q, _ in day_volume.values()}, reverse=True)
    position = {q: i + 1 for i, q in enumerate(distinct)}
    return {symbol: position[q] for symbol, (q, _) in day_volume.items()}


COLUMNS = ["date", "market", "symbol", "rank", "quote_volume_usdt", "notional_usd",
           "trade_count", "rank_change_1d", "rank_change_7d", "rank_change_14d",
           "rank_change_30d", "percentile", "market_share_pct", "days_available"]  # fmt: skip
SCHEMA = {"date": pl.Date, "market": pl.String, "symbol": pl.String, "rank": pl.Int32,
          "quote_volume_usdt": pl.Float64, "notional_usd": pl.Float64,
          "trade_count": pl.Int64, "rank_change_1d": pl.Int32, "rank_change_7d": pl.Int32,
          "rank_change_14d": pl.Int32, "rank_change_30d": pl.Int32, "percentile": pl.Float64,
          "market_share_pct": pl.Float64, "days_available": pl.Int32}  # fmt: skip


def expected(universe, start: date, end: date) -> pl.DataFrame:
    """expected_rankings of every market as the table's columns and types, sorted by date,
    market and symbol."""
    rows = [row for m in universe.markets for row in expected_rankings(universe, start, end, m)]
    return pl.DataFrame(rows, schema=SCHEMA).select(COLUMNS).sort("date", "market", "symbol")
