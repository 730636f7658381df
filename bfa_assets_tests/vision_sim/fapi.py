"""The USD-M REST endpoints the project touches: exchangeInfo and klines, with request weights.

COIN-M's (`dapi.py`) are the same endpoints over the universe's COIN-M lives: the differences
(the status field's name, contract size, margin asset, how long a delisted perpetual stays
listed) are the fields of an `Api`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from bfa_assets_tests.vision_sim import content
from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

WEIGHT_LIMIT = 2400
PERPETUAL_DELIVERY_MS = 4133404800000
_DELIVERY_SUFFIX = re.compile(r"_(\d{6})$")


@dataclass(frozen=True)
class Api:
    """What differs between the USD-M (`/fapi/`) and the COIN-M (`/dapi/`) REST API."""

    market: str  # which lives it lists: "um" or "cm"
    name: str  # its path's first segment: "fapi" or "dapi"
    futures_type: str
    status_field: str  # "status" on USD-M, "contractStatus" on COIN-M
    settling_days: int  # how long a delisted perpetual stays listed as SETTLING


USD_M = Api("um", "fapi", "U_MARGINED", "status", 365)
COIN_M = Api("cm", "dapi", "COIN_MARGINED", "contractStatus", 0)
APIS = (USD_M, COIN_M)  # lists live contracts only


class ApiError(Exception):
    def __init__(self, status: int, code: int, msg: str, retry_after: int | None = None):
        super().__init__(msg)
        self.status, self.code, self.msg, self.retry_after = status, code, msg, retry_after


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def expiry(symbol: str) -> date | None:
    match = _DELIVERY_SUFFIX.search(symbol)
    if not match:
        return None
    digits = match.group(1)
    return date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))


def _entry(universe: Universe, life: SymbolLife, api: Api = USD_M) -> dict | None:
    """A symbol's exchangeInfo entry, or None once the exchange no longer lists it."""
    today = universe.now.date()
    onboard = life.onboard or datetime.combine(life.first_day, dtime(8, 0), UTC)
    quote = life.quote or "USDT"
    base = life.symbol.split("_")[0].removesuffix(quote)
    entry: dict[str, Any] = {
        "symbol": life.symbol,
        "pair": base + quote,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": _ms(onboard),
        api.status_field: "TRADING",
        "baseAsset": base,
        "quoteAsset": quote,
        "marginAsset": quote,
        "underlyingType": "COIN",
        "pricePrecision": content.price_decimals(life.base_price),
        "quantityPrecision": 3,
        "filters": [],
    }
    if life.market == "cm":  # margined in the coin, traded in whole contracts of a USD size
        entry.update(marginAsset=base, contractSize=int(universe.contract_size(life.symbol)))
        entry["quantityPrecision"] = 0
    ends = expiry(life.symbol) if life.delivery else None
    if ends is not None:
        if ends < today:
            return None
        quarter = "CURRENT_QUARTER" if (ends - today).days <= 92 else "NEXT_QUARTER"
        entry.update(contractType=quarter, deliveryDate=_ms(datetime.combine(ends, dtime(8), UTC)))
    elif "SETTLED" in life.symbol:
        return None
    elif life.last_day is not None and life.last_day < today - timedelta(days=1):
        if (today - life.last_day).days > api.settling_days:
            return None
        entry[api.status_field] = "SETTLING"
        entry["deliveryDate"] = _ms(datetime.combine(life.last_day, dtime(23, 59), UTC))
    if life.exchange_status:
        entry[api.status_field] = life.exchange_status
    return entry


def exchange_info(universe: Universe, api: Api = USD_M) -> dict:
    """The exchangeInfo answer of `api`: its market's listed contracts (USD-M also lists the
    scenario's exchange-only entries)."""
    symbols = [
        e for s in universe.symbols_of(api.market) if (e := _entry(universe, universe.life(s), api))
    ]
    if api is USD_M:
        symbols += universe.exchange_only
    return {
        "timezone": "UTC",
        "serverTime": _ms(universe.now),
        "futuresType": api.futures_type,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": WEIGHT_LIMIT,
            }
        ],
        "exchangeFilters": [],
        "assets": [],
        "symbols": symbols,
    }


def klines_weight(limit: int) -> int:
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def klines(universe: Universe, params: dict[str, str], api: Api = USD_M) -> list[list]:
    """Klines of a listed contract of `api`'s market (expired and delisted ones are refused)."""
    symbol = params.get("symbol", "")
    life = universe.life(symbol) if universe.has_symbol(symbol) else None
    if life is None or life.market != api.market or _entry(universe, life, api) is None:
        raise ApiError(400, -1121, "Invalid symbol.")
    interval = params.get("interval")
    if interval not in ("1m", "1d"):
        raise ApiError(400, -1120, "Invalid interval.")
    try:
        limit = int(params.get("limit", 500))
        start = int(params["startTime"]) if "startTime" in params else None
        end = int(params["endTime"]) if "endTime" in params else _ms(universe.now)
    except ValueError:
        raise ApiError(400, -1100, "Illegal characters found in a parameter.") from None
    if not 1 <= limit <= 1500:
        raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    last = min(life.last_day or date.max, universe.now.date())
    first = life.first_day
    if start is not None:
        first = max(first, datetime.fromtimestamp(start / 1000, UTC).date())
    rows: list[list] = []
    day = first
    while day <= last and len(rows) < limit:
        bar = universe.bar(symbol, day)
        if interval == "1d":
            candidates = [bar.csv_row().split(",")]
        else:
            minutes = universe.minute_day(symbol, day).csv().decode()
            candidates = [line.split(",") for line in minutes.split()]
        for row in candidates:
            open_time = int(row[0])
            if (start is None or open_time >= start) and open_time <= end and len(rows) < limit:
                rows.append([open_time, *row[1:6], int(row[6]), row[7], int(row[8]), *row[9:]])
        day += timedelta(days=1)
    return rows


@dataclass
class WeightMeter:
    """Request weight per IP and minute, like X-MBX-USED-WEIGHT-1M; 429, then 418 if ignored."""

    minute: int = 0
    used: int = 0
    after_429: int = 0
    clock: object = field(default=time.time)

    def charge(self, weight: int) -> int:
        now = self.clock()  # type: ignore[operator]
        minute = int(now // 60)
        if minute != self.minute:
            self.minute, self.used, self.after_429 = minute, 0, 0
        retry = int(60 - now % 60) + 1
        if self.used + weight > WEIGHT_LIMIT:
            self.after_429 += 1
            if self.after_429 > 3:
                raise ApiError(418, -1003, "Way too many requests; IP banned.", retry_after=120)
            raise ApiError(
                429, -1003, "Too many requests; current limit is 2400 per minute.", retry
            )
        self.used += weight
        return self.used
