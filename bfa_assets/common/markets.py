"""The two futures markets on Vision: their codes, names and key roots.

`um` is USD-M (USDT- and USDC-margined contracts, `data/futures/um/`), `cm` is COIN-M
(coin-margined contracts such as `BTCUSD_PERP`, `data/futures/cm/`). The market is a column of
every table and part of every key. Imports nothing: `bfa query` reads it.
"""

MARKETS = ("um", "cm")
NAMES = {"um": "USD-M", "cm": "COIN-M"}


# Each market's ranked cohort among its perpetuals, as a condition on `symbols` (its quote
# asset), and how answers name it: USD-M ranks its USDT-quoted perpetuals only (other quote
# assets' volumes are not comparable), COIN-M all its perpetuals (all quoted in USD).
COHORTS = {
    "um": ("quote_asset = 'USDT'", "USDT perpetuals"),
    "cm": ("true", "COIN-M perpetuals"),
}


def in_cohort(market_column: str) -> str:
    """SQL: whether a perpetual of the market in `market_column` is in its market's cohort."""
    whens = " ".join(f"WHEN '{m}' THEN {condition}" for m, (condition, _) in COHORTS.items())
    return f"CASE {market_column} {whens} ELSE false END"


def name(market: str) -> str:
    """`USD-M` or `COIN-M`, as people say it."""
    return NAMES[market]
