"""How many requests may be in flight: a ceiling, and an adaptive limit below it (AIMD).

S3 answers `503 SlowDown` when a prefix is asked too hard, and a REST API answers 429; a client
that keeps its full concurrency then only collects more of them. Like TCP congestion control
and botocore's `adaptive` retry mode, the limit is cut by half (never below a small floor) on
a throttling signal and grows back by one slot per round trip (one per `limit` successes)
while requests succeed, up to the ceiling it starts at.

One congestion event cuts the limit once: a signal from a request that started before the
last cut is ignored, the way TCP reacts at most once per round trip, so the 200 requests in
flight during one burst of `SlowDown` halve the limit once, not 200 times. Other 5xx answers
are a signal only in a burst (`burst` of the last `window` answers), so an isolated
`InternalError` costs a retry, not half the throughput.
"""

from __future__ import annotations

import asyncio
from collections import deque


class AdaptiveLimit:
    """At most `limit` holders at once; `acquire` returns the epoch to report outcomes with."""

    def __init__(self, ceiling: int, *, floor: int = 4, burst: int = 5, window: int = 20) -> None:
        if ceiling < 1:
            raise ValueError(f"the concurrency ceiling must be at least 1, not {ceiling}")
        self.ceiling = ceiling
        self.floor = max(1, min(floor, ceiling))
        self.limit = ceiling
        self.in_flight = 0
        self.peak = 0  # the most requests ever in flight at once
        self.lowest = ceiling  # the lowest the limit was cut to
        self.backoffs = 0  # congestion events, each one cut
        self._burst = burst
        self._errors: deque[bool] = deque(maxlen=window)  # recent answers: a 5xx or not
        self._epoch = 0  # how many cuts so far
        self._successes = 0  # since the limit last changed
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a slot (first come, first served); the current epoch."""
        if self._waiters or self.in_flight >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # `_wake` counted this holder in `in_flight` before waking it
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.release()  # woken and cancelled at once: hand the slot on
                else:
                    self._waiters.remove(waiter)
                raise
        else:
            self._take()
        return self._epoch

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def on_success(self) -> None:
        """An answer that is no throttling signal: grow by one slot per round trip."""
        self._errors.append(False)
        if self.limit < self.ceiling:
            self._successes += 1
            if self._successes >= self.limit:
                self.limit += 1
                self._successes = 0
                self._wake()

    def on_throttle(self, epoch: int) -> None:
        """`SlowDown` or 429 for a request that started in `epoch`."""
        self._cut(epoch)

    def on_server_error(self, epoch: int) -> None:
        """Another 5xx: a signal when `burst` of the recent answers were one."""
        self._errors.append(True)
        if sum(self._errors) >= self._burst:
            self._cut(epoch)

    def as_metadata(self) -> dict[str, int]:
        return {
            "concurrency_ceiling": self.ceiling,
            "concurrency_reached": self.peak,
            "concurrency_lowest": self.lowest,
            "concurrency_final": self.limit,
            "concurrency_backoffs": self.backoffs,
        }

    def _cut(self, epoch: int) -> None:
        if epoch < self._epoch:
            return  # started before the last cut: the same congestion event
        self._epoch += 1
        self.backoffs += 1
        self.limit = max(self.floor, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)
        self._successes = 0
        self._errors.clear()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)

    def _take(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
