"""Daily bars from Vision's 1d kline files: which files to read, fetching them verified, rows.

For each symbol, a month whose monthly 1d file exists (with its CHECKSUM) is read from that one
object; other days come from daily 1d files. Each zip is verified against its CHECKSUM (or, when
Vision published none, against the MD5 in its ETag) before it is parsed; a file that fails is
fetched again, then reported, and never stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl

from bfa_assets.vision import keys, klines
from bfa_assets.vision.daily_files import list_daily_files, runs
from bfa_assets.vision.http import HttpClient, Response
from bfa_assets.vision.listing import S3Object, list_objects

INTEGRITY_ATTEMPTS = 3
PARSE_BATCH = 2000  # fetched files parsed together (one read_csv), then their bodies let go
MAX_GAP_DAYS = 31  # days without a needed daily file that one listing may span


@dataclass(frozen=True, slots=True)
class Source:
    """One 1d zip and the available days it is read for."""

    symbol: str
    key: str
    etag: str
    days: tuple[date, ...]
    has_checksum: bool
    monthly: bool


@dataclass
class Plan:
    sources: list[Source] = field(default_factory=list)
    days_without_file: dict[str, list[date]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fetched:
    source: Source
    etag: str  # as served with the bytes
    sha256: str
    body: bytes  # CSV rows without header
    rows: int


@dataclass(frozen=True, slots=True)
class Failed:
    source: Source
    reason: str


async def plan_sources(http: HttpClient, needs: dict[str, list[date]], today: date) -> Plan:
    """Choose a source for every needed (symbol, day): the month's file, else the day's file."""
    plan = Plan()
    per_symbol = await asyncio.gather(
        *(_plan_symbol(http, symbol, days, today) for symbol, days in needs.items())
    )
    for symbol, (sources, missing) in zip(needs, per_symbol, strict=True):
        plan.sources.extend(sources)
        if missing:
            plan.days_without_file[symbol] = missing
    return plan


async def _plan_symbol(
    http: HttpClient, symbol: str, days: list[date], today: date
) -> tuple[list[Source], list[date]]:
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in sorted(days):
        by_month.setdefault((day.year, day.month), []).append(day)
    complete = [m for m in by_month if _month_end(m) < today]
    monthly = await _monthly_files(http, symbol) if complete else {}
    sources = [
        Source(symbol, obj.key, obj.etag, tuple(by_month[m]), True, monthly=True)
        for m, obj in sorted(monthly.items())
        if m in by_month
    ]
    rest = [d for m, month_days in by_month.items() if m not in monthly for d in month_days]
    if not rest:
        return sources, []
    listed = await asyncio.gather(
        *(list_daily_files(http, symbol, "1d", a, b) for a, b in runs(rest, MAX_GAP_DAYS))
    )
    files = {f.day: f for part in listed for f in part}
    for day in rest:
        if (f := files.get(day)) is not None:
            sources.append(Source(symbol, f.key, f.etag, (day,), f.has_checksum, monthly=False))
    return sources, [d for d in rest if d not in files]


def _month_end(month: tuple[int, int]) -> date:
    year, number = month
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


async def _monthly_files(http: HttpClient, symbol: str) -> dict[tuple[int, int], S3Object]:
    """Monthly 1d zips under their canonical key that come with a CHECKSUM."""
    folder = keys.monthly_folder(symbol, "1d")
    listing = await list_objects(http, folder)
    listed = {obj.key for obj in listing.objects}
    found = {}
    for obj in listing.objects:
        name = obj.key[len(folder) :]
        if not name.endswith(".zip") or f"{obj.key}.CHECKSUM" not in listed:
            continue
        try:
            year, month = int(name[-11:-7]), int(name[-6:-4])
        except ValueError:
            continue
        if obj.key == keys.monthly_key(symbol, "1d", year, month):
            found[(year, month)] = obj
    return found


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
    on_rows: Callable[[pl.DataFrame], None],
    batch_size: int = PARSE_BATCH,
) -> Downloaded:
    """Every source fetched, verified and parsed; its rows handed to `on_rows` batch by batch.

    A fixed pool of workers (as many as the client's concurrency, not a task per file) takes
    the sources in turn, and every `batch_size` fetched files are parsed, their rows handed on
    (e.g. inserted) and let go with the bodies: memory holds one batch, not a whole history's
    ~56,000 zips or its ~1.3 M rows.
    """
    fetched_at = datetime.now(UTC)
    todo = iter(sources)
    pending: list[Fetched] = []
    downloaded = Downloaded()
    step = max(1, len(sources) // 10)

    def parse(batch: list[Fetched]) -> None:
        part = volume_rows(batch, fetched_at)
        on_rows(part.rows)
        downloaded.add(part)

    async def worker() -> None:
        nonlocal pending
        for source in todo:  # shared: each worker takes the next source
            result = await fetch_verified(http, source)
            if isinstance(result, Failed):
                downloaded.failures.append(result)
            else:
                downloaded.sources.append(source)
                pending.append(result)
                if len(pending) >= batch_size:
                    batch, pending = pending, []
                    parse(batch)
            done = len(downloaded.sources) + len(downloaded.failures)
            if done % step == 0 or done == len(sources):
                on_progress(
                    f"fetched {done}/{len(sources)} 1d files ({http.stats.requests} requests)"
                )

    await asyncio.gather(*(worker() for _ in range(min(http.concurrency, len(sources)))))
    parse(pending)
    return downloaded


CSV_TO_TABLE = {
    "open": "open_price",
    "high": "high_price",
    "low": "low_price",
    "close": "close_price",
    "volume": "volume_base",
    "count": "trade_count",
    "taker_buy_volume": "taker_buy_volume_base",
}
VOLUME_COLUMNS = {
    "date": pl.Date, "symbol": pl.String, "open_price": pl.Float64, "high_price": pl.Float64,
    "low_price": pl.Float64, "close_price": pl.Float64, "volume_base": pl.Float64,
    "quote_volume": pl.Float64, "trade_count": pl.Int64, "taker_buy_volume_base": pl.Float64,
    "taker_buy_quote_volume": pl.Float64, "source_key": pl.String, "source_etag": pl.String,
    "sha256": pl.String, "fetched_at": pl.Datetime("us", "UTC"),
}  # fmt: skip


@dataclass
class Parsed:
    rows: pl.DataFrame  # VOLUME_COLUMNS, the needed days that the files hold a bar for
    files: pl.DataFrame  # one row per good file: source_key, source_etag, sha256, symbol, bar_days
    failures: list[Failed]
    without_bar: pl.DataFrame  # source_key, date: needed days that a good file holds no bar for


@dataclass
class Downloaded:
    """What `fetch_and_parse` fetched and parsed; the rows themselves went to its `on_rows`."""

    sources: list[Source] = field(default_factory=list)  # verified (a file may fail to parse)
    failures: list[Failed] = field(default_factory=list)  # downloads and parses that failed
    rows: int = 0
    _files: list[pl.DataFrame] = field(default_factory=list)
    _without_bar: list[pl.DataFrame] = field(default_factory=list)

    def add(self, part: Parsed) -> None:
        self.failures += part.failures
        self.rows += part.rows.height
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


def volume_rows(fetched: Sequence[Fetched], fetched_at: datetime | None = None) -> Parsed:
    """Rows for exactly the days each file was read for; files with bad rows are reported.

    A file is authoritative for the days it covers: a needed day it holds no bar for (e.g. a
    monthly file of the month 1d data began) simply gets no row.
    """
    fetched_at = fetched_at or datetime.now(UTC)
    parsed, bad = klines.parse_batch([(i, f.body, f.rows) for i, f in enumerate(fetched)])
    failures = [Failed(fetched[i].source, reason) for i, reason in bad.items()]
    twice = parsed.filter(pl.struct("source", "date").is_duplicated())["source"].unique()
    failures += [Failed(fetched[i].source, "the file holds two bars for one day") for i in twice]
    failed = {f.source.key for f in failures}
    good = [(i, f) for i, f in enumerate(fetched) if f.source.key not in failed]
    files = pl.DataFrame(
        {"source": [i for i, _ in good], "source_key": [f.source.key for _, f in good],
         "source_etag": [f.etag for _, f in good], "sha256": [f.sha256 for _, f in good],
         "symbol": [f.source.symbol for _, f in good],
         "needed": [list(f.source.days) for _, f in good]},
        schema={"source": pl.Int64, "source_key": pl.String, "source_etag": pl.String,
                "sha256": pl.String, "symbol": pl.String, "needed": pl.List(pl.Date)},
    )  # fmt: skip
    bars = parsed.join(files.select("source"), on="source", how="semi")
    needed = files.explode("needed").rename({"needed": "date"})
    rows = needed.join(bars, on=["source", "date"], how="inner")
    without_bar = needed.join(bars, on=["source", "date"], how="anti")
    bar_days = bars.group_by("source").agg(bar_days=pl.col("date").sort())
    return Parsed(
        rows=rows.with_columns(fetched_at=pl.lit(fetched_at))
        .rename(CSV_TO_TABLE)
        .select(list(VOLUME_COLUMNS))
        .cast(VOLUME_COLUMNS)
        .sort("date", "symbol"),
        files=files.join(bar_days, on="source", how="left")
        .with_columns(pl.col("bar_days").fill_null([]), fetched_at=pl.lit(fetched_at))
        .select("source_key", "source_etag", "sha256", "symbol", "bar_days", "fetched_at")
        .cast({"fetched_at": pl.Datetime("us", "UTC")}),
        failures=failures,
        without_bar=without_bar.select("source_key", "date"),
    )


def unchanged(
    source: Source,
    known: dict[str, tuple[str, set[date]]],
    stored: dict[tuple[str, date], tuple[str, str]],
) -> bool:
    """Whether a fetch would add nothing: the same file version was read before, and every
    needed day it holds a bar for already has the row from it."""
    etag, bar_days = known.get(source.key, ("", set()))
    if etag != source.etag:
        return False
    return all(
        stored.get((source.symbol, d)) == (source.key, etag) for d in source.days if d in bar_days
    )


ISSUE_COLUMNS = {"date": pl.Date, "symbol": pl.String, "issue": pl.String,
                 "source_key": pl.String, "detail": pl.String}  # fmt: skip


def unchanged_without_bar(
    sources: Sequence[Source], known: dict[str, tuple[str, set[date]]]
) -> dict[str, set[date]]:
    """source_key -> the needed days that a file read before (and not fetched again) holds no
    bar for; files without such days are left out."""
    out = {}
    for source in sources:
        _, bar_days = known.get(source.key, ("", set()))
        if missing := {d for d in source.days if d not in bar_days}:
            out[source.key] = missing
    return out


def day_issues(
    plan: Plan, failures: Sequence[Failed], without_bar: dict[str, set[date]]
) -> pl.DataFrame:
    """Why each needed day without a fresh row has none: no file, no bar in it, or a bad file.

    `without_bar` gives the needed days without a bar of every good file, fetched now or
    before; a file it does not name has a bar for every needed day.
    """
    rows = [
        (d, symbol, "no_1d_file", None, None)
        for symbol, days in plan.days_without_file.items()
        for d in days
    ]
    failed = {f.source.key: f.reason for f in failures}
    for source in plan.sources:
        if source.key in failed:
            rows += [
                (d, source.symbol, "file_failed", source.key, failed[source.key])
                for d in source.days
            ]
        elif (missing := without_bar.get(source.key)) is not None:
            rows += [
                (d, source.symbol, "no_bar_in_file", source.key, None)
                for d in source.days
                if d in missing
            ]
    return pl.DataFrame(rows, schema=ISSUE_COLUMNS, orient="row")
