"""Binance's futures REST APIs: exchangeInfo of USD-M (fapi.py), for enrichment and checks."""
