"""Named universes.

- `tiny`: 14 symbols over 100 days (2022-07-01 → 2022-10-08, now 2022-10-09 10:00 UTC), every
  quirk on a known symbol and day, for fast exact tests (see TINY_QUIRKS).
- `demo`: ~300 symbols drawn from the real symbol list over the full history, for `make demo`.
- `full`: all 1,007 real symbol names, 2019-09-25 → yesterday, for the benchmark.

demo and full are generated from a seed: listing and delisting dates, gaps, late and re-uploaded
files, flat days and header islands are drawn per symbol, so the same seed gives the same bucket.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bfa_assets_tests.vision_sim.content import unit_hash
from bfa_assets_tests.vision_sim.fapi import expiry
from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

HISTORY_START = date(2019, 9, 25)
FIRST_1D = date(2019, 12, 31)  # 1d files of the oldest symbols start here, 1m files on 2019-09-25
SNAPSHOT = Path(__file__).parent / "data" / "vision-um-symbols-2026-08-22.json"  # real folder list
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
    return Universe(lives, now=now or TINY_NOW, name="tiny", seed=seed, exchange_only=[pending])


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
    life_days = ((last or snapshot_day) - first).days
    gaps = frozenset(
        first + timedelta(days=int(h("gap", i) * life_days)) + timedelta(days=1)
        for i in range(int(h("gaps") * 3))
    )
    island = first + timedelta(days=int(h("island") * life_days))
    return SymbolLife(
        symbol,
        first,
        last_day=last,
        first_1d=FIRST_1D if first == HISTORY_START else None,
        quote=_quote(symbol),
        delivery=delivery,
        base_price=KNOWN_PRICES.get(symbol, 10 ** (4.5 * h("price") - 2.5)),
        liquidity=LEADERS.get(symbol) or _tail(h("liquidity")),
        gaps=gaps - {first},
        flat_days=frozenset({date(2020, 2, 19)}) if first <= date(2020, 2, 19) else frozenset(),
        header_islands=_days(island.isoformat(), (island + timedelta(days=2)).isoformat())
        if h("has_island") < 0.1
        else frozenset(),
    )


def generated(name: str, count: int | None, seed: int, now: datetime | None) -> Universe:
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
    yesterday = now.date() - timedelta(days=1)
    late_symbols = sorted(lives, key=lambda life: unit_hash(seed, "late", life.symbol))[:3]
    lives = [
        _with_recent_quirks(life, yesterday, seed) if life in late_symbols else life
        for life in lives
    ]
    return Universe(lives, now=now, name=name, seed=seed)


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
    name: str, *, seed: int = 0, now: datetime | None = None, symbols: int | None = None
) -> Universe:
    """The universe called `name`; `symbols` caps demo/full to that many names."""
    if name == "tiny":
        return tiny(now, seed)
    if name == "demo":
        return generated("demo", symbols or 300, seed, now)
    if name == "full":
        return generated("full", symbols, seed, now)
    raise ValueError(f"unknown scenario {name!r}; choose tiny, demo or full")


SCENARIOS = ("tiny", "demo", "full")
