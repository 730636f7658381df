"""Named universes, each with a USD-M (`um`) and a COIN-M (`cm`) market.

- `tiny`: 14 USD-M symbols and 9 COIN-M contracts over 100 days (2022-07-01 → 2022-10-08, now
  2022-10-09 10:00 UTC), every quirk on a known symbol and day, for fast exact tests (see
  TINY_QUIRKS and TINY_CM_QUIRKS).
- `demo`: ~300 USD-M symbols and 40 COIN-M contracts drawn from the real lists over the full
  history, for `make demo`.
- `full`: all 1,007 real USD-M names (2019-09-25 → yesterday) and all 272 real COIN-M contracts
  (50 perpetuals, 222 quarterlies; 2020-06-30 → yesterday), for the benchmark.

demo and full are generated from a seed: listing and delisting dates, gaps, late and re-uploaded
files, flat days and header islands are drawn per symbol, so the same seed gives the same bucket.
COIN-M contracts take their first day, contract size, delivery date and known delisting date from
the real list (CM_SNAPSHOT) and carry the archive's known COIN-M gaps.

`build(…, symbols=N)` caps USD-M to N names; COIN-M then gets as many contracts in proportion
(272/1,007 of N, at least the three probe perpetuals) unless `cm_symbols` says how many.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bfa_assets_tests.vision_sim.content import unit_hash
from bfa_assets_tests.vision_sim.datasets import CATALOGUE, Dataset
from bfa_assets_tests.vision_sim.fapi import expiry
from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

HISTORY_START = date(2019, 9, 25)
FIRST_1D = date(2019, 12, 31)  # 1d files of the oldest symbols start here, 1m files on 2019-09-25
SNAPSHOT = Path(__file__).parent / "data" / "vision-um-symbols-2026-08-22.json"  # real folder list
# real COIN-M folder list with first days, contract sizes, delivery and delisting dates; its
# `sources` say where each fact comes from (a 2025-04 S3 listing, exchange-side lists, the FAQ)
CM_SNAPSHOT = Path(__file__).parent / "data" / "vision-cm-symbols.json"
CM_SNAPSHOT_DAY = date(2026, 9, 17)  # the newest exchange-side list it was checked against
QUOTES = ("USDT", "USDC", "BUSD", "USD1", "BTC")
OLDEST = (
    "BTCUSDT",
    "ETHUSDT",
    "BCHUSDT",
    "XRPUSDT",
    "EOSUSDT",
    "LTCUSDT",
    "TRXUSDT",
    "ETCUSDT",
    "LINKUSDT",
    "XLMUSDT",
    "ADAUSDT",
    "XMRUSDT",
    "DASHUSDT",
    "ZECUSDT",
    "XTZUSDT",
    "BNBUSDT",
)
KNOWN_PRICES = {"BTCUSDT": 9000.0, "ETHUSDT": 180.0}
# Typical daily quote volume in USD of the market's leaders, in the real market's order, so
# rankings and screenshots look like Binance's: BTC and ETH on top, then a long tail.
LEADERS = {"BTCUSDT": 1.2e10, "ETHUSDT": 7e9, "SOLUSDT": 3e9, "XRPUSDT": 2e9,
           "DOGEUSDT": 1.5e9, "BNBUSDT": 8e8, "SUIUSDT": 7e8, "ADAUSDT": 6e8, "LINKUSDT": 5e8,
           "LTCUSDT": 4e8}  # fmt: skip
TAIL = (2e6, 6e8)  # the other contracts' typical daily quote volume: from, to
CM_PROBES = ("BTCUSD_PERP", "ETHUSD_PERP", "BNBUSD_PERP")  # always in a capped COIN-M set
CM_PRICES = {"BTC": 30000.0, "ETH": 2000.0, "BNB": 300.0, "SOL": 60.0, "LTC": 90.0, "BCH": 250.0}
CM_LEADERS = {"BTCUSD_PERP": 3e9, "ETHUSD_PERP": 1.5e9}  # typical daily USD notional
CM_TAIL = (1e6, 3e8)  # the other COIN-M contracts' typical daily USD notional: from, to
CM_DELISTINGS_FROM = date(2023, 1, 1)  # undated delistings (absent from the 2026-09 list) after
CM_SHARE = 272 / 1007  # COIN-M contracts per USD-M symbol on Vision, for capped universes
DEMO_CM = 40
# known holes of the COIN-M archive (vision.md §7): 2023-09-25 across COIN-M (all contracts),
# 2024-06-11/12 as for USD-M (BPD#336), and BTCUSD_PERP's 1m files of 2020-11-02…06 (BPD#226)
CM_GAPS = frozenset({date(2023, 9, 25), date(2024, 6, 11), date(2024, 6, 12)})
BTC_PERP_MISSING_1M = frozenset(date(2020, 11, d) for d in range(2, 7))


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _days(first: str, last: str) -> frozenset[date]:
    start, end = _d(first), _d(last)
    return frozenset(start + timedelta(days=i) for i in range((end - start).days + 1))


TINY_START, TINY_END = _d("2022-07-01"), _d("2022-10-08")
TINY_NOW = datetime(2022, 10, 9, 10, 0, tzinfo=UTC)
TINY_QUIRKS = {
    "late": ("龙虾USDT", _d("2022-10-08")),  # published 2022-10-11 instead of 2022-10-09
    "reupload": ("BTCUSDT", _d("2022-10-01"), datetime(2022, 10, 5, 12, 0, tzinfo=UTC)),
    "gap": ("ETHUSDT", _d("2022-08-02")),
    "late_1d_start": ("BTCUSDT", _d("2022-07-15")),
    "corrupt_zip": ("DOGEUSDT", _d("2022-10-04")),
    "bad_checksum": ("DOGEUSDT", _d("2022-10-05")),
    "no_checksum": ("ETHUSDT", _d("2022-10-03")),
    "unpadded_month": ("BTCBUSD", (2022, 8)),
    "flat_tie": (("DOGEUSDT", "XRPUSDT"), _d("2022-09-05")),
    "quote_tie": (("XRPUSDT", "DOGEUSDT"), _d("2022-08-10")),
    "delisted": ("SRMUSDT", _d("2022-08-20")),
    "delivery": ("BTCUSDT_220930", _d("2022-09-30")),
}


# The datasets' quirks inside the tiny window, beside the real schedules (datasets.CATALOGUE):
# a two-day whole-dataset incident, a partial one, and a long hole of one contract.
TINY_DATASET_QUIRKS = {
    "incident": ("um", "trades", _days("2022-09-14", "2022-09-15")),
    "partial": ("cm", "aggTrades", _d("2022-09-20"), 0.5),  # half of the folders miss it
    "hole": ("um", "metrics", "ETHUSDT", (_d("2022-09-05"), _d("2022-09-12"))),
}


def tiny_catalogue() -> dict[str, tuple[Dataset, ...]]:
    """CATALOGUE with TINY_DATASET_QUIRKS."""
    market, name, days = TINY_DATASET_QUIRKS["incident"]
    p_market, p_name, p_day, share = TINY_DATASET_QUIRKS["partial"]
    h_market, h_name, folder, hole = TINY_DATASET_QUIRKS["hole"]

    def quirky(m: str, d: Dataset) -> Dataset:
        if (m, d.name) == (market, name):
            d = replace(d, incidents=d.incidents | days)
        if (m, d.name) == (p_market, p_name):
            d = replace(d, partial={**d.partial, p_day: share})
        if (m, d.name) == (h_market, h_name):
            d = replace(d, holes={**d.holes, folder: hole})
        return d

    return {m: tuple(quirky(m, d) for d in datasets) for m, datasets in CATALOGUE.items()}


TINY_CM_QUIRKS = {
    "gap": ("ETHUSD_PERP", _d("2022-08-25")),  # no daily file at all that day
    "late": ("BNBUSD_PERP", _d("2022-10-08")),  # published 2022-10-11 instead of 2022-10-09
    "header_island": ("BTCUSD_PERP", _d("2022-07-25")),  # a headered daily file before 08-11
    "delisted": ("EOSUSD_PERP", _d("2022-08-20")),  # last file; absent from dapi exchangeInfo
    # quarterlies: files through the delivery date, absent from dapi exchangeInfo afterwards
    # (their contract size then comes from Binance's rule, marked inferred)
    "delivered": (("BTCUSD_220930", "ETHUSD_220930"), _d("2022-09-30")),
    "listed": ("BTCUSD_230331", _d("2022-09-30")),  # first file the day BTCUSD_220930 delivers
    "contract_size": {"BTCUSD": 100, "others": 10},  # USD per contract
}


def _tiny_cm(symbol: str, first: date, **quirks) -> SymbolLife:
    """A tiny COIN-M contract: the real size and price level of its pair."""
    base = symbol.split("USD_")[0]
    size = 100.0 if base == "BTC" else 10.0
    liquidity = CM_LEADERS.get(symbol, 2e8)
    return SymbolLife(
        symbol,
        first,
        quote="USD",
        base_price=CM_PRICES.get(base, 1.2),
        liquidity=liquidity,
        market="cm",
        contract_size=size,
        **quirks,
    )


def tiny_cm_lives(start: date = TINY_START) -> list[SymbolLife]:
    """tiny's COIN-M contracts, each quirk of TINY_CM_QUIRKS on its symbol and day."""
    delivered = _d("2022-09-30")
    return [
        _tiny_cm("BTCUSD_PERP", start, header_islands=frozenset({_d("2022-07-25")})),
        _tiny_cm("ETHUSD_PERP", start, gaps=frozenset({_d("2022-08-25")})),
        _tiny_cm("BNBUSD_PERP", start, late={_d("2022-10-08"): 2}),
        _tiny_cm("EOSUSD_PERP", start, last_day=_d("2022-08-20")),
        _tiny_cm("BTCUSD_220930", start, last_day=delivered, delivery=True),
        _tiny_cm("ETHUSD_220930", start, last_day=delivered, delivery=True),
        _tiny_cm("BTCUSD_221230", start, last_day=_d("2022-12-30"), delivery=True),
        _tiny_cm("ETHUSD_221230", start, last_day=_d("2022-12-30"), delivery=True),
        _tiny_cm("BTCUSD_230331", delivered, last_day=_d("2023-03-31"), delivery=True),
    ]


def tiny(now: datetime | None = None, seed: int = 0) -> Universe:
    start = TINY_START
    lives = [
        SymbolLife(
            "BTCUSDT",
            start,
            first_1d=_d("2022-07-15"),
            base_price=20000,
            liquidity=8e9,
            reuploads={_d("2022-10-01"): datetime(2022, 10, 5, 12, 0, tzinfo=UTC)},
            header_islands=_days("2022-07-20", "2022-07-24"),
            stray_folder=True,
            onboard=datetime(2019, 9, 8, 8, 35, tzinfo=UTC),
        ),
        SymbolLife(
            "ETHUSDT",
            start,
            base_price=1500,
            liquidity=5e9,
            gaps=frozenset({_d("2022-08-02")}),
            no_checksum_1d=frozenset({_d("2022-10-03")}),
            monthly_delay_days=3,
        ),
        SymbolLife(
            "DOGEUSDT",
            start,
            base_price=0.065,
            liquidity=3e8,
            flat_days=frozenset({_d("2022-09-05")}),
            corrupt_1d=frozenset({_d("2022-10-04")}),
            bad_checksum_1d=frozenset({_d("2022-10-05")}),
            monthly_delay_days=12,
        ),
        SymbolLife(
            "XRPUSDT",
            start,
            base_price=0.35,
            liquidity=3e8,
            flat_days=frozenset({_d("2022-09-05")}),
            ties={_d("2022-08-10"): "DOGEUSDT"},
        ),
        SymbolLife("SRMUSDT", start, last_day=_d("2022-08-20"), base_price=0.9, liquidity=2e7),
        SymbolLife(
            "ICPUSDT_SETTLED", start, last_day=_d("2022-07-31"), base_price=6.2, liquidity=4e7
        ),
        SymbolLife(
            "AERGOUSDTSETTLED",
            _d("2022-08-01"),
            last_day=_d("2022-09-15"),
            base_price=0.11,
            liquidity=5e6,
        ),
        SymbolLife(
            "BTCUSDT_220930",
            start,
            last_day=_d("2022-09-30"),
            delivery=True,
            base_price=20100,
            liquidity=2e8,
        ),
        SymbolLife("ETHUSDC", start, quote="USDC", base_price=1500, liquidity=1e8),
        SymbolLife("ETHBTC", start, quote="BTC", base_price=0.072, liquidity=1e4),
        SymbolLife(
            "BTCBUSD",
            start,
            quote="BUSD",
            base_price=20000,
            liquidity=4e8,
            unpadded_months=frozenset({(2022, 8)}),
        ),
        SymbolLife("币安人生USDT", _d("2022-09-01"), base_price=0.12, liquidity=6e7),
        SymbolLife("我踏马来了USDT", _d("2022-09-20"), base_price=0.03, liquidity=1e7),
        SymbolLife(
            "龙虾USDT",
            _d("2022-08-15"),
            base_price=0.4,
            liquidity=2e7,
            late={_d("2022-10-08"): 2},
            header_islands=_days("2022-08-15", "2022-08-16"),
        ),
    ]
    pending = {
        "symbol": "NEWUSDT",
        "pair": "NEWUSDT",
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1665561600000,
        "status": "PENDING_TRADING",
        "baseAsset": "NEW",
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "underlyingType": "COIN",
        "filters": [],
    }
    return Universe(
        lives + tiny_cm_lives(start),
        now=now or TINY_NOW,
        name="tiny",
        seed=seed,
        exchange_only=[pending],
        datasets=tiny_catalogue(),
    )


def snapshot_symbols() -> tuple[list[str], list[str]]:
    data = json.loads(SNAPSHOT.read_text())
    return data["perpetual_symbols"], data["delivery_symbols"]


def _quote(symbol: str) -> str | None:
    core = symbol.split("_")[0].removesuffix("SETTLED").removesuffix("SETTLED")
    return next((q for q in QUOTES if core.endswith(q) and len(core) > len(q)), None)


def _tail(h: float) -> float:
    """A typical daily quote volume of the long tail: most contracts small, a few large."""
    low, high = TAIL
    return low * (high / low) ** (h**1.3)


def _random_day(h: float, first: date, last: date) -> date:
    return first + timedelta(days=int(h * max(1, (last - first).days)))


def generated_life(symbol: str, delivery: bool, seed: int, snapshot_day: date) -> SymbolLife:
    """A plausible life for a real symbol name, drawn from the seed."""

    def h(*parts: object) -> float:
        return unit_hash(seed, symbol, *parts)

    ends = expiry(symbol) if delivery else None
    if ends is not None:
        first, last = max(HISTORY_START, ends - timedelta(days=180)), ends
    elif symbol in OLDEST:
        first, last = HISTORY_START, None
    else:
        first = _random_day(
            h("listed") ** 1.3, date(2019, 10, 1), snapshot_day - timedelta(days=20)
        )
        if not symbol.isascii():
            first = _random_day(h("listed"), date(2025, 10, 1), snapshot_day - timedelta(days=20))
        delisted = "SETTLED" in symbol or symbol.endswith("BUSD") or h("delisted") < 0.2
        last = (
            _random_day(h("last"), first + timedelta(days=30), snapshot_day) if delisted else None
        )
    gaps, islands = _drawn_days(h, first, last or snapshot_day)
    return SymbolLife(
        symbol,
        first,
        last_day=last,
        first_1d=FIRST_1D if first == HISTORY_START else None,
        quote=_quote(symbol),
        delivery=delivery,
        base_price=KNOWN_PRICES.get(symbol, 10 ** (4.5 * h("price") - 2.5)),
        liquidity=LEADERS.get(symbol) or _tail(h("liquidity")),
        gaps=gaps,
        flat_days=frozenset({date(2020, 2, 19)}) if first <= date(2020, 2, 19) else frozenset(),
        header_islands=islands,
    )


def _drawn_days(
    h: Callable[..., float], first: date, end: date
) -> tuple[frozenset[date], frozenset[date]]:
    """A life's missing days (up to two, never its first) and, for one life in ten, three
    headered daily files (meaningful before 2022-08-11), drawn from `h`."""
    life_days = (end - first).days
    gaps = frozenset(
        first + timedelta(days=int(h("gap", i) * life_days)) + timedelta(days=1)
        for i in range(int(h("gaps") * 3))
    )
    island = first + timedelta(days=int(h("island") * life_days))
    islands = (
        _days(island.isoformat(), (island + timedelta(days=2)).isoformat())
        if h("has_island") < 0.1
        else frozenset()
    )
    return gaps - {first}, islands


def cm_snapshot() -> list[dict]:
    """The real COIN-M contracts (perpetuals, then quarterlies) as CM_SNAPSHOT lists them."""
    data = json.loads(CM_SNAPSHOT.read_text())
    return data["perpetual"] + data["delivery"]


def generated_cm_life(entry: dict, seed: int) -> SymbolLife:
    """A COIN-M contract's life: real first day, size and end, drawn price level and quirks."""
    symbol, pair = entry["symbol"], entry["pair"]

    def h(*parts: object) -> float:
        return unit_hash(seed, symbol, *parts)

    first = _d(entry["first_vision_daily_kline"] or entry["listing_date_estimate"])
    last = _cm_last_day(entry, first, h("last"))
    gaps, islands = _drawn_days(h, first, last or CM_SNAPSHOT_DAY)
    base = pair.removesuffix("USD")
    low, high = CM_TAIL
    liquidity = CM_LEADERS.get(symbol) or low * (high / low) ** (h("liquidity") ** 1.3)
    return SymbolLife(
        symbol,
        first,
        last_day=last,
        quote="USD",
        delivery="delivery_date" in entry,
        base_price=CM_PRICES.get(base) or 10 ** (3 * unit_hash(seed, pair, "price") - 1.5),
        liquidity=liquidity / (3 if "delivery_date" in entry else 1),  # quarterlies trade less
        gaps=gaps | {d for d in CM_GAPS if first < d and (last is None or d <= last)},
        header_islands=islands,
        market="cm",
        contract_size=float(entry["contract_size_usd"]),
        missing_1m=BTC_PERP_MISSING_1M if symbol == "BTCUSD_PERP" else frozenset(),
    )


def _cm_last_day(entry: dict, first: date, h: float) -> date | None:
    """A quarterly's delivery date; a perpetual's known delisting date, or one drawn after
    CM_DELISTINGS_FROM when the 2026-09 exchange list no longer has it; else None."""
    if "delivery_date" in entry:
        return _d(entry["delivery_date"])
    if entry.get("delisted_settlement_date"):
        return _d(entry["delisted_settlement_date"])
    if entry.get("listed_2026_09_17", True):
        return None
    return _random_day(h, max(first + timedelta(days=365), CM_DELISTINGS_FROM), CM_SNAPSHOT_DAY)


def _cm_pick(entries: list[dict], count: int | None, seed: int) -> list[dict]:
    """The probe perpetuals, then contracts in a seeded order, `count` in all (None: every one)."""
    if count is None or count >= len(entries):
        return entries
    probes = [e for e in entries if e["symbol"] in CM_PROBES]
    rest = sorted(
        (e for e in entries if e["symbol"] not in CM_PROBES),
        key=lambda e: unit_hash(seed, "pick", e["symbol"]),
    )
    return (probes + rest)[:count]


def generated_cm(count: int | None, seed: int, now: datetime) -> list[SymbolLife]:
    """The COIN-M lives of demo and full: those listed before `now`, two with a late file and
    a re-upload in the lookback window."""
    lives = [generated_cm_life(e, seed) for e in _cm_pick(cm_snapshot(), count, seed)]
    lives = [life for life in lives if life.first_day < now.date()]
    return _with_recent_quirks_on(lives, 2, now, seed, "late-cm", live_only=True)


def generated(
    name: str, count: int | None, seed: int, now: datetime | None, cm_count: int | None = None
) -> Universe:
    now = now or datetime.now(UTC)
    perpetual, delivery = snapshot_symbols()
    snapshot_day = min(now.date(), date(2026, 8, 22))
    names = [(s, False) for s in perpetual] + [(s, True) for s in delivery]
    if count is not None and count < len(names):
        quirky = {s for s in perpetual if not s.isascii() or "SETTLED" in s}
        first = [n for n in names if n[0] in OLDEST[:4]] + [n for n in names if n[0] in quirky]
        rest = sorted(set(names) - set(first), key=lambda n: unit_hash(seed, "pick", n[0]))
        names = (first + rest)[:count]  # the probe symbols, then the quirky names
    lives = [generated_life(s, d, seed, snapshot_day) for s, d in names]
    lives = [life for life in lives if life.first_day < now.date()]
    lives = _with_recent_quirks_on(lives, 3, now, seed, "late")
    return Universe(
        lives + generated_cm(cm_count, seed, now),
        now=now,
        name=name,
        seed=seed,
        datasets=CATALOGUE,
    )


def _with_recent_quirks_on(
    lives: list[SymbolLife],
    count: int,
    now: datetime,
    seed: int,
    draw: str,
    *,
    live_only: bool = False,
) -> list[SymbolLife]:
    """`lives`, `count` of them (picked by `draw`, among those without an end if `live_only`:
    most COIN-M contracts are quarterlies, which end) with a late file and a re-upload."""
    yesterday = now.date() - timedelta(days=1)
    candidates = [life for life in lives if not live_only or life.last_day is None]
    late_symbols = sorted(candidates, key=lambda life: unit_hash(seed, draw, life.symbol))[:count]
    return [
        _with_recent_quirks(life, yesterday, seed) if life in late_symbols else life
        for life in lives
    ]


def _with_recent_quirks(life: SymbolLife, yesterday: date, seed: int) -> SymbolLife:
    """A late file and a re-upload inside the lookback window, where operators meet them."""
    if life.last_day is not None:
        return life
    reupload_day = yesterday - timedelta(days=5)
    when = datetime.combine(yesterday, datetime.min.time(), UTC) - timedelta(
        hours=int(unit_hash(seed, life.symbol) * 24)
    )
    return SymbolLife(
        **{**life.__dict__, "late": {yesterday: 1}, "reuploads": {reupload_day: when}}
    )


def build(
    name: str,
    *,
    seed: int = 0,
    now: datetime | None = None,
    symbols: int | None = None,
    cm_symbols: int | None = None,
) -> Universe:
    """The universe called `name`; `symbols` caps demo/full's USD-M names, `cm_symbols` their
    COIN-M contracts (default: in proportion to `symbols` when given, else 40 in demo and all
    272 in full). tiny ignores both."""
    if name == "tiny":
        return tiny(now, seed)
    if name not in ("demo", "full"):
        raise ValueError(f"unknown scenario {name!r}; choose tiny, demo or full")
    if cm_symbols is None and symbols is not None:
        cm_symbols = max(len(CM_PROBES), round(symbols * CM_SHARE))
    if name == "demo":
        return generated("demo", symbols or 300, seed, now, cm_symbols or DEMO_CM)
    return generated("full", symbols, seed, now, cm_symbols)


SCENARIOS = ("tiny", "demo", "full")
