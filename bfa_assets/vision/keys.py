"""The Vision key layout, and what a symbol name may be.

Symbol names come from a bucket listing, so they are untrusted input: they end up in URLs, file
names and SQL parameters. A name is accepted only if it is made of letters, digits and `_`
(any script, so `币安人生USDT` is fine); anything with `/`, `..`, quotes, spaces or control
characters is rejected with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAX_SYMBOL_LENGTH = 64
KNOWN_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "USD1", "BTC", "ETH", "BNB")  # USD-M
COIN_M_QUOTE = "USD"  # every COIN-M contract is quoted in USD (`BTCUSD_PERP`, `ETHUSD_240329`)
# COIN-M contract sizes by Binance's rule (its FAQ, and every captured exchangeInfo): a BTC
# contract is worth 100 USD, any other 10 USD. exchangeInfo's contractSize wins where it answers.
COIN_M_SIZE_USD = {"BTC": 100.0}
COIN_M_DEFAULT_SIZE_USD = 10.0

_SYMBOL = re.compile(r"\w+")
_DELIVERY = re.compile(r"_(\d{2})(\d{2})(\d{2})$")
_SETTLED = re.compile(r"(?:_?SETTLED)+$")
_PERP = re.compile(r"_PERP$")
_DAILY_ZIP = re.compile(r"-(1m|1d)-(\d{4}-\d{2}-\d{2})\.zip(\.CHECKSUM)?$")


class InvalidSymbol(ValueError):
    """A folder name that cannot be a symbol; the message says why."""


def validate_symbol(name: str) -> str:
    if not name:
        raise InvalidSymbol("empty symbol name")
    if len(name) > MAX_SYMBOL_LENGTH:
        raise InvalidSymbol(
            f"symbol name longer than {MAX_SYMBOL_LENGTH} characters: {name[:80]!r}"
        )
    if not _SYMBOL.fullmatch(name):
        bad = sorted({c for c in name if not (c.isalnum() or c == "_")})
        raise InvalidSymbol(
            f"symbol name {name!r} contains {''.join(bad)!r}; "
            "only letters, digits and '_' are accepted"
        )
    return name


def delivery_date(symbol: str) -> date | None:
    """The expiry of a dated contract (`BTCUSDT_260925`), None for a perpetual."""
    match = _DELIVERY.search(symbol)
    if not match:
        return None
    yy, mm, dd = (int(g) for g in match.groups())
    try:
        return date(2000 + yy, mm, dd)
    except ValueError:
        return None


def kind(symbol: str) -> str:
    return "delivery" if delivery_date(symbol) else "perpetual"


def pair(symbol: str) -> str:
    """The name without its contract suffix: `BTCUSD_PERP` and `BTCUSD_240329` -> `BTCUSD`."""
    return _PERP.sub("", _SETTLED.sub("", _DELIVERY.sub("", symbol)))


def quote_asset(symbol: str, market: str = "um") -> str | None:
    """The quote asset read from the name; None when no known quote ends it (e.g. `BTCU`)."""
    core = pair(symbol)
    quotes = (COIN_M_QUOTE,) if market == "cm" else KNOWN_QUOTES
    return next((q for q in quotes if core.endswith(q) and len(core) > len(q)), None)


def coin_m_contract_size(symbol: str) -> float:
    """USD per contract of a COIN-M contract by Binance's rule (BTC 100, others 10)."""
    base = pair(symbol).removesuffix(COIN_M_QUOTE)
    return COIN_M_SIZE_USD.get(base, COIN_M_DEFAULT_SIZE_USD)


KLINES = "klines"  # the dataset whose 1m files are the availability signal
KLINE_INTERVAL = "1m"  # the interval level recorded for every kline-type dataset


def period_root(market: str, period: str = "daily") -> str:
    """`data/futures/{market}/{daily|monthly}/`: the folder of every dataset of a market."""
    return f"data/futures/{market}/{period}/"


def dataset_root(market: str, dataset: str, period: str = "daily") -> str:
    """`data/futures/{market}/{period}/{dataset}/`: the folder of a dataset's folders."""
    return f"{period_root(market, period)}{dataset}/"


def klines_root(market: str, period: str = "daily") -> str:
    """`data/futures/{market}/{daily|monthly}/klines/`: the folder of every contract's klines."""
    return dataset_root(market, KLINES, period)


def is_kline_dataset(dataset: str) -> bool:
    """Kline-type datasets (`klines`, `markPriceKlines`, …) hold one folder per interval."""
    return dataset == KLINES or dataset.endswith("Klines")


def dataset_folder(market: str, dataset: str, period: str, folder: str) -> str:
    """The folder of one folder name's files: `…/{dataset}/{F}/` (`…/{F}/1m/` for klines)."""
    level = f"{KLINE_INTERVAL}/" if is_kline_dataset(dataset) else ""
    return f"{dataset_root(market, dataset, period)}{folder}/{level}"


def file_stem(dataset: str, folder: str) -> str:
    """What a file name starts with before its date: `{F}-1m-` for klines, else
    `{F}-{dataset}-`."""
    return f"{folder}-{KLINE_INTERVAL if is_kline_dataset(dataset) else dataset}-"


def daily_key(market: str, symbol: str, interval: str, day: date) -> str:
    return f"{daily_folder(market, symbol, interval)}{symbol}-{interval}-{day.isoformat()}.zip"


def monthly_key(market: str, symbol: str, interval: str, year: int, month: int) -> str:
    folder = monthly_folder(market, symbol, interval)
    return f"{folder}{symbol}-{interval}-{year:04d}-{month:02d}.zip"


def daily_folder(market: str, symbol: str, interval: str) -> str:
    return f"{klines_root(market)}{symbol}/{interval}/"


def monthly_folder(market: str, symbol: str, interval: str) -> str:
    return f"{klines_root(market, 'monthly')}{symbol}/{interval}/"


@dataclass(frozen=True, slots=True)
class DailyKey:
    interval: str
    day: date
    checksum: bool


def parse_daily_name(name: str) -> DailyKey | None:
    """`{S}-1m-2024-01-01.zip` → (1m, 2024-01-01, False); None for anything else."""
    match = _DAILY_ZIP.search(name)
    if not match:
        return None
    try:
        day = date.fromisoformat(match.group(2))
    except ValueError:
        return None
    return DailyKey(match.group(1), day, bool(match.group(3)))
