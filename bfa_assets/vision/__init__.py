"""Talking to Binance Vision (an S3 bucket), Dagster-free: listings, the key layout, discovery,
1m listings for availability, 1d files for volume, and the sensor's look at a day (over the
HTTP client of bfa_assets/http)."""
