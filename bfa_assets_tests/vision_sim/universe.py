"""A simulated Binance Vision bucket: which objects exist at a given moment, and their bytes.

A universe is a list of `SymbolLife`s plus a clock (`now`). An object exists once its
publication time has passed, so moving `now` forward makes late files appear and re-uploaded
files change. Nothing is precomputed beyond small per-symbol day lists, so the full universe
(1,007 USD-M symbols since 2019 and 272 COIN-M contracts since 2020) costs no disk and starts
instantly.

A life belongs to one futures market, USD-M (`um`, the default) or COIN-M (`cm`), and each
market has its own key tree (`data/futures/{market}/…`). Every call that existed before COIN-M
still means USD-M; the others take `market=`.

Ground truth (`availability_truth`, `volume_truth`) is derived from the same lives, never from
the HTTP layer, so tests can compare the pipeline's tables with it row for row.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache, partial
from typing import TypeVar

from bfa_assets_tests.vision_sim import content
from bfa_assets_tests.vision_sim.content import Bar
from bfa_assets_tests.vision_sim.datasets import (
    Dataset,
    DatasetFolder,
    DatasetTree,
    FileSpan,
    checked_days,
    days_between,
    runs_of,
)
from bfa_assets_tests.vision_sim.objects import SimObject, StaticFolder

T = TypeVar("T")
BUCKET = "data.binance.vision"
MARKETS = ("cm", "um")  # key order: COIN-M's tree sorts before USD-M's
# USD-M's roots, for callers that predate COIN-M; `daily_root(market)`, `monthly_root(market)`
DAILY_ROOT = "data/futures/um/daily/klines/"
MONTHLY_ROOT = "data/futures/um/monthly/klines/"
INTERVALS = ("1d", "1m")
HEADER_SINCE_DAILY = date(2022, 8, 11)
HEADER_SINCE_MONTHLY = date(2022, 1, 1)


def daily_root(market: str) -> str:
    """`data/futures/{market}/daily/klines/`."""
    return f"data/futures/{market}/daily/klines/"


def monthly_root(market: str) -> str:
    """`data/futures/{market}/monthly/klines/`."""
    return f"data/futures/{market}/monthly/klines/"


def _static_folders(markets: tuple[str, ...]) -> dict[str, list[str]]:
    """The folders above the dataset folders: one subtree per market present."""
    folders = {"": ["data/"], "data/": ["futures/"], "data/futures/": [f"{m}/" for m in markets]}
    for m in markets:
        folders[f"data/futures/{m}/"] = ["daily/", "monthly/"]
    return folders


def _period_roots(markets: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """`data/futures/{market}/{daily|monthly}/` -> (market, period): where the datasets are."""
    return {f"data/futures/{m}/{p}/": (m, p) for m in markets for p in ("daily", "monthly")}


_DAILY_NAME = re.compile(
    r"^(?P<sym>.+)-(?P<iv>1d|1m)-(?P<day>\d{4}-\d{2}-\d{2})\.zip(?P<ck>\.CHECKSUM)?$"
)
_MONTHLY_NAME = re.compile(
    r"^(?P<sym>.+)-(?P<iv>1d|1m)-(?P<y>\d{4})-(?P<m>\d{1,2})\.zip(?P<ck>\.CHECKSUM)?$"
)


@dataclass(frozen=True, eq=False)  # hashed by identity: lives key the content caches
class SymbolLife:
    """One contract's presence on Vision, with every quirk it carries."""

    symbol: str
    first_day: date
    last_day: date | None = None  # None: still trading
    first_1d: date | None = None  # oldest symbols got 1d files later than 1m files
    quote: str | None = "USDT"
    delivery: bool = False
    base_price: float = 100.0
    liquidity: float = 5e7  # typical quote volume per day
    gaps: frozenset[date] = frozenset()  # days with no file at all
    late: Mapping[date, int] = field(default_factory=dict)  # day -> extra days of delay
    reuploads: Mapping[date, datetime] = field(default_factory=dict)  # day -> re-upload time
    flat_days: frozenset[date] = frozenset()  # outage: a zero-volume flat bar
    ties: Mapping[date, str] = field(
        default_factory=dict
    )  # day -> symbol whose quote volume it copies
    header_islands: frozenset[date] = frozenset()  # headered daily files before 2022-08-11
    corrupt_1d: frozenset[date] = frozenset()  # zip does not open, CHECKSUM matches it (BPD#24)
    bad_checksum_1d: frozenset[date] = frozenset()  # CHECKSUM disagrees with the zip (BPD#40)
    no_checksum_1d: frozenset[date] = frozenset()  # zip published without a CHECKSUM
    unpadded_months: frozenset[tuple[int, int]] = (
        frozenset()
    )  # monthly 1d key like 2020-8, no CHECKSUM
    monthly_delay_days: int | None = None  # days after month end until monthly files appear
    stray_folder: bool = False  # a `{symbol}//` folder marker object
    onboard: datetime | None = None  # exchangeInfo onboardDate; default: first day 08:00 UTC
    exchange_status: str | None = None  # override of the exchangeInfo status (contractStatus)
    market: str = "um"  # "um" (USD-M) or "cm" (COIN-M): which key tree and REST API hold it
    contract_size: float | None = None  # USD per contract (COIN-M only)
    missing_1m: frozenset[date] = frozenset()  # daily 1m files absent, 1d present (BPD#226)

    @property
    def day_1d(self) -> date:
        return self.first_1d or self.first_day

    def alive_on(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True)
class DailyFolder:
    """Lazy view of `…/{symbol}/{interval}/` in the daily tree."""

    universe: Universe
    symbol: str
    interval: str

    def entries_after(
        self, after: str | None
    ) -> Iterator[tuple[str, Callable[[], SimObject | None]]]:
        """(name, its object's builder) in key order: the folder knows each key's day, so a
        listing builds the objects it shows without parsing their keys, and a day's zip and
        CHECKSUM together (a history lists ~2.6 M)."""
        days = self.universe.published_days(self.symbol, self.interval)
        prefix = f"{self.symbol}-{self.interval}-"
        start = 0
        if after is not None:
            start = bisect_right(
                days, after, key=lambda o: f"{prefix}{date.fromordinal(o).isoformat()}.zip.CHECKSUM"
            )
        life = self.universe.life(self.symbol)
        folder = f"{daily_root(life.market)}{self.symbol}/{self.interval}/"
        for ordinal in days[start:]:
            day = date.fromordinal(ordinal)
            name = f"{prefix}{day.isoformat()}.zip"
            pair = _once(
                partial(self.universe.daily_pair, folder + name, self.symbol, self.interval, day)
            )
            yield name, lambda pair=pair: pair()[0]
            if not (self.interval == "1d" and day in life.no_checksum_1d):
                yield name + ".CHECKSUM", lambda pair=pair: pair()[1]


def _once(build: Callable[[], T]) -> Callable[[], T]:
    """`build`, called at most once (functools.cache would copy its metadata on every wrap)."""
    made: list[T] = []

    def get() -> T:
        if not made:
            made.append(build())
        return made[0]

    return get


Folder = DailyFolder | StaticFolder | DatasetFolder


class Universe:
    """The bucket's contents as a function of the symbol lives and the clock."""

    def __init__(
        self,
        lives: list[SymbolLife],
        *,
        now: datetime,
        name: str = "custom",
        seed: int = 0,
        exchange_only: list[dict] | None = None,
        datasets: Mapping[str, tuple[Dataset, ...]] | None = None,
    ):
        """`datasets`: the datasets beside the klines, per market (datasets.CATALOGUE; none by
        default: a bucket of klines only)."""
        self.name = name
        self.seed = seed
        self._lives = {life.symbol: life for life in lives}  # names never repeat across markets
        self._by_market = {
            m: sorted(s for s, life in self._lives.items() if life.market == m) for m in MARKETS
        }  # str order == UTF-8 byte order
        self.symbols = self._by_market["um"]  # USD-M only, as before COIN-M existed
        # USD-M is always listed (the pipeline discovers it), COIN-M when it has lives
        self.markets = tuple(m for m in MARKETS if m == "um" or self._by_market[m])
        self._static = _static_folders(self.markets)
        self._period_roots = _period_roots(self.markets)
        self.datasets = DatasetTree(self, datasets or {})
        self._roots = [  # (root, market, daily), USD-M's first: most keys asked for are there
            (root(m), m, root is daily_root)
            for m in reversed(self.markets)
            for root in (daily_root, monthly_root)
        ]
        self.exchange_only = exchange_only or []
        self._cache: dict[tuple, object] = {}
        self.listed: dict[str, bytes] = {}  # key -> its rendered listing entry (bucket.py)
        self._now = now
        self.set_now(now)

    # --- the clock -----------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    def set_now(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._now = now.astimezone(UTC)
        self._cache = {}
        self.listed = {}

    def _cached(self, key: tuple, build):
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = build()
            return value

    # --- lives and publication -----------------------------------------------------------------

    def life(self, symbol: str) -> SymbolLife:
        return self._lives[symbol]

    def has_symbol(self, symbol: str) -> bool:
        return symbol in self._lives

    def symbols_of(self, market: str) -> list[str]:
        """The symbols of one market, sorted (`symbols` is `symbols_of("um")`)."""
        return self._by_market.get(market, [])

    def contract_size(self, symbol: str) -> float:
        """USD per contract of a COIN-M symbol."""
        size = self._lives[symbol].contract_size
        if size is None:
            raise ValueError(f"{symbol} has no contract size (not a COIN-M contract)")
        return size

    def daily_publish_time(self, life: SymbolLife, day: date) -> datetime:
        delay = timedelta(days=1 + life.late.get(day, 0))
        return datetime.combine(day, time(7, 30), UTC) + delay + _publish_jitter(life.symbol)

    def monthly_publish_time(self, life: SymbolLife, year: int, month: int) -> datetime:
        next_month = date(year + month // 12, month % 12 + 1, 1)
        delay = life.monthly_delay_days
        if delay is None:
            delay = 2 + int(10 * content.unit_hash("monthly", life.symbol, year, month))
        return datetime.combine(next_month + timedelta(days=delay - 1), time(3, 0), UTC)

    def version(self, life: SymbolLife, day: date) -> int:
        uploaded = life.reuploads.get(day)
        return 2 if uploaded is not None and uploaded <= self.now else 1

    def daily_last_modified(self, life: SymbolLife, day: date) -> datetime:
        if self.version(life, day) == 2:
            return life.reuploads[day]
        return self.daily_publish_time(life, day)

    def published_days(self, symbol: str, interval: str) -> array:
        """Ordinals of the days whose daily `interval` file is visible now, ascending."""

        def build() -> array:
            life = self._lives[symbol]
            first = life.day_1d if interval == "1d" else life.first_day
            last = min(life.last_day or date.max, self.now.date() - timedelta(days=1))
            days = array("i")
            for ordinal in range(first.toordinal(), last.toordinal() + 1):
                day = date.fromordinal(ordinal)
                if day in life.gaps or (interval == "1m" and day in life.missing_1m):
                    continue
                if (day in life.late or ordinal >= last.toordinal() - 1) and (
                    self.daily_publish_time(life, day) > self.now
                ):
                    continue
                days.append(ordinal)
            return days

        return self._cached(("days", symbol, interval), build)

    def is_published(self, symbol: str, interval: str, day: date) -> bool:
        days = self.published_days(symbol, interval)
        i = bisect_left(days, day.toordinal())
        return i < len(days) and days[i] == day.toordinal()

    def published_months(self, symbol: str, interval: str) -> list[tuple[int, int]]:
        """Months whose monthly `interval` file is visible now (any day of the month traded)."""

        def build() -> list[tuple[int, int]]:
            life = self._lives[symbol]
            first = life.day_1d if interval == "1d" else life.first_day
            last = min(life.last_day or date.max, self.now.date())
            months = []
            y, m = first.year, first.month
            while date(y, m, 1) <= last:
                if self.monthly_publish_time(life, y, m) <= self.now and _month_days(
                    life, interval, y, m
                ):
                    months.append((y, m))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            return months

        return self._cached(("months", symbol, interval), build)

    # --- bars ----------------------------------------------------------------------------------

    def bar(self, symbol: str, day: date) -> Bar:
        """The 1d bar of `symbol` on `day` as currently published (re-uploads included)."""
        life = self._lives[symbol]
        return _bar(
            self.seed,
            life,
            day,
            self.version(life, day),
            self._tie_quote(life, day),
        )

    def minute_day(self, symbol: str, day: date) -> content.MinuteDay:
        life = self._lives[symbol]
        return content.minute_day(
            f"{self.seed}:{symbol}",
            day,
            base_price=life.base_price,
            liquidity=life.liquidity,
            version=self.version(life, day),
            contract_size=life.contract_size if life.market == "cm" else None,
        )

    def _tie_quote(self, life: SymbolLife, day: date) -> str | None:
        other = life.ties.get(day)
        return self.bar(other, day).quote_volume if other else None

    # --- the key tree --------------------------------------------------------------------------

    def folder(self, path: str) -> Folder | None:
        """The folder at `path` (ending with "/"), or None when it holds no objects."""
        if path in self._static:
            return StaticFolder(self._static[path])
        for root, market, daily in self._roots:
            if path.startswith(root):
                return self._klines_folder(market, path[len(root) :], daily)
        return self._dataset_folder(path)

    def _dataset_folder(self, path: str) -> Folder | None:
        """A folder of a market's `daily/` or `monthly/` tree other than the klines."""
        root, rest = _split_root(path)
        if root not in self._period_roots:
            return None
        market, period = self._period_roots[root]
        if rest == "":
            return self._cached(
                ("period", path),
                lambda: StaticFolder(sorted(["klines/", *self.datasets.names(market, period)])),
            )
        return self.datasets.folder(market, period, rest)

    def _market_life(self, market: str, symbol: str) -> SymbolLife | None:
        """The life of `symbol` if it trades in `market` (a key under the other tree is a 404)."""
        life = self._lives.get(symbol)
        return life if life is not None and life.market == market else None

    def _klines_folder(self, market: str, rest: str, daily: bool) -> Folder | None:
        if rest == "":
            return self._cached(
                ("root", market, daily), lambda: StaticFolder(self._root_names(market, daily))
            )
        symbol, _, sub = rest.partition("/")
        if self._market_life(market, symbol) is None or not self._has_files(symbol, daily):
            return None
        life = self._lives[symbol]
        if sub == "":
            names = ["/"] if daily and life.stray_folder else []
            names += [f"{iv}/" for iv in INTERVALS if self._interval_has_files(symbol, iv, daily)]
            return StaticFolder(names)
        if sub == "/" and daily and life.stray_folder:
            return StaticFolder([""])
        interval = sub.removesuffix("/")
        if (
            sub.endswith("/")
            and interval in INTERVALS
            and self._interval_has_files(symbol, interval, daily)
        ):
            if daily:
                return DailyFolder(self, symbol, interval)
            return StaticFolder(list(self._monthly_names(symbol, interval)))
        return None

    def history_folders(self, market: str = "um") -> list[str]:
        """Every symbol's daily `1m/` and monthly `1d/` folder of `market`: what a history's
        listings read (availability lists the first, volume's planning the second)."""
        symbols = self.symbols_of(market)
        return [f"{daily_root(market)}{s}/1m/" for s in symbols] + [
            f"{monthly_root(market)}{s}/1d/" for s in symbols
        ]

    def _root_names(self, market: str, daily: bool) -> list[str]:
        return [f"{s}/" for s in self.symbols_of(market) if self._has_files(s, daily)]

    def _has_files(self, symbol: str, daily: bool) -> bool:
        return any(self._interval_has_files(symbol, iv, daily) for iv in INTERVALS)

    def _interval_has_files(self, symbol: str, interval: str, daily: bool) -> bool:
        if not daily:
            return len(self.published_months(symbol, interval)) > 0
        life = self._lives[symbol]
        day = life.day_1d if interval == "1d" else life.first_day
        last = min(life.last_day or date.max, self.now.date())
        missing = life.gaps | life.missing_1m if interval == "1m" else life.gaps
        while day <= last:  # the first published day is almost always the first day
            if day not in missing and self.daily_publish_time(life, day) <= self.now:
                return True
            day += timedelta(days=1)
        return False

    def _monthly_names(self, symbol: str, interval: str) -> tuple[str, ...]:
        """The monthly folder's names, sorted; cached, as every object in it is looked up here."""

        def build() -> tuple[str, ...]:
            life = self._lives[symbol]
            names = []
            for y, m in self.published_months(symbol, interval):
                if interval == "1d" and (y, m) in life.unpadded_months:
                    names.append(f"{symbol}-{interval}-{y}-{m}.zip")
                else:
                    name = f"{symbol}-{interval}-{y}-{m:02d}.zip"
                    names += [name, name + ".CHECKSUM"]
            return tuple(sorted(names))

        return self._cached(("monthly names", symbol, interval), build)

    def _is_monthly_name(self, symbol: str, interval: str, name: str) -> bool:
        names = self._cached(
            ("monthly name set", symbol, interval),
            lambda: frozenset(self._monthly_names(symbol, interval)),
        )
        return name in names

    # --- objects -------------------------------------------------------------------------------

    def object_at(self, key: str) -> SimObject | None:
        """The object stored under `key` now, or None (a 404)."""
        for root, market, daily in self._roots:
            if key.startswith(root):
                return self._kline_object(market, key, key[len(root) :], daily)
        root, rest = _split_root(key)
        if root not in self._period_roots:
            return None
        return self.datasets.object_at(*self._period_roots[root], rest)

    def _kline_object(self, market: str, key: str, rest: str, daily: bool) -> SimObject | None:
        parts = rest.split("/")
        life = self._market_life(market, parts[0])
        if daily and len(parts) == 3 and parts[1:] == ["", ""]:  # `{symbol}//`, a folder marker
            if life and life.stray_folder and self._has_files(life.symbol, True):
                when = self.daily_publish_time(life, life.first_day)
                return SimObject(key, 0, f'"{hashlib.md5(b"").hexdigest()}"', when, lambda: b"")
            return None
        if len(parts) != 3 or life is None:
            return None
        symbol, interval, name = parts
        if daily:
            match = _DAILY_NAME.match(name)
            if not match or match["sym"] != symbol or match["iv"] != interval:
                return None
            day = date.fromisoformat(match["day"])
            return self.daily_object(key, symbol, interval, day, bool(match["ck"]))
        match = _MONTHLY_NAME.match(name)
        if not match or match["sym"] != symbol or match["iv"] != interval:
            return None
        if not self._is_monthly_name(symbol, interval, name):
            return None
        year, month = int(match["y"]), int(match["m"])
        return self._cached(  # listed, then fetched: one object (and digest) per key and clock
            ("monthly", key),
            lambda: self._monthly_object(key, symbol, interval, year, month, bool(match["ck"])),
        )

    def daily_object(
        self, key: str, symbol: str, interval: str, day: date, checksum: bool
    ) -> SimObject | None:
        """The daily file (or its CHECKSUM) of `symbol` on `day` under `key`, or None."""
        if interval not in INTERVALS or not self.is_published(symbol, interval, day):
            return None
        return self.daily_pair(key.removesuffix(".CHECKSUM"), symbol, interval, day)[checksum]

    def daily_pair(
        self, zip_key: str, symbol: str, interval: str, day: date
    ) -> tuple[SimObject, SimObject | None]:
        """A published day's zip and its CHECKSUM (None when published without one), made
        together: they share the day's version, time and (1m) size."""
        life = self._lives[symbol]
        version = self.version(life, day)
        modified = self.daily_last_modified(life, day)
        header = day >= HEADER_SINCE_DAILY or day in life.header_islands
        newline = day >= content.CHECKSUM_NEWLINE_SINCE
        if interval == "1m":

            def minutes() -> list[content.MinuteDay]:
                return [self.minute_day(symbol, day)]

            return (
                self._minute_object(
                    zip_key, zip_key, minutes, header, False, modified, version, newline
                ),
                self._minute_object(
                    f"{zip_key}.CHECKSUM",
                    zip_key,
                    minutes,
                    header,
                    True,
                    modified,
                    version,
                    newline,
                ),
            )

        def build() -> tuple[SimObject, SimObject | None]:
            zip_bytes = _daily_zip(
                self.seed, life, day, version, header, self._tie_quote(life, day)
            )
            if day in life.no_checksum_1d:
                return _materialized(zip_key, zip_bytes, modified), None
            digest = hashlib.sha256(zip_bytes).hexdigest()
            if day in life.bad_checksum_1d:
                digest = hashlib.sha256(zip_bytes + b"stale").hexdigest()
            text = content.checksum_text(digest, zip_key.rsplit("/", 1)[1], newline)
            return (
                _materialized(zip_key, zip_bytes, modified),
                _materialized(f"{zip_key}.CHECKSUM", text, modified),
            )

        # listed, then fetched: built (bars, zip, digests) once per published version
        return self._cached(("daily 1d", zip_key, version), build)

    def _monthly_object(
        self, key: str, symbol: str, interval: str, year: int, month: int, checksum: bool
    ) -> SimObject:
        life = self._lives[symbol]
        days = _month_days(life, interval, year, month)
        modified = self.monthly_publish_time(life, year, month)
        if any(self.version(life, d) == 2 for d in days):
            modified = max(
                modified, *(life.reuploads[d] for d in days if self.version(life, d) == 2)
            )
        header = date(year, month, 1) >= HEADER_SINCE_MONTHLY
        newline = date(year, month, 1) >= content.CHECKSUM_NEWLINE_SINCE
        zip_key = key.removesuffix(".CHECKSUM")
        if interval == "1m":
            version = 1 + sum(self.version(life, d) - 1 for d in days)

            def minutes() -> list[content.MinuteDay]:
                return [self.minute_day(symbol, d) for d in days]

            return self._minute_object(
                key, zip_key, minutes, header, checksum, modified, version, newline
            )

        def build() -> bytes:
            bars = [self.bar(symbol, d) for d in days]
            member = zip_key.rsplit("/", 1)[1].removesuffix(".zip") + ".csv"
            return content.zip_one(member, content.daily_csv(bars, header), compress=True)

        # listed and fetched as zip and CHECKSUM: built once per published version
        zip_bytes = self._cached(("monthly 1d", zip_key, modified), build)
        if checksum:
            text = content.checksum_text(zip_bytes, zip_key.rsplit("/", 1)[1], newline)
            return _materialized(key, text, modified)
        return _materialized(key, zip_bytes, modified)

    def _minute_object(
        self,
        key: str,
        zip_key: str,
        days: Callable[[], list[content.MinuteDay]],  # not needed for a CHECKSUM's listing
        header: bool,
        checksum: bool,
        modified: datetime,
        version: int,
        newline: bool,
    ) -> SimObject:
        """1m files: exact sizes from templates, content built only when somebody downloads it.

        Their ETag is an opaque digest of (key, version), like S3's ETag of a multipart upload,
        because hashing millions of never-downloaded 1m files would make listings unbearably slow.
        """
        basename = zip_key.rsplit("/", 1)[1]
        member = basename.removesuffix(".zip") + ".csv"
        etag = f'"{hashlib.md5(f"{key}|v{version}".encode()).hexdigest()}"'

        def zip_bytes() -> bytes:
            csv = (content.KLINE_HEADER + "\n" if header else "").encode() + b"".join(
                day.csv() for day in days()
            )
            return content.zip_one(member, csv, compress=False)

        if checksum:
            size = 64 + 2 + len(basename.encode()) + (1 if newline else 0)
            return SimObject(
                key,
                size,
                etag,
                modified,
                lambda: content.checksum_text(zip_bytes(), basename, newline),
            )
        length = (len(content.KLINE_HEADER) + 1 if header else 0) + sum(
            day.csv_length() for day in days()
        )
        return SimObject(key, content.stored_zip_size(member, length), etag, modified, zip_bytes)

    # --- ground truth --------------------------------------------------------------------------

    def first_1m_day(self, symbol: str) -> date | None:
        days = self.published_days(symbol, "1m")
        return date.fromordinal(days[0]) if len(days) else None

    def availability_truth(self, start: date, end: date, *, market: str = "um") -> list[dict]:
        """The rows `daily_availability` must hold for [start, end], one per (date, symbol) of
        `market`."""
        rows = []
        for symbol in self.symbols_of(market):
            first = self.first_1m_day(symbol)
            if first is None:
                continue
            day = max(start, first)
            while day <= end:
                row = {
                    "date": day,
                    "symbol": symbol,
                    "available": False,
                    "file_size_bytes": None,
                    "last_modified": None,
                    "etag": None,
                }
                if self.is_published(symbol, "1m", day):
                    obj = self.object_at(
                        f"{daily_root(market)}{symbol}/1m/{symbol}-1m-{day.isoformat()}.zip"
                    )
                    assert obj is not None
                    row.update(
                        available=True,
                        file_size_bytes=obj.size,
                        last_modified=obj.last_modified,
                        etag=obj.etag.strip('"'),
                    )
                rows.append(row)
                day += timedelta(days=1)
        return rows

    def coverage_truth(self, windows: list[tuple[date, date]]) -> tuple[list[dict], list[dict]]:
        """The rows `dataset_runs` and `dataset_checks` must hold once availability and dataset
        coverage have run (over every symbol) for each of `windows`, every dataset of every
        market, the 1m klines included."""
        runs, checks = [], []
        for market in self.markets:
            listed = {
                n.removesuffix("/")
                for p in ("daily", "monthly")
                for n in self.datasets.names(market, p)
            }  # a dataset without files is not seen
            for dataset in ("klines", *sorted(listed)):
                if dataset == "klines":
                    files = self._klines_files(market)
                    checked = {d for a, b in windows for d in days_between(a, b)}
                else:
                    spec = self.datasets.catalogue[market][dataset]
                    files = self.datasets.files(market, dataset)
                    checked = checked_days(spec, windows)
                key = {"market": market, "dataset": dataset}
                checks += [
                    {**key, "first_date": a, "last_date": b} for a, b in _ranges(sorted(checked))
                ]
                runs += [
                    {**key, "symbol": f, "first_date": a, "last_date": b, "files": n, "bytes": size}
                    for f, a, b, n, size in runs_of(files, checked)
                ]
        return runs, checks

    def _klines_files(self, market: str) -> list[FileSpan]:
        files = []
        for symbol in self.symbols_of(market):
            for ordinal in self.published_days(symbol, "1m"):
                day = date.fromordinal(ordinal)
                key = f"{daily_root(market)}{symbol}/1m/{symbol}-1m-{day.isoformat()}.zip"
                obj = self.object_at(key)
                assert obj is not None, key
                files.append(FileSpan(symbol, day, day, obj.size))
        return files

    def volume_truth(self, start: date, end: date, *, market: str = "um") -> list[dict]:
        """The rows `daily_volume` must hold for [start, end] and `market` (a COIN-M row's bar
        is its CSV row by position: contracts in `volume`, base-asset volume in `quote_volume`).

        A day has a row when its 1m file is published (the day is available) and a verifiable
        1d source exists: the month's monthly file (padded key with a CHECKSUM) when published,
        else the day's daily file unless it is corrupt or fails its CHECKSUM.
        """
        rows = []
        for symbol in self.symbols_of(market):
            life = self._lives[symbol]
            monthly = {
                ym for ym in self.published_months(symbol, "1d") if ym not in life.unpadded_months
            }
            for ordinal in self.published_days(symbol, "1m"):
                day = date.fromordinal(ordinal)
                if not start <= day <= end or day < life.day_1d:
                    continue
                if (day.year, day.month) in monthly:
                    source = f"{monthly_root(market)}{symbol}/1d/{symbol}-1d-{day:%Y-%m}.zip"
                elif self.is_published(symbol, "1d", day) and day not in (
                    life.corrupt_1d | life.bad_checksum_1d
                ):
                    source = f"{daily_root(market)}{symbol}/1d/{symbol}-1d-{day.isoformat()}.zip"
                else:
                    continue
                rows.append(
                    {
                        "date": day,
                        "symbol": symbol,
                        "bar": self.bar(symbol, day),
                        "source_key": source,
                    }
                )
        return rows


def _ranges(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days."""
    out: list[list[date]] = []
    for day in days:
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1][1] = day
        else:
            out.append([day, day])
    return [(a, b) for a, b in out]


def _split_root(path: str) -> tuple[str, str]:
    """`data/futures/{m}/{period}/…` -> (`data/futures/{m}/{period}/`, `…`)."""
    cut = -1
    for _ in range(4):
        cut = path.find("/", cut + 1)
        if cut < 0:
            return path, ""
    return path[: cut + 1], path[cut + 1 :]


@cache
def _publish_jitter(symbol: str) -> timedelta:
    """Each symbol's daily files appear at their own minute between 07:30 and 09:00 UTC."""
    return timedelta(minutes=int(90 * content.unit_hash("publish", symbol)))


def _materialized(key: str, data: bytes, modified: datetime) -> SimObject:
    return SimObject(key, len(data), f'"{hashlib.md5(data).hexdigest()}"', modified, lambda: data)


@lru_cache(maxsize=4096)  # a monthly file's days are needed to list it, fetch it, and its CHECKSUM
def _month_days(life: SymbolLife, interval: str, year: int, month: int) -> tuple[date, ...]:
    """Days whose bars a monthly file of (year, month) holds: every traded day of the month."""
    first = life.day_1d if interval == "1d" else life.first_day
    day = date(year, month, 1)
    out = []
    while day.month == month:
        if day >= first and life.alive_on(day) and day not in life.gaps:
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


@lru_cache(maxsize=65536)
def _bar(seed: int, life: SymbolLife, day: date, version: int, tie_quote: str | None) -> Bar:
    if life.market == "cm":
        return content.coin_bar(
            f"{seed}:{life.symbol}",
            day,
            base_price=life.base_price,
            liquidity=life.liquidity,
            contract_size=life.contract_size or 10.0,
            version=version,
            flat=day in life.flat_days,
        )
    return content.daily_bar(
        f"{seed}:{life.symbol}",
        day,
        base_price=life.base_price,
        liquidity=life.liquidity,
        version=version,
        flat=day in life.flat_days,
        quote_volume=tie_quote,
    )


@lru_cache(maxsize=16384)
def _daily_zip(
    seed: int, life: SymbolLife, day: date, version: int, header: bool, tie_quote: str | None
) -> bytes:
    member = f"{life.symbol}-1d-{day.isoformat()}.csv"
    data = content.zip_one(
        member,
        content.daily_csv([_bar(seed, life, day, version, tie_quote)], header),
        compress=True,
    )
    return content.corrupt(data) if day in life.corrupt_1d else data
