"""The HTTP client: what is retried, what is final, and how hard it hits the server."""

from __future__ import annotations

import asyncio

import pytest

from bfa_assets.http.client import HttpClient, HTTPFailure
from bfa_assets.http.retry import RetryPolicy
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, build

KEY = "data/futures/um/daily/klines/ETHUSDT/1d/ETHUSDT-1d-2022-09-01.zip"
FAST = RetryPolicy(max_attempts=6, initial_wait=0.01, max_wait=0.05)


def fetch(url: str, path: str, *, retry: RetryPolicy = FAST, params=None, concurrency: int = 8):
    async def go():
        async with HttpClient(url, retry=retry, concurrency=concurrency) as http:
            return await http.get(path, lambda r: r.content, params), http.stats

    return asyncio.run(go())


def test_a_404_means_absent_and_is_not_retried(sim):
    body, stats = fetch(sim.vision_url, KEY.replace("09-01", "08-02"))  # a gap day
    assert body is None and stats.requests == 1 and stats.retries == 0
    assert stats.as_metadata()["answers_404"] == 1  # reported: "not there" is a fact of the run


@pytest.mark.parametrize("kind", ["503", "500", "reset", "truncate"])
def test_transient_failures_are_retried_until_the_real_bytes_arrive(sim, kind):
    keys = [KEY.replace("09-01", f"09-{d:02d}") for d in range(1, 11)]
    clean = [fetch(sim.vision_url, key)[0] for key in keys]
    sim.set_faults(FaultPlan.parse(f"{kind}=0.5", seed=11))
    fetched = [fetch(sim.vision_url, key) for key in keys]
    assert [body for body, _ in fetched] == clean
    assert sim.app.faults.injected[kind] >= 3
    # aiohttp itself resends an idempotent request once after a reset (RFC 9112 §9.3.1)
    if kind != "reset":
        assert sum(stats.retries for _, stats in fetched) == sim.app.faults.injected[kind]


def test_other_client_errors_are_final_and_name_url_and_status(sim):
    with pytest.raises(HTTPFailure, match=r"answered HTTP 400: .*InvalidArgument") as error:
        fetch(sim.vision_url, "", params={"prefix": "data/", "start-after": "x"})
    assert error.value.status == 400 and "start-after=x" in str(error.value)


def test_exhausted_retries_say_how_many_attempts_were_made(sim):
    sim.set_faults(FaultPlan.parse("500=1"))
    with pytest.raises(HTTPFailure, match=r"still failing after 6 attempts: HTTP 500"):
        fetch(sim.vision_url, KEY)


def test_retry_after_is_honoured(sim):
    sim.set_faults(FaultPlan.parse("429=0.5@/fapi/", seed=2))
    results = [fetch(sim.fapi_url, "fapi/v1/ping", params={"n": n}) for n in range(12)]
    retried = [stats for _, stats in results if stats.retries]
    assert retried, "the seed should produce at least one 429"
    assert all(stats.waited_seconds >= 1.0 * stats.retries for stats in retried)  # Retry-After: 1


def test_no_more_requests_in_flight_than_the_concurrency_allows():
    with SimServer(build("tiny"), FaultPlan.parse("", latency_ms=30)) as sim:

        async def go():
            async with HttpClient(sim.vision_url, concurrency=5) as http:
                days = [f"{KEY[:-6]}{d:02d}.zip" for d in range(1, 31)]
                await asyncio.gather(*(http.get(k, lambda r: r.content) for k in days))

        asyncio.run(go())
        assert sim.app.stats["max_in_flight"] == 5


def get_all(url: str, paths: list[str], concurrency: int, retry: RetryPolicy = FAST):
    """Every path fetched at once through one client; the bodies and the client's stats."""

    async def go():
        async with HttpClient(url, concurrency=concurrency, retry=retry) as http:
            bodies = await asyncio.gather(*(http.get(p, lambda r: r.content) for p in paths))
            return bodies, http.stats

    return asyncio.run(go())


DAYS = [f"{KEY[:-9]}{month:02d}-{day:02d}.zip" for month in (7, 8, 9) for day in range(1, 29)]


def test_without_faults_the_client_uses_its_whole_ceiling_and_never_more():
    with SimServer(build("tiny"), FaultPlan.parse("", latency_ms=30)) as sim:
        _, stats = get_all(sim.vision_url, DAYS, concurrency=16)
        assert sim.app.stats["max_in_flight"] == 16
    assert stats.requests == len(DAYS) and stats.retries == 0
    concurrency = {k: v for k, v in stats.as_metadata().items() if k.startswith("concurrency_")}
    assert concurrency == {
        "concurrency_ceiling": 16,
        "concurrency_reached": 16,
        "concurrency_lowest": 16,
        "concurrency_final": 16,
        "concurrency_backoffs": 0,
    }


def test_a_storm_of_slowdown_cuts_the_concurrency_and_every_body_still_arrives():
    with SimServer(build("tiny"), FaultPlan.parse("", latency_ms=30)) as sim:
        clean, _ = get_all(sim.vision_url, DAYS, concurrency=16)
        sim.set_faults(FaultPlan.parse("503=0.5", latency_ms=30, seed=4))
        sim.app.stats.clear()
        bodies, stats = get_all(sim.vision_url, DAYS, 16, RetryPolicy(20, 60, 0.01, 0.05))
        assert sim.app.stats["max_in_flight"] <= 16
        assert sim.app.faults.injected["503"] > 20
    assert bodies == clean
    meta = stats.as_metadata()
    assert meta["concurrency_backoffs"] > 0 and meta["concurrency_lowest"] < 16
    assert meta["concurrency_reached"] <= 16


def test_urls_percent_encode_utf8_segments_but_keep_slashes():
    client = HttpClient("http://127.0.0.1:1/bucket/")
    assert client.url("data/币安人生USDT/a b.zip") == (
        "http://127.0.0.1:1/bucket/data/%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT/a%20b.zip"
    )
    assert client.url("") == "http://127.0.0.1:1/bucket"
