"""exchangeInfo of each market's REST API, for enrichment and cross-checks: USD-M's
(`fapi/v1/exchangeInfo`) and COIN-M's (`dapi/v1/exchangeInfo`).

The two answer in the same shape, with two differences read here: COIN-M's entries carry
`contractStatus` where USD-M's carry `status`, and a `contractSize` (USD per contract). Both list
only live contracts. From some regions the APIs answer HTTP 451. That means "cannot check",
never "failed": callers get ExchangeInfoUnavailable with the reason and carry on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bfa_assets.http.client import BadResponse, HttpClient, HTTPFailure, Response


class ExchangeInfoUnavailable(Exception):
    """exchangeInfo could not be read (geo-block, outage, garbage); the message says which."""


@dataclass(frozen=True)
class ExchangeInfo:
    server_time: datetime
    symbols: list[ExchangeSymbol]


PATHS = {"um": "fapi/v1/exchangeInfo", "cm": "dapi/v1/exchangeInfo"}


@dataclass(frozen=True, slots=True)
class ExchangeSymbol:
    symbol: str
    status: str
    contract_type: str
    quote_asset: str | None
    onboard_date: datetime | None
    contract_size: float | None = None  # COIN-M: USD per contract


def _parse(response: Response) -> ExchangeInfo:
    try:
        payload = response.json()
        server_time = datetime.fromtimestamp(int(payload["serverTime"]) / 1000, UTC)
        return ExchangeInfo(server_time, [_symbol(entry) for entry in payload["symbols"]])
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadResponse(f"exchangeInfo is not JSON: {response.text[:80]!r}") from error
    except (KeyError, TypeError, ValueError) as error:
        raise BadResponse(f"exchangeInfo lacks the expected fields ({error!r})") from error


def _symbol(entry: dict) -> ExchangeSymbol:
    onboard = entry.get("onboardDate")
    size = entry.get("contractSize")
    return ExchangeSymbol(
        symbol=str(entry["symbol"]),
        status=str(entry.get("status") or entry.get("contractStatus") or ""),
        contract_type=str(entry.get("contractType", "")),
        quote_asset=entry.get("quoteAsset"),
        onboard_date=datetime.fromtimestamp(int(onboard) / 1000, UTC) if onboard else None,
        contract_size=float(size) if size is not None else None,
    )


async def fetch_exchange_info(http: HttpClient, market: str) -> ExchangeInfo:
    try:
        info = await http.get(PATHS[market], _parse)
    except HTTPFailure as error:
        reason = "geo-blocked (HTTP 451)" if error.status == 451 else str(error)
        raise ExchangeInfoUnavailable(reason) from error
    if info is None:
        raise ExchangeInfoUnavailable("exchangeInfo answered 404")
    return info


async def try_exchange_info(
    http: HttpClient, market: str
) -> tuple[ExchangeInfo | None, str | None]:
    """`market`'s exchangeInfo, or None and the reason it could not be read."""
    try:
        return await fetch_exchange_info(http, market), None
    except ExchangeInfoUnavailable as error:
        return None, str(error)
