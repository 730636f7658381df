"""Key layout and symbol names: what is accepted, how it is read."""

from __future__ import annotations

from datetime import date

import pytest

from bfa_assets.vision import keys


@pytest.mark.parametrize(
    "name",
    [
        "BTCUSDT",
        "1000BONKUSDC",
        "BTCUSDT_260925",
        "ICPUSDT_SETTLED",
        "AERGOUSDTSETTLEDSETTLED",
        "币安人生USDT",
        "我踏马来了USDT",
        "BTCU",
    ],
)
def test_real_symbol_names_are_accepted(name):
    assert keys.validate_symbol(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("BTC/USDT", "'/'"),
        ("..", "'.'"),
        ("BTC..USDT", "'.'"),
        ("BTC\x00USDT", "'\\x00'"),
        ("BTC\nUSDT", "'\\n'"),
        ("BTC'USDT", '"\'"'),
        ('BTC"USDT', "'\"'"),
        ("BTC USDT", "' '"),
        ("BTC\u202eUSDT", "'\\u202e'"),
        ("A" * 65, "longer than 64"),
    ],
)
def test_unsafe_names_are_rejected_with_the_reason(name, reason):
    with pytest.raises(keys.InvalidSymbol) as error:
        keys.validate_symbol(name)
    assert reason in str(error.value)


@pytest.mark.parametrize(
    ("symbol", "kind", "expiry"),
    [
        ("BTCUSDT", "perpetual", None),
        ("BTCUSDT_260925", "delivery", date(2026, 9, 25)),
        ("ICPUSDT_SETTLED", "perpetual", None),
        ("ETHUSDT_991399", "perpetual", None),
        ("BTCBUSD_210129", "delivery", date(2021, 1, 29)),
    ],
)
def test_delivery_contracts_carry_a_yymmdd_suffix(symbol, kind, expiry):
    assert keys.kind(symbol) == kind and keys.delivery_date(symbol) == expiry


@pytest.mark.parametrize(
    ("symbol", "quote"),
    [
        ("BTCUSDT", "USDT"),
        ("ETHUSDC", "USDC"),
        ("BTCBUSD", "BUSD"),
        ("ETHBTC", "BTC"),
        ("BTCUSD1", "USD1"),
        ("BTCUSDT_260925", "USDT"),
        ("ICPUSDT_SETTLED", "USDT"),
        ("AERGOUSDTSETTLEDSETTLED", "USDT"),
        ("币安人生USDT", "USDT"),
        ("BTCU", None),
        ("USDT", None),
    ],
)
def test_the_quote_asset_is_read_from_the_name(symbol, quote):
    assert keys.quote_asset(symbol) == quote


@pytest.mark.parametrize(
    ("symbol", "kind", "quote", "pair"),
    [
        ("BTCUSD_PERP", "perpetual", "USD", "BTCUSD"),
        ("ETHUSD_240329", "delivery", "USD", "ETHUSD"),
        ("1000SHIBUSD_PERP", "perpetual", "USD", "1000SHIBUSD"),
        ("USD_PERP", "perpetual", None, "USD"),
    ],
)
def test_coin_m_names_say_kind_quote_and_pair(symbol, kind, quote, pair):
    assert keys.kind(symbol) == kind
    assert keys.quote_asset(symbol, "cm") == quote
    assert keys.pair(symbol) == pair


@pytest.mark.parametrize(
    ("symbol", "size"),
    [
        ("BTCUSD_PERP", 100.0),
        ("BTCUSD_240329", 100.0),
        ("ETHUSD_PERP", 10.0),
        ("DOGEUSD_PERP", 10.0),
    ],
)
def test_coin_m_contract_sizes_follow_binances_rule(symbol, size):
    assert keys.coin_m_contract_size(symbol) == size


def test_keys_follow_the_vision_layout():
    assert keys.daily_key("um", "BTCUSDT", "1m", date(2024, 1, 2)) == (
        "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-02.zip"
    )
    assert keys.monthly_key("um", "BTCUSDT", "1d", 2020, 8) == (
        "data/futures/um/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2020-08.zip"
    )
    assert keys.daily_key("cm", "BTCUSD_PERP", "1m", date(2024, 1, 2)) == (
        "data/futures/cm/daily/klines/BTCUSD_PERP/1m/BTCUSD_PERP-1m-2024-01-02.zip"
    )
    assert keys.monthly_folder("cm", "ETHUSD_PERP", "1d") == (
        "data/futures/cm/monthly/klines/ETHUSD_PERP/1d/"
    )


def test_daily_file_names_are_parsed_and_anything_else_ignored():
    parsed = keys.parse_daily_name("龙虾USDT-1m-2024-02-29.zip.CHECKSUM")
    assert parsed == keys.DailyKey("1m", date(2024, 2, 29), True)
    assert keys.parse_daily_name("BTCUSDT-1m-2023-02-29.zip") is None  # not a date
    assert keys.parse_daily_name("BTCUSDT-1h-2024-01-01.zip") is None
    assert keys.parse_daily_name("BTCUSDT-1d-2020-8.zip") is None
