"""Listed rows staged part by part in one thread beside the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

G = TypeVar("G", bound=Hashable)  # what listings are grouped by (a market; a dataset)
T = TypeVar("T")  # what a listing found


@dataclass
class Stager(Generic[G, T]):
    """What listings found (`listed(group, name, found)`), handed to `stage(group, {name: found})`
    `per_part` names at a time, in one thread beside the event loop (Polars and DuckDB release
    the GIL): the listings go on meanwhile, and memory holds a part or two, not a whole
    history's listed files."""

    stage: Callable[[G, dict[str, T]], None]
    per_part: int
    _pending: dict[G, dict[str, T]] = field(default_factory=dict)
    _staged: list[asyncio.Future[None]] = field(default_factory=list)
    _thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="bfa-stage")
    )

    async def run(self, listings: Iterable[Awaitable[None]]) -> None:
        """Await the `listings` (which call `listed`), then stage what is left; no thread is
        left staging when this returns or raises."""
        try:
            await asyncio.gather(*listings)
            for group in list(self._pending):
                self._hand_over(group)
        finally:
            await asyncio.gather(*self._staged, return_exceptions=True)
            self._thread.shutdown()
        for staging in self._staged:
            staging.result()  # a part that failed to stage fails the window

    def listed(self, group: G, name: str, found: T) -> None:
        pending = self._pending.setdefault(group, {})
        pending[name] = found
        if len(pending) >= self.per_part:
            self._hand_over(group)

    def _hand_over(self, group: G) -> None:
        found = self._pending.pop(group, {})
        loop = asyncio.get_running_loop()
        self._staged.append(loop.run_in_executor(self._thread, self.stage, group, found))
