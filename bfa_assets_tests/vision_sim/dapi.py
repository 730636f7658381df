"""The COIN-M REST endpoints (`/dapi/v1/…`): fapi.py's, over the universe's COIN-M lives.

Entries carry `contractStatus` (not `status`), `contractSize` (USD per contract) and the coin
as `marginAsset`; only live contracts are listed (expired quarterlies and delisted perpetuals
are absent, as on the real API, so a contract's size must sometimes be inferred from its
bars), and klines refuse them with -1121.
"""

from __future__ import annotations

from bfa_assets_tests.vision_sim import fapi
from bfa_assets_tests.vision_sim.universe import Universe


def exchange_info(universe: Universe) -> dict:
    return fapi.exchange_info(universe, fapi.COIN_M)


def klines(universe: Universe, params: dict[str, str]) -> list[list]:
    return fapi.klines(universe, params, fapi.COIN_M)
