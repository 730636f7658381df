"""HTTP for every service bfa talks to: one retry policy and `Retry-After` parser (retry.py),
the async client for Vision and the exchange's REST APIs (client.py) with its adaptive limit of
requests in flight (adaptive.py). The GitHub and Pushover clients use retry.py too."""
