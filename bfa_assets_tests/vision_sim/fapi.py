"""The USD-M REST endpoints the project touches: exchangeInfo and klines, with request weights."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from bfa_assets_tests.vision_sim import content
from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

WEIGHT_LIMIT = 2400
PERPETUAL_DELIVERY_MS = 4133404800000
_DELIVERY_SUFFIX = re.compile(r"_(\d{6})$")


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


def _entry(universe: Universe, life: SymbolLife) -> dict | None:
    """A symbol's exchangeInfo entry, or None once the exchange no longer lists it."""
    today = universe.now.date()
    onboard = life.onboard or datetime.combine(life.first_day, dtime(8, 0), UTC)
    quote = life.quote or "USDT"
    base = life.symbol.split("_")[0].removesuffix(quote)
    entry = {
        "symbol": life.symbol,
        "pair": base + quote,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": _ms(onboard),
        "status": "TRADING",
        "baseAsset": base,
        "quoteAsset": quote,
        "marginAsset": quote,
        "underlyingType": "COIN",
        "pricePrecision": content.price_decimals(life.base_price),
        "quantityPrecision": 3,
        "filters": [],
    }
    ends = expiry(life.symbol) if life.delivery else None
    if ends is not None:
        if ends < today:
            return None
        quarter = "CURRENT_QUARTER" if (ends - today).days <= 92 else "NEXT_QUARTER"
        entry.update(contractType=quarter, deliveryDate=_ms(datetime.combine(ends, dtime(8), UTC)))
    elif "SETTLED" in life.symbol:
        return None
    elif life.last_day is not None and life.last_day < today - timedelta(days=1):
        if (today - life.last_day).days > 365:
            return None
        entry.update(
            status="SETTLING", deliveryDate=_ms(datetime.combine(life.last_day, dtime(23, 59), UTC))
        )
    if life.exchange_status:
        entry["status"] = life.exchange_status
    return entry


def exchange_info(universe: Universe) -> dict:
    symbols = [e for s in universe.symbols if (e := _entry(universe, universe.life(s)))]
    symbols += universe.exchange_only
    return {
        "timezone": "UTC",
        "serverTime": _ms(universe.now),
        "futuresType": "U_MARGINED",
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


def klines(universe: Universe, params: dict[str, str]) -> list[list]:
    symbol = params.get("symbol", "")
    if not universe.has_symbol(symbol) or _entry(universe, universe.life(symbol)) is None:
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
    life = universe.life(symbol)
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
