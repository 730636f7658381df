"""Fewer garbage collections during a big step (and in the test simulator's process).

A full history keeps millions of small objects alive at once (listed files, parsed bars) on
top of everything Dagster has loaded, and Python's collector, triggered every 700 allocations,
walked them again and again (docs/benchmarks.md). Inside `fewer_collections` what exists is
frozen out of collection and young collections run a hundred times less often; the settings
and the frozen objects before it are restored at the end, so a test process or a long-lived
worker is left as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 70_000  # allocations between young collections (Python's default: 700)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Inside: what exists is frozen (unless the process froze its heap itself: then that
    stays as it is) and young collections are rarer. After: the thresholds and the frozen
    objects are what they were (gc.unfreeze() thaws everything, so it runs only if this froze)."""
    thresholds = gc.get_threshold()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if froze:
            gc.unfreeze()
