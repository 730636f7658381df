"""Resources and settings. Every setting has a default for the real services and an env var."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from bfa_assets.exchange import ExchangeInfo, try_exchange_info
from bfa_assets.notify import PUSHOVER_URL, send_pushover
from bfa_assets.release.github import DEFAULT_API_URL, GitHubTarget
from bfa_assets.store.schema import migrate
from bfa_assets.vision.http import HttpClient, RetryPolicy
from bfa_assets.vision.publication import day_published

DEFAULT_VISION_URL = "https://s3-ap-northeast-1.amazonaws.com/data.binance.vision"
DEFAULT_FAPI_URL = "https://fapi.binance.com"
DEFAULT_DUCKDB_PATH = "data/bfa.duckdb"
DEFAULT_RELEASE_DIR = "data/release"
DEFAULT_HTTP_CONCURRENCY = 256


class VisionResource(dg.ConfigurableResource):
    """Binance Vision (an S3 bucket) and the USD-M REST API."""

    vision_url: str = DEFAULT_VISION_URL
    fapi_url: str = DEFAULT_FAPI_URL
    concurrency: int = DEFAULT_HTTP_CONCURRENCY
    retry_attempts: int = 8
    retry_max_seconds: float = 180.0

    def _retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_attempts, max_total_seconds=self.retry_max_seconds
        )

    def vision_client(self) -> HttpClient:
        return HttpClient(self.vision_url, concurrency=self.concurrency, retry=self._retry())

    def fapi_client(self) -> HttpClient:
        return HttpClient(self.fapi_url, concurrency=2, retry=self._retry(), name="fapi")

    def exchange_info(self) -> tuple[ExchangeInfo | None, str | None]:
        """exchangeInfo, or None and why it could not be read (e.g. a 451 geo-block)."""

        async def fetch() -> tuple[ExchangeInfo | None, str | None]:
            async with self.fapi_client() as fapi:
                return await try_exchange_info(fapi)

        return asyncio.run(fetch())

    def day_published(self, day: date, symbols: list[str]) -> bool:
        """Whether Vision has the 1m files of `day` for at least half of `symbols`."""

        async def probe() -> bool:
            async with self.vision_client() as http:
                return await day_published(http, symbols, day)

        return asyncio.run(probe())


class ReleaseResource(dg.ConfigurableResource):
    """Where releases go, and (when both are set) the GitHub repository to publish them to."""

    release_dir: str = DEFAULT_RELEASE_DIR
    github_repo: str | None = None
    github_token: str | None = None
    github_api_url: str = DEFAULT_API_URL

    def github_target(self) -> GitHubTarget | None:
        if not (self.github_repo and self.github_token):
            return None
        return GitHubTarget(self.github_repo, self.github_token, self.github_api_url)


class AutomationResource(dg.ConfigurableResource):
    """How the sensors keep the data current, and where run outcomes are pushed."""

    lookback_days: int = 20  # every daily run re-checks this many days: Vision publishes late
    fallback_hour: int = 12  # UTC hour to run anyway when yesterday's files are still missing
    probe_symbols: list[str] = ["BTCUSDT", "ETHUSDT", "XRPUSDT"]  # noqa: RUF012 - pydantic copies
    pushover_token: str | None = None
    pushover_user: str | None = None
    pushover_url: str = PUSHOVER_URL
    notify_success: bool = False

    def pushover(self, title: str, message: str) -> bool:
        """Send when configured; never raises (a failed notification must not fail anything)."""
        if not (self.pushover_token and self.pushover_user):
            return False
        return send_pushover(
            self.pushover_token, self.pushover_user, title, message, url=self.pushover_url
        )


# DuckDB's default limit is 80 % of RAM, and it keeps what it read cached up to it: inserting
# and committing a whole history's indexes, or copying the database for a release, took
# 700 MB. Beyond this limit DuckDB evicts its cache and spills to its temp directory.
DUCKDB_MEMORY_LIMIT = "512MB"


class Warehouse(DuckDBResource):
    """The working DuckDB database (one writer at a time), migrated on every connection."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with super().get_connection() as conn:
            migrate(conn)
            yield conn


def _setting(name: str, default: str | None) -> str | dg.EnvVar | None:
    """The env var when set (shown by name in the UI), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _int_setting(name: str, default: int) -> int | dg.EnvVar:
    return dg.EnvVar.int(name) if os.environ.get(name) else default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "vision": VisionResource(
            vision_url=_setting("BFA_VISION_URL", DEFAULT_VISION_URL),
            fapi_url=_setting("BFA_FAPI_URL", DEFAULT_FAPI_URL),
            concurrency=_int_setting("BFA_HTTP_CONCURRENCY", DEFAULT_HTTP_CONCURRENCY),
        ),
        "warehouse": Warehouse(
            database=_setting("BFA_DUCKDB_PATH", DEFAULT_DUCKDB_PATH),
            connection_config={"memory_limit": DUCKDB_MEMORY_LIMIT},
        ),
        "release": ReleaseResource(
            release_dir=_setting("BFA_RELEASE_DIR", DEFAULT_RELEASE_DIR),
            github_repo=_setting("BFA_GITHUB_REPO", None),
            github_token=_setting("GITHUB_TOKEN", None),  # an EnvVar: the UI shows its name only
            github_api_url=_setting("BFA_GITHUB_API_URL", DEFAULT_API_URL),
        ),
        "automation": AutomationResource(
            lookback_days=_int_setting("BFA_LOOKBACK_DAYS", 20),
            fallback_hour=_int_setting("BFA_FALLBACK_HOUR", 12),
            probe_symbols=os.environ.get("BFA_PROBE_SYMBOLS", "BTCUSDT,ETHUSDT,XRPUSDT").split(","),
            pushover_token=_setting("PUSHOVER_TOKEN", None),
            pushover_user=_setting("PUSHOVER_USER", None),
            pushover_url=_setting("BFA_PUSHOVER_URL", PUSHOVER_URL),
            notify_success=os.environ.get("BFA_NOTIFY_SUCCESS", "") in ("1", "true", "yes"),
        ),
    }
