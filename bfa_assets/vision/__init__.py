"""Talking to Binance Vision (an S3 bucket), Dagster-free: the HTTP client, listings, the key
layout, 1m listings for availability, and 1d files for volume."""
