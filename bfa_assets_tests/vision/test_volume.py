"""Fetching and parsing 1d files in batches: the same rows whatever the batch size."""

from __future__ import annotations

import asyncio
import threading

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bfa_assets.http.client import HttpClient
from bfa_assets.vision.volume.fetch import fetch_and_parse
from bfa_assets.vision.volume.plan import plan_sources
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START


def _needs(tiny) -> dict:
    return {
        s: [r["date"] for r in tiny.availability_truth(TINY_START, TINY_END)
            if r["symbol"] == s and r["available"]]
        for s in tiny.symbols
    }  # fmt: skip


def test_parsing_in_batches_gives_the_rows_of_one_big_parse(sim, tiny):
    needs = _needs(tiny)

    async def go(batch_size: int):
        parts = []
        async with HttpClient(sim.vision_url) as http:
            plan = await plan_sources(http, "um", needs, TINY_END)
            downloaded = await fetch_and_parse(
                http, plan.sources, lambda _: None, parts.append, batch_size
            )
        return downloaded, pl.concat(parts).sort("date", "symbol"), len(parts)

    (small, small_rows, small_parts), (whole, whole_rows, whole_parts) = (
        asyncio.run(go(7)),
        asyncio.run(go(100_000)),
    )
    assert len(small.sources) == len(whole.sources) > 7 * 3
    assert small_parts == len(small.sources) // 7 + 1 and whole_parts == 1
    assert_frame_equal(small_rows, whole_rows)
    assert small.rows == whole.rows == small_rows.height
    assert_frame_equal(
        small.files.sort("source_key"),
        whole.files.sort("source_key"),
    )
    assert sorted(f.source.key for f in small.failures) == sorted(
        f.source.key for f in whole.failures
    )
    assert small.days_without_bar == whole.days_without_bar
    truth = tiny.volume_truth(TINY_START, TINY_END)
    assert small_rows.height == len(truth)


def test_a_batch_that_cannot_be_stored_fails_the_fetch_and_leaves_no_thread(sim, tiny):
    """Batches are parsed and handed on in a thread beside the requests: a failure there (the
    store refusing the bars, say) is the fetch's failure, raised once no batch is in flight."""
    needs = _needs(tiny)
    handed: list[int] = []

    def refuse_the_second(bars: pl.DataFrame) -> None:
        handed.append(bars.height)
        if len(handed) == 2:
            raise OSError("disk full")

    async def go():
        async with HttpClient(sim.vision_url) as http:
            plan = await plan_sources(http, "um", needs, TINY_END)
            await fetch_and_parse(http, plan.sources, lambda _: None, refuse_the_second, 5)

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(go())
    assert len(handed) >= 2
    assert not [t for t in threading.enumerate() if t.name.startswith("bfa-parse")]
