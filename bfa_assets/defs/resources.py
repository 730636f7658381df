"""Resources: one per service the assets talk to, each built from its environment variables.

Every setting has a default for the real services (bfa_assets/common/settings.py); when its
environment variable is set, the resource holds a Dagster `EnvVar`, so the UI shows the
variable's name (never a secret's value).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from bfa_assets.automation.notify import PUSHOVER_URL, send_pushover
from bfa_assets.automation.probes import probe_symbols
from bfa_assets.common import settings
from bfa_assets.exchange.info import ExchangeInfo, try_exchange_info
from bfa_assets.http.client import HttpClient
from bfa_assets.http.retry import RetryPolicy
from bfa_assets.release.github import DEFAULT_API_URL, GitHubTarget
from bfa_assets.store import memory
from bfa_assets.store.schema import migrate
from bfa_assets.vision.publication import markets_published

# A sensor's look at Vision: at most ~40 s in all (attempts of at most 10 s within 25 s).
PROBE_RETRY = RetryPolicy(max_attempts=3, max_total_seconds=25.0, max_wait=5.0)


class _HttpService(dg.ConfigurableResource):
    """What every HTTP service shares: how hard to retry a request."""

    retry_attempts: int = 8
    retry_max_seconds: float = 180.0

    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_attempts, max_total_seconds=self.retry_max_seconds
        )


class VisionResource(_HttpService):
    """Binance Vision, an S3 bucket: listings and objects."""

    vision_url: str = settings.VISION_URL
    concurrency: int = settings.HTTP_CONCURRENCY

    def client(self) -> HttpClient:
        return HttpClient(self.vision_url, concurrency=self.concurrency, retry=self.retry())

    def published(self, day: date, probes: dict[str, list[str]]) -> dict[str, bool]:
        """Whether each market of `probes` (market -> its probe symbols) has the 1m files of
        `day` on Vision for at least half of its symbols.

        For a sensor tick, which Dagster cuts off after 60 s: the markets looked at together,
        a few short attempts, then HTTPFailure, instead of the assets' patient policy.
        """

        async def probe() -> dict[str, bool]:
            quick = HttpClient(self.vision_url, concurrency=8, timeout=10, retry=PROBE_RETRY)
            async with quick as http:
                return await markets_published(http, probes, day)

        return asyncio.run(probe())


class _ExchangeApi(_HttpService):
    """A market's REST API: exchangeInfo, for enrichment and the cross-check."""

    market: ClassVar[str]  # um | cm
    name: ClassVar[str]  # fapi | dapi

    @property
    def url(self) -> str:
        return getattr(self, f"{self.name}_url")

    def client(self) -> HttpClient:
        return HttpClient(self.url, concurrency=2, retry=self.retry(), name=self.name)

    def exchange_info(self) -> tuple[ExchangeInfo | None, str | None]:
        """exchangeInfo, or None and why it could not be read (e.g. a 451 geo-block)."""

        async def fetch() -> tuple[ExchangeInfo | None, str | None]:
            async with self.client() as api:
                return await try_exchange_info(api, self.market)

        return asyncio.run(fetch())


class FapiResource(_ExchangeApi):
    """The USD-M REST API."""

    market: ClassVar[str] = "um"
    name: ClassVar[str] = "fapi"
    fapi_url: str = settings.FAPI_URL


class DapiResource(_ExchangeApi):
    """The COIN-M REST API."""

    market: ClassVar[str] = "cm"
    name: ClassVar[str] = "dapi"
    dapi_url: str = settings.DAPI_URL


class ReleaseResource(dg.ConfigurableResource):
    """Where releases go, and (when both are set) the GitHub repository to publish them to."""

    release_dir: str = settings.RELEASE_DIR
    github_repo: str | None = None
    github_token: str | None = None
    github_api_url: str = DEFAULT_API_URL
    releases_kept: int = settings.RELEASES_KEPT

    def github_target(self) -> GitHubTarget | None:
        if not (self.github_repo and self.github_token):
            return None
        return GitHubTarget(self.github_repo, self.github_token, self.github_api_url)


class AutomationResource(dg.ConfigurableResource):
    """How the sensors keep the data current, and where run outcomes are pushed."""

    lookback_days: int = settings.LOOKBACK_DAYS
    fallback_hour: int = settings.FALLBACK_HOUR
    probe_symbols: list[str] = settings.PROBE_SYMBOLS.split(",")  # BFA_PROBE_SYMBOLS' entries
    pushover_token: str | None = None
    pushover_user: str | None = None
    pushover_url: str = PUSHOVER_URL
    notify_success: bool = False

    def probes(self) -> dict[str, list[str]]:
        """Each market's probe symbols: every market, none without symbols."""
        return probe_symbols(self.probe_symbols)

    def pushover(self, title: str, message: str) -> bool:
        """Send when configured; never raises (a failed notification must not fail anything)."""
        if not (self.pushover_token and self.pushover_user):
            return False
        return send_pushover(
            self.pushover_token, self.pushover_user, title, message, url=self.pushover_url
        )


class Warehouse(DuckDBResource):
    """The working DuckDB database (one writer at a time), migrated on every connection, which
    may cache up to `store.memory.WRITE_LIMIT`.

    The connection is closed however the block ends: dagster-duckdb closes it only when the
    block succeeds, and a connection left open by a failed step keeps the file locked for the
    rest of the process.
    """

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with super().get_connection() as conn:
            try:
                migrate(conn)
                yield conn
            finally:
                conn.close()

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that only reads (the checks), its cache bounded by READ_LIMIT: a check
        scans whole tables, and its memory must not grow with the history."""
        with self.get_connection() as conn:
            conn.execute(f"SET memory_limit = '{memory.READ_LIMIT}'")
            yield conn


def _setting(name: str, default: str | None) -> str | dg.EnvVar | None:
    """The env var when set (shown by name in the UI), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _int_setting(name: str, default: int) -> int | dg.EnvVar:
    return dg.EnvVar.int(name) if os.environ.get(name) else default


def _probe_entries() -> list[str]:
    """BFA_PROBE_SYMBOLS' entries, read once here so that a wrong entry fails the code
    location's load, saying which (automation/probes.py), not the sensor's ticks later."""
    entries = os.environ.get("BFA_PROBE_SYMBOLS", settings.PROBE_SYMBOLS).split(",")
    probe_symbols(entries)
    return entries


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "vision": VisionResource(
            vision_url=_setting("BFA_VISION_URL", settings.VISION_URL),
            concurrency=_int_setting("BFA_HTTP_CONCURRENCY", settings.HTTP_CONCURRENCY),
        ),
        "fapi": FapiResource(fapi_url=_setting("BFA_FAPI_URL", settings.FAPI_URL)),
        "dapi": DapiResource(dapi_url=_setting("BFA_DAPI_URL", settings.DAPI_URL)),
        "warehouse": Warehouse(
            database=_setting("BFA_DUCKDB_PATH", settings.DUCKDB_PATH),
            connection_config={"memory_limit": memory.WRITE_LIMIT},
        ),
        "release": ReleaseResource(
            release_dir=_setting("BFA_RELEASE_DIR", settings.RELEASE_DIR),
            github_repo=_setting("BFA_GITHUB_REPO", None),
            github_token=_setting("GITHUB_TOKEN", None),  # an EnvVar: the UI shows its name only
            github_api_url=_setting("BFA_GITHUB_API_URL", DEFAULT_API_URL),
            releases_kept=_int_setting("BFA_RELEASES_KEPT", settings.RELEASES_KEPT),
        ),
        "automation": AutomationResource(
            lookback_days=_int_setting("BFA_LOOKBACK_DAYS", settings.LOOKBACK_DAYS),
            fallback_hour=_int_setting("BFA_FALLBACK_HOUR", settings.FALLBACK_HOUR),
            probe_symbols=_probe_entries(),
            pushover_token=_setting("PUSHOVER_TOKEN", None),
            pushover_user=_setting("PUSHOVER_USER", None),
            pushover_url=_setting("BFA_PUSHOVER_URL", PUSHOVER_URL),
            notify_success=os.environ.get("BFA_NOTIFY_SUCCESS", "") in ("1", "true", "yes"),
        ),
    }
