"""The defaults of every setting: they work against the real Binance services.

Each is overridden by its environment variable (defs/resources.py reads them as Dagster
`EnvVar`s; `bfa query` reads BFA_RELEASE_DIR). Dagster-free, and imports nothing, so the
command line can read it at no cost.
"""

VISION_URL = "https://s3-ap-northeast-1.amazonaws.com/data.binance.vision"  # BFA_VISION_URL
FAPI_URL = "https://fapi.binance.com"  # BFA_FAPI_URL: USD-M's REST API
DAPI_URL = "https://dapi.binance.com"  # BFA_DAPI_URL: COIN-M's REST API
DUCKDB_PATH = "data/bfa.duckdb"  # BFA_DUCKDB_PATH: the working database
RELEASE_DIR = "data/release"  # BFA_RELEASE_DIR
RELEASES_KEPT = 0  # BFA_RELEASES_KEPT: dated GitHub releases kept, the newest (0: all of them)
HTTP_CONCURRENCY = 256  # BFA_HTTP_CONCURRENCY: the most requests to Vision in flight (adaptive)
LOOKBACK_DAYS = 20  # BFA_LOOKBACK_DAYS: days every daily run re-checks (Vision publishes late)
FALLBACK_HOUR = 12  # BFA_FALLBACK_HOUR: UTC hour to run although yesterday is not published
# BFA_FRESHNESS_DEADLINE (cron, UTC) and BFA_FRESHNESS_WINDOW_MINUTES: release_artifact must
# have been materialized within the window before each deadline (defs/freshness.py): a release
# in the day before 14:00 UTC, the fallback hour plus two hours for its run.
FRESHNESS_DEADLINE = "0 14 * * *"
FRESHNESS_WINDOW_MINUTES = 24 * 60
# BFA_PROBE_SYMBOLS: long-lived contracts whose 1m files tell that a day is published; a bare
# name is USD-M's, `cm:` marks COIN-M's (automation/probes.py). A market left out keeps these.
PROBE_SYMBOLS = "BTCUSDT,ETHUSDT,XRPUSDT,cm:BTCUSD_PERP,cm:ETHUSD_PERP,cm:BNBUSD_PERP"
