"""The adaptive concurrency limit: a ceiling never exceeded, cut by half once per congestion
event (never below the floor), grown back by one slot per round trip of successes."""

from __future__ import annotations

import asyncio

import pytest

from bfa_assets.http.adaptive import AdaptiveLimit


async def hold_all(limit: AdaptiveLimit, holders: int, seconds: float = 0.001) -> int:
    """Run `holders` tasks that each hold a slot a moment; the most that held one at once."""
    held, most = 0, 0

    async def one() -> None:
        nonlocal held, most
        await limit.acquire()
        held += 1
        most = max(most, held)
        await asyncio.sleep(seconds)
        held -= 1
        limit.release()

    await asyncio.gather(*(one() for _ in range(holders)))
    return most


def test_no_more_holders_than_the_limit_and_the_peak_is_reported():
    limit = AdaptiveLimit(8)
    assert asyncio.run(hold_all(limit, 50)) == 8
    assert limit.peak == 8 and limit.in_flight == 0


def test_one_congestion_event_cuts_the_limit_once():
    async def go() -> AdaptiveLimit:
        limit = AdaptiveLimit(16)
        epochs = [await limit.acquire() for _ in range(10)]
        for epoch in epochs:  # a burst of SlowDown for ten requests of one round trip
            limit.release()
            limit.on_throttle(epoch)
        return limit

    limit = asyncio.run(go())
    assert (limit.limit, limit.backoffs, limit.lowest) == (8, 1, 8)


def test_a_request_started_after_a_cut_can_cut_again_down_to_the_floor():
    async def go() -> AdaptiveLimit:
        limit = AdaptiveLimit(64, floor=4)
        for _ in range(10):
            epoch = await limit.acquire()
            limit.release()
            limit.on_throttle(epoch)
        return limit

    limit = asyncio.run(go())
    assert limit.limit == 4 and limit.backoffs == 10 and limit.lowest == 4


def test_successes_grow_the_limit_by_one_per_round_trip_up_to_the_ceiling():
    async def go() -> tuple[AdaptiveLimit, list[int]]:
        limit = AdaptiveLimit(12)
        limit.on_throttle(await limit.acquire())
        limit.release()
        sizes = []
        for _ in range(6):  # one round trip: as many successes as the limit allows
            for _ in range(int(limit.limit)):
                limit.on_success()
            sizes.append(int(limit.limit))
        for _ in range(1000):
            limit.on_success()
        return limit, sizes

    limit, sizes = asyncio.run(go())
    assert sizes == [7, 8, 9, 10, 11, 12]
    assert limit.limit == 12 and limit.backoffs == 1


def test_isolated_server_errors_do_not_cut_but_a_burst_does():
    async def go(errors_in_twenty: int) -> AdaptiveLimit:
        limit = AdaptiveLimit(32, burst=5, window=20)
        for i in range(200):
            epoch = await limit.acquire()
            limit.release()
            if i % 20 < errors_in_twenty:
                limit.on_server_error(epoch)
            else:
                limit.on_success()
        return limit

    assert asyncio.run(go(4)).backoffs == 0
    assert asyncio.run(go(5)).backoffs > 0


def test_after_a_cut_new_requests_wait_until_fewer_than_the_new_limit_are_in_flight():
    async def go() -> list[int]:
        limit = AdaptiveLimit(8, floor=2)
        epochs = [await limit.acquire() for _ in range(8)]
        limit.on_throttle(epochs[0])  # the limit is now 4, with 8 in flight
        waiting = asyncio.ensure_future(limit.acquire())
        in_flight_when_granted = []
        for _ in range(8):
            await asyncio.sleep(0)
            if waiting.done() and not in_flight_when_granted:
                in_flight_when_granted.append(limit.in_flight)
            limit.release()
        return in_flight_when_granted

    assert asyncio.run(go()) == [4]  # granted once 3 others were left, itself the fourth


def test_a_cancelled_waiter_leaves_no_slot_taken():
    async def go() -> AdaptiveLimit:
        limit = AdaptiveLimit(1)
        await limit.acquire()
        waiter = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        limit.release()
        assert await hold_all(limit, 3) == 1
        return limit

    assert asyncio.run(go()).in_flight == 0


def test_the_metadata_names_ceiling_peak_lowest_final_and_backoffs():
    limit = AdaptiveLimit(8)
    asyncio.run(hold_all(limit, 20))
    limit.on_throttle(0)
    assert limit.as_metadata() == {
        "concurrency_ceiling": 8,
        "concurrency_reached": 8,
        "concurrency_lowest": 4,
        "concurrency_final": 4,
        "concurrency_backoffs": 1,
    }
