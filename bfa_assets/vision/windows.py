"""Listing a window folder by folder: every listing ends before the window fails as a whole."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence


class WindowFailed(Exception):
    """Some folders could not be listed for the window; nothing of the window may be written."""


async def list_each(
    names: Sequence[str], one: Callable[[str], Awaitable[None]], what: str, kind: str
) -> None:
    """Run `one(name)` for every name at once; once all have ended, raise WindowFailed naming
    the failures (`listing {what} failed for N {kind}(s): …`)."""
    results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
    failures = {n: r for n, r in zip(names, results, strict=True) if isinstance(r, BaseException)}
    if failures:
        details = "; ".join(f"{n}: {e}" for n, e in list(failures.items())[:5])
        raise WindowFailed(f"listing {what} failed for {len(failures)} {kind}(s): {details}")
