"""The USD-M REST API (fapi): exchangeInfo, for enrichment and cross-checks.

From some regions the API answers HTTP 451. That means "cannot check", never "failed": callers
get ExchangeInfoUnavailable with the reason and carry on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bfa_assets.vision.http import BadResponse, HttpClient, HTTPFailure


class ExchangeInfoUnavailable(Exception):
    """exchangeInfo could not be read (geo-block, outage, garbage); the message says which."""


@dataclass(frozen=True, slots=True)
class ExchangeSymbol:
    symbol: str
    status: str
    contract_type: str
    quote_asset: str | None
    onboard_date: datetime | None


def _parse(response: httpx.Response) -> list[ExchangeSymbol]:
    try:
        payload = response.json()
        entries = payload["symbols"]
        return [_symbol(entry) for entry in entries]
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadResponse(f"exchangeInfo is not JSON: {response.text[:80]!r}") from error
    except (KeyError, TypeError, ValueError) as error:
        raise BadResponse(f"exchangeInfo lacks the expected fields ({error!r})") from error


def _symbol(entry: dict) -> ExchangeSymbol:
    onboard = entry.get("onboardDate")
    return ExchangeSymbol(
        symbol=str(entry["symbol"]),
        status=str(entry.get("status", "")),
        contract_type=str(entry.get("contractType", "")),
        quote_asset=entry.get("quoteAsset"),
        onboard_date=datetime.fromtimestamp(int(onboard) / 1000, UTC) if onboard else None,
    )


async def fetch_exchange_info(http: HttpClient) -> list[ExchangeSymbol]:
    try:
        symbols = await http.get("fapi/v1/exchangeInfo", _parse)
    except HTTPFailure as error:
        reason = "geo-blocked (HTTP 451)" if error.status == 451 else str(error)
        raise ExchangeInfoUnavailable(reason) from error
    if symbols is None:
        raise ExchangeInfoUnavailable("exchangeInfo answered 404")
    return symbols
