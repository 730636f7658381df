"""Fetching and parsing 1d files in batches: the same rows whatever the batch size."""

from __future__ import annotations

import asyncio

from polars.testing import assert_frame_equal

from bfa_assets.vision.http import HttpClient
from bfa_assets.vision.volume import fetch_and_parse, plan_sources
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START


def test_parsing_in_batches_gives_the_rows_of_one_big_parse(sim, tiny):
    needs = {
        s: [r["date"] for r in tiny.availability_truth(TINY_START, TINY_END)
            if r["symbol"] == s and r["available"]]
        for s in tiny.symbols
    }  # fmt: skip

    async def go(batch_size: int):
        async with HttpClient(sim.vision_url) as http:
            plan = await plan_sources(http, needs, TINY_END)
            return await fetch_and_parse(http, plan.sources, lambda _: None, batch_size)

    small, whole = asyncio.run(go(7)), asyncio.run(go(100_000))
    assert len(small.sources) == len(whole.sources) > 7 * 3
    assert_frame_equal(small.parsed.rows.drop("fetched_at"), whole.parsed.rows.drop("fetched_at"))
    assert_frame_equal(
        small.parsed.files.drop("fetched_at").sort("source_key"),
        whole.parsed.files.drop("fetched_at").sort("source_key"),
    )
    assert sorted(f.source.key for f in small.parsed.failures) == sorted(
        f.source.key for f in whole.parsed.failures
    )
    assert small.parsed.days_without_bar == whole.parsed.days_without_bar
    truth = tiny.volume_truth(TINY_START, TINY_END)
    assert small.parsed.rows.height == len(truth)
