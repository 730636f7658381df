"""The two futures markets on Vision: their codes, names and key roots.

`um` is USD-M (USDT- and USDC-margined contracts, `data/futures/um/`), `cm` is COIN-M
(coin-margined contracts such as `BTCUSD_PERP`, `data/futures/cm/`). The market is a column of
every table and part of every key. Imports nothing: `bfa query` reads it.
"""

MARKETS = ("um", "cm")
NAMES = {"um": "USD-M", "cm": "COIN-M"}


def name(market: str) -> str:
    """`USD-M` or `COIN-M`, as people say it."""
    return NAMES[market]
