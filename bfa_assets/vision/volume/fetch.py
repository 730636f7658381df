"""Fetching 1d files verified, by a fixed pool of workers, parsed in batches as they come.

Each zip is verified against its CHECKSUM (or, when Vision published none, against the MD5 in
its ETag) before it is parsed; a file that fails is fetched again, then reported, and never
stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from bfa_assets.http.client import HttpClient, Response
from bfa_assets.vision import klines
from bfa_assets.vision.volume.bars import Failed, Fetched, Parsed, parse_bars
from bfa_assets.vision.volume.plan import Source

INTEGRITY_ATTEMPTS = 3
PARSE_BATCH = 2000  # fetched files parsed together (one read_csv), then their bodies let go


@dataclass
class Downloaded:
    """What `fetch_and_parse` fetched and parsed; the bars themselves went to its `on_bars`."""

    sources: list[Source] = field(default_factory=list)  # verified (a file may fail to parse)
    failures: list[Failed] = field(default_factory=list)  # downloads and parses that failed
    rows: int = 0
    _files: list[pl.DataFrame] = field(default_factory=list)
    _without_bar: list[pl.DataFrame] = field(default_factory=list)

    def add(self, part: Parsed) -> None:
        self.failures += part.failures
        self.rows += part.bars.height
        self._files.append(part.files)
        self._without_bar.append(part.without_bar)

    @property
    def files(self) -> pl.DataFrame:
        """One row per good file, as `Parsed.files`."""
        return pl.concat(self._files)

    @property
    def days_without_bar(self) -> int:
        return sum(part.height for part in self._without_bar)

    def without_bar(self) -> dict[str, set[date]]:
        """source_key -> the needed days that the good file holds no bar for (few, if any)."""
        frame = pl.concat(self._without_bar).group_by("source_key").agg("date")
        return {key: set(days) for key, days in frame.iter_rows()}


async def fetch_verified(http: HttpClient, source: Source) -> Fetched | Failed:
    """The source's CSV rows, verified; a failing file is fetched again, then reported."""
    reason = ""
    basename = source.key.rsplit("/", 1)[1]
    for _ in range(INTEGRITY_ATTEMPTS):
        checksum = None
        if source.has_checksum:
            checksum = await http.get(f"{source.key}.CHECKSUM", _body)
        got = await http.get(source.key, _body_and_etag)
        if got is None:
            return Failed(source, "the zip disappeared after it was listed (404)")
        data, etag = got
        try:
            if checksum is not None:
                digest = klines.verify_sha256(data, klines.checksum_digest(checksum, basename))
            else:
                digest = klines.verify_md5(data, etag)
            body, rows = klines.csv_rows(klines.unzip_member(data))
        except klines.IntegrityError as error:
            reason = str(error)
            continue
        return Fetched(source, etag, digest, body, rows)
    return Failed(source, f"{reason} (after {INTEGRITY_ATTEMPTS} downloads)")


def _body(response: Response) -> bytes:
    return response.content


def _body_and_etag(response: Response) -> tuple[bytes, str]:
    return response.content, response.headers.get("etag", "").strip('"')


async def fetch_and_parse(
    http: HttpClient,
    sources: Sequence[Source],
    on_progress: Callable[[str], None],
    on_bars: Callable[[pl.DataFrame], None],
    batch_size: int = PARSE_BATCH,
) -> Downloaded:
    """Every source fetched, verified and parsed; its bars handed to `on_bars` batch by batch.

    A fixed pool of workers (twice the client's concurrency, not a task per file) takes the
    sources in turn: while a worker verifies the file it got, another's request has its slot.
    Every `batch_size` fetched files are parsed, their bars handed on (e.g. inserted) and let
    go with the bodies, in one thread beside the event loop (Polars and DuckDB release the
    GIL), one batch after the other: the requests go on meanwhile, and memory holds a batch or
    two, not a whole history's zips or bars.
    """
    todo = iter(sources)
    pending: list[Fetched] = []
    failed: list[Failed] = []  # downloads that failed (the parser adds parse failures apart)
    downloaded = Downloaded()
    step = max(1, len(sources) // 10)
    loop = asyncio.get_running_loop()
    parsed: list[asyncio.Future[None]] = []

    def parse(batch: list[Fetched]) -> None:  # in the parsing thread
        part = parse_bars(batch)
        on_bars(part.bars)
        downloaded.add(part)

    def hand_over(batch: list[Fetched]) -> None:
        for earlier in parsed:
            if earlier.done() and earlier.exception() is not None:
                raise earlier.exception()  # type: ignore[misc]  # fail now, not at the end
        parsed.append(loop.run_in_executor(parser, parse, batch))

    async def worker() -> None:
        nonlocal pending
        for source in todo:  # shared: each worker takes the next source
            result = await fetch_verified(http, source)
            if isinstance(result, Failed):
                failed.append(result)
            else:
                downloaded.sources.append(source)
                pending.append(result)
                if len(pending) >= batch_size:
                    batch, pending = pending, []
                    hand_over(batch)
            done = len(downloaded.sources) + len(failed)
            if done % step == 0 or done == len(sources):
                on_progress(
                    f"fetched {done}/{len(sources)} 1d files ({http.stats.requests} requests)"
                )

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bfa-parse") as parser:
        try:
            workers = min(2 * http.concurrency, len(sources))
            await asyncio.gather(*(worker() for _ in range(workers)))
            hand_over(pending)
        finally:
            await asyncio.gather(*parsed, return_exceptions=True)  # no thread left running
        for parsing in parsed:
            parsing.result()  # a parse that failed fails the fetch
    downloaded.failures += failed
    return downloaded
