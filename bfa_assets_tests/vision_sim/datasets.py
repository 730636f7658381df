"""The futures datasets beside the klines (vision.md §8): which files each folder holds, when.

Every dataset of a market lives under `data/futures/{market}/{daily|monthly}/{dataset}/{F}/`,
`{F}` a folder: a contract, except that COIN-M's index klines are per pair (`BTCUSD`), and that
funding rates and COIN-M premium-index klines exist for perpetuals only. Kline-type datasets
hold an interval level (`{F}/1m/{F}-1m-{DAY}.zip`); the others `{F}/{F}-{dataset}-{DAY}.zip`.

A folder's files follow its contracts' lives (the days they trade, minus their gap days) cut by
the dataset's schedule: its first and last day, whole-archive incidents (every folder misses the
day), partial incidents (a share of the folders misses it), a documented single-folder hole, and
long holes drawn from the seed for a few folders. Daily files appear the next morning, a few of
the last week's days late; monthly files in the first half of the next month. Sizes are drawn
per folder and day; ETags are opaque (a multipart upload's), and bytes are built only when asked.

The klines themselves (1m and 1d) are the universe's own (universe.py), never listed here.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from bfa_assets_tests.vision_sim import content
from bfa_assets_tests.vision_sim.objects import SimObject, StaticFolder, contents_entry

if TYPE_CHECKING:
    from bfa_assets_tests.vision_sim.universe import SymbolLife, Universe

PERIODS = ("daily", "monthly")
KLINE_INTERVAL = "1m"  # the interval level recorded for kline-type datasets
LATE_WITHIN_DAYS = 8  # only the last week's files can still be late
LATE_SHARE = 0.05  # of those, this share is 1–7 days late (BPD#181)
HOLE_SHARE = 0.03  # folders of a daily dataset with one long drawn hole
HOLE_DAYS = (30, 100)  # its length: from, to
HOLE_HORIZON = date(2026, 12, 1)  # a live contract's hole lies before this day


@dataclass(frozen=True)
class Dataset:
    """One dataset of one market and its schedule."""

    name: str
    periods: tuple[str, ...] = PERIODS  # which trees hold it
    kline: bool = False  # files under `{F}/1m/`, named `{F}-1m-…`
    first: date | None = None  # no file before (None: from each contract's first day)
    last: date | None = None  # no file after
    early: Mapping[str, date] = field(default_factory=dict)  # folders that start before `first`
    folders: str = "contract"  # contract | perpetual (perpetuals only) | pair (one per pair)
    size: int = 50_000  # typical bytes of a day's zip
    incidents: frozenset[date] = frozenset()  # days every folder misses
    partial: Mapping[date, float] = field(default_factory=dict)  # day -> share of folders missing
    holes: Mapping[str, tuple[date, date]] = field(default_factory=dict)  # folder -> its hole

    @property
    def tag(self) -> str:
        """The middle of a file name: `1m` for klines, else the dataset's name."""
        return KLINE_INTERVAL if self.kline else self.name

    def sub(self, folder: str) -> str:
        """The folder's path below the dataset: `{F}/1m/` for klines, else `{F}/`."""
        return f"{folder}/{KLINE_INTERVAL}/" if self.kline else f"{folder}/"

    def starts(self, folder: str) -> date | None:
        return self.early.get(folder, self.first)


def _d(text: str) -> date:
    return date.fromisoformat(text)


BOTH_MARKETS_MISSING = frozenset({_d("2024-06-11"), _d("2024-06-12")})  # BPD#336
CM_MISSING = BOTH_MARKETS_MISSING | {_d("2023-09-25")}  # COIN-M across its datasets


def _market(missing: frozenset[date], market: str) -> tuple[Dataset, ...]:
    """The datasets of one market as vision.md §8 describes them (sizes: typical, not exact)."""
    um = market == "um"
    return tuple(
        d
        for d in (
            Dataset(
                "aggTrades",
                size=2_700_000,
                incidents=missing if um else missing | {_d("2025-06-24")},  # BPD#432
            ),
            Dataset(
                "bookDepth",
                periods=("daily",),
                first=_d("2023-01-01"),
                size=440_000,
                incidents=missing,
            ),
            Dataset(
                "bookTicker",
                last=_d("2024-03-30") if um else _d("2024-10-15"),  # BPD#334
                size=900_000,
                incidents=missing,
            ),
            Dataset(
                "fundingRate",
                periods=("monthly",),
                first=_d("2020-01-01") if um else _d("2022-07-01"),
                folders="perpetual",
                size=800,
            ),
            Dataset(
                "indexPriceKlines",
                kline=True,
                folders="contract" if um else "pair",
                size=60_000,
                incidents=missing,
            ),
            *(
                ()
                if um
                else (
                    Dataset(
                        "liquidationSnapshot",
                        periods=("daily",),
                        first=_d("2023-06-25"),
                        last=_d("2024-10-14"),
                        size=3_000,
                        incidents=missing,
                    ),
                )
            ),
            Dataset("markPriceKlines", kline=True, size=60_000, incidents=missing),
            Dataset(
                "metrics",
                periods=("daily",),
                first=_d("2021-12-01"),
                early={"BTCUSDT": _d("2020-09-01")} if um else {"BTCUSD_PERP": _d("2021-07-08")},
                size=6_500,
                incidents=missing,
                holes={"BNXUSDT": (_d("2022-04-01"), _d("2022-06-30"))}  # BPD#287
                if um
                else {"BTCUSD_PERP": (_d("2024-03-04"), _d("2024-06-08"))},
            ),
            Dataset(
                "premiumIndexKlines",
                kline=True,
                folders="contract" if um else "perpetual",
                size=60_000,
                incidents=missing,
            ),
            Dataset(
                "trades",
                size=4_000_000,
                incidents=missing,
                partial={_d("2025-10-10"): 0.4} if um else {},  # BPD#458
            ),
        )
    )


CATALOGUE: dict[str, tuple[Dataset, ...]] = {
    "um": _market(BOTH_MARKETS_MISSING, "um"),
    "cm": _market(CM_MISSING, "cm"),
}


def pair_of(symbol: str) -> str:
    """A COIN-M contract's pair: `BTCUSD_PERP`, `BTCUSD_240329` -> `BTCUSD`."""
    return symbol.split("_")[0]


class FileSpan(NamedTuple):
    """One file of a folder: the days it covers (one, or a month's) and its size."""

    folder: str
    first: date
    last: date
    size: int


@dataclass(frozen=True)
class DatasetFolder:
    """Lazy view of one folder's files in one tree (`period`), in key order."""

    tree: DatasetTree
    market: str
    dataset: Dataset
    folder: str
    period: str

    def entries_after(self, after: str | None) -> Iterator[tuple[str, bytes]]:
        """(name, its listing entry, rendered): a history lists several per contract and day,
        each once, so they are neither built as objects for the bucket nor kept
        (universe.listed)."""
        stamps = self.tree.stamps(self.market, self.dataset, self.folder, self.period)
        prefix = f"{self.folder}-{self.dataset.tag}-"
        start = 0
        if after is not None:
            start = bisect_right(stamps, after, key=lambda s: f"{prefix}{s}.zip.CHECKSUM")
        base = self.tree.path(self.market, self.period, self.dataset, self.folder)
        for stamp in stamps[start:]:
            name = f"{prefix}{stamp}.zip"
            pair = self.tree.file_pair(base + name, self, stamp)
            yield name, contents_entry(base + name, pair[0])
            yield name + ".CHECKSUM", contents_entry(base + name + ".CHECKSUM", pair[1])


class DatasetTree:
    """The datasets of a universe's markets, as folders and objects under its clock."""

    def __init__(self, universe: Universe, catalogue: Mapping[str, tuple[Dataset, ...]]):
        self.universe = universe
        self.catalogue = {m: {d.name: d for d in catalogue.get(m, ())} for m in universe.markets}

    # --- folders ---------------------------------------------------------------------------

    @staticmethod
    def path(market: str, period: str, dataset: Dataset, folder: str) -> str:
        return f"data/futures/{market}/{period}/{dataset.name}/{dataset.sub(folder)}"

    def names(self, market: str, period: str) -> list[str]:
        """The datasets of `market` with files in the `period` tree now (`{name}/`)."""
        return [
            f"{name}/"
            for name, d in self.catalogue.get(market, {}).items()
            if period in d.periods and self.root_names(market, period, d)
        ]

    def root_names(self, market: str, period: str, dataset: Dataset) -> list[str]:
        """`{F}/` of every folder of `dataset` with files in `period` now, sorted."""

        def build() -> list[str]:
            return [
                f"{f}/"
                for f in self.folder_names(market, dataset)
                if self.stamps(market, dataset, f, period)
            ]

        return self.universe._cached(("dataset root", market, period, dataset.name), build)

    def folder_names(self, market: str, dataset: Dataset) -> list[str]:
        symbols = self.universe.symbols_of(market)
        if dataset.folders == "pair":
            return sorted({pair_of(s) for s in symbols})
        if dataset.folders == "perpetual":
            return [s for s in symbols if not self.universe.life(s).delivery]
        return list(symbols)

    def lives(self, market: str, dataset: Dataset, folder: str) -> list[SymbolLife]:
        """The contracts whose trading days a folder's files follow."""
        if dataset.folders == "pair":
            return [
                self.universe.life(s)
                for s in self.universe.symbols_of(market)
                if pair_of(s) == folder
            ]
        life = self.universe.life(folder)
        return [life] if life.market == market else []

    def folder(self, market: str, period: str, rest: str):
        """The folder at `{dataset}/…` below `data/futures/{market}/{period}/`, or None."""
        name, _, rest = rest.partition("/")
        dataset = self.catalogue.get(market, {}).get(name)
        if dataset is None or period not in dataset.periods:
            return None
        roots = self.root_names(market, period, dataset)
        if rest == "":
            return StaticFolder(roots) if roots else None
        folder, _, sub = rest.partition("/")
        i = bisect_left(roots, f"{folder}/")
        if i == len(roots) or roots[i] != f"{folder}/":
            return None
        if dataset.kline and sub == "":
            return StaticFolder([f"{KLINE_INTERVAL}/"])
        if sub == (f"{KLINE_INTERVAL}/" if dataset.kline else ""):
            return DatasetFolder(self, market, dataset, folder, period)
        return None

    # --- files -----------------------------------------------------------------------------

    def days(self, market: str, dataset: Dataset, folder: str) -> array:
        """Ordinals of the days whose daily file of the folder is visible now, ascending; for a
        monthly-only dataset, the days its monthly files cover (publication aside)."""

        def build() -> array:
            lives = self.lives(market, dataset, folder)
            if not lives:
                return array("i")
            daily = "daily" in dataset.periods
            last_day = self.universe.now.date() - timedelta(days=1 if daily else 0)
            first = dataset.starts(folder)
            last = min(last_day, dataset.last or date.max)
            hole = dataset.holes.get(folder) or self._drawn_hole(market, dataset, folder, lives)
            days: set[int] = set()
            for life in lives:  # a pair's folder: the days any of its contracts trades
                start = max(life.first_day, first or life.first_day)
                stop = min(life.last_day or date.max, last)
                traded = set(range(start.toordinal(), stop.toordinal() + 1))
                days |= traded.difference(g.toordinal() for g in life.gaps)
            days.difference_update(d.toordinal() for d in dataset.incidents)
            for day, share in dataset.partial.items():
                if self._hash("partial", market, dataset.name, folder, day) < share:
                    days.discard(day.toordinal())
            if hole is not None:
                days.difference_update(range(hole[0].toordinal(), hole[1].toordinal() + 1))
            if daily:
                days = {o for o in days if self._published(market, dataset, folder, o)}
            return array("i", sorted(days))

        return self.universe._cached(("dataset days", market, dataset.name, folder), build)

    def stamps(self, market: str, dataset: Dataset, folder: str, period: str) -> list[str]:
        """The date stamps (`YYYY-MM-DD`, or `YYYY-MM` for monthly files) of the folder's
        visible files in `period`, sorted."""

        def build() -> list[str]:
            days = self.days(market, dataset, folder)
            if period == "daily":
                return [date.fromordinal(o).isoformat() for o in days]
            months = sorted({date.fromordinal(o).replace(day=1) for o in days})
            now = self.universe.now
            return [f"{m:%Y-%m}" for m in months if self.monthly_publish_time(folder, m) <= now]

        return self.universe._cached(
            ("dataset stamps", market, dataset.name, folder, period), build
        )

    def _drawn_hole(
        self, market: str, dataset: Dataset, folder: str, lives: list[SymbolLife]
    ) -> tuple[date, date] | None:
        """A long hole for HOLE_SHARE of a daily dataset's folders, inside the first life."""
        if "daily" not in dataset.periods:
            return None
        h_has, h_at, h_len = content.unit_hashes(
            self.universe.seed, "hole", market, dataset.name, folder, count=3
        )
        if h_has >= HOLE_SHARE:
            return None
        life = lives[0]
        span = ((life.last_day or HOLE_HORIZON) - life.first_day).days  # never moves with the clock
        start = life.first_day + timedelta(days=1 + int(h_at * max(1, span)))
        low, high = HOLE_DAYS
        return start, start + timedelta(days=low + int(h_len * (high - low)))

    def _hash(self, *parts: object) -> float:
        return content.unit_hash(self.universe.seed, *parts)

    def late_days(self, market: str, dataset: Dataset, folder: str, ordinal: int) -> int:
        """Extra days before the file of `ordinal` appears (0 for most)."""
        if self.universe.now.date().toordinal() - ordinal > LATE_WITHIN_DAYS:
            return 0
        h_late, h_by = content.unit_hashes(
            self.universe.seed, "late", market, dataset.name, folder, ordinal, count=2
        )
        return 1 + int(6 * h_by) if h_late < LATE_SHARE else 0

    def daily_publish_time(self, market: str, dataset: Dataset, folder: str, ordinal: int):
        late = self.late_days(market, dataset, folder, ordinal)
        day = date.fromordinal(ordinal)
        return datetime.combine(day, time(7, 30), UTC) + timedelta(days=1 + late) + _jitter(folder)

    def _published(self, market: str, dataset: Dataset, folder: str, ordinal: int) -> bool:
        now = self.universe.now
        if now.date().toordinal() - ordinal > LATE_WITHIN_DAYS:
            return True
        return self.daily_publish_time(market, dataset, folder, ordinal) <= now

    @staticmethod
    def monthly_publish_time(folder: str, month: date) -> datetime:
        next_month = _month_end(month) + timedelta(days=1)
        delay = 2 + int(10 * content.unit_hash("monthly", folder, month.year, month.month))
        return datetime.combine(next_month + timedelta(days=delay - 1), time(3, 0), UTC)

    def file_pair(
        self, zip_key: str, where: DatasetFolder, stamp: str
    ) -> tuple[SimObject, SimObject]:
        """The zip of `stamp` in a folder (under `zip_key`) and its CHECKSUM, made together:
        they share the time and the zip's bytes."""
        first = _first_day(stamp)
        if len(stamp) == 7:
            modified = self.monthly_publish_time(where.folder, first)
        else:
            ordinal = first.toordinal()
            modified = self.daily_publish_time(where.market, where.dataset, where.folder, ordinal)
        member = _member(where.dataset, where.folder, stamp)
        length = payload_length(where.dataset, where.folder, first)
        basename = zip_key.rsplit("/", 1)[1]
        newline = first >= content.CHECKSUM_NEWLINE_SINCE

        def zip_bytes() -> bytes:
            return content.zip_one(member, _payload(length), compress=False)

        def etag(key: str) -> str:  # opaque, as a multipart upload's; a CRC, not a digest
            return f'"{zlib.crc32(key.encode()):08x}{length:024x}"'

        checksum = f"{zip_key}.CHECKSUM"
        return (
            SimObject(
                zip_key,
                content.stored_zip_size(member, length),
                etag(zip_key),
                modified,
                zip_bytes,
            ),
            SimObject(
                checksum,
                64 + 2 + len(basename.encode()) + (1 if newline else 0),
                etag(checksum),
                modified,
                lambda: content.checksum_text(zip_bytes(), basename, newline),
            ),
        )

    def object_at(self, market: str, period: str, rest: str) -> SimObject | None:
        """The object at `{dataset}/…` below `data/futures/{market}/{period}/`, or None."""
        head, _, name = rest.rpartition("/")
        folder = self.folder(market, period, head + "/") if head else None
        if not isinstance(folder, DatasetFolder):
            return None
        prefix = f"{folder.folder}-{folder.dataset.tag}-"
        checksum = name.endswith(".CHECKSUM")
        stamp = name.removesuffix(".CHECKSUM").removeprefix(prefix).removesuffix(".zip")
        if name.removesuffix(".CHECKSUM") != f"{prefix}{stamp}.zip":
            return None
        stamps = self.stamps(market, folder.dataset, folder.folder, period)
        i = bisect_left(stamps, stamp)
        if i == len(stamps) or stamps[i] != stamp:
            return None
        zip_key = f"data/futures/{market}/{period}/{rest}".removesuffix(".CHECKSUM")
        return self.file_pair(zip_key, folder, stamp)[checksum]

    # --- ground truth ----------------------------------------------------------------------

    def files(self, market: str, name: str) -> list[FileSpan]:
        """Every file of the dataset visible now (daily files, or monthly ones for a
        monthly-only dataset), by folder and date."""
        dataset = self.catalogue[market][name]
        period = "daily" if "daily" in dataset.periods else "monthly"
        out = []
        for folder in self.folder_names(market, dataset):
            for stamp in self.stamps(market, dataset, folder, period):
                first = _first_day(stamp)
                last = _month_end(first) if period == "monthly" else first
                out.append(FileSpan(folder, first, last, zip_size(dataset, folder, stamp)))
        return out


def checked_days(dataset: Dataset, windows: list[tuple[date, date]]) -> set[date]:
    """The days that runs over `windows` check for `dataset`: each window's days, or for a
    monthly-only dataset every month that overlaps a window and has ended by its last day."""
    days: set[date] = set()
    for start, end in windows:
        if "daily" in dataset.periods:
            days.update(days_between(start, end))
            continue
        month = start.replace(day=1)
        while _month_end(month) <= end:
            days.update(days_between(month, _month_end(month)))
            month = _month_end(month) + timedelta(days=1)
    return days


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def runs_of(files: list[FileSpan], checked: set[date]) -> list[tuple[str, date, date, int, int]]:
    """(folder, first, last, files, bytes) of every maximal run of files over checked days: a
    file counts when every day it covers was checked, and a run goes on while the next file
    starts the day after the last one ends."""
    runs: list[list] = []
    for f in sorted(files):
        if not checked.issuperset(days_between(f.first, f.last)):
            continue
        if runs and runs[-1][0] == f.folder and runs[-1][2] + timedelta(days=1) == f.first:
            runs[-1][2:] = [f.last, runs[-1][3] + 1, runs[-1][4] + f.size]
        else:
            runs.append([f.folder, f.first, f.last, 1, f.size])
    return [tuple(r) for r in runs]


def _first_day(stamp: str) -> date:
    """The first day a file's stamp (`YYYY-MM-DD`, or `YYYY-MM` for a month) covers."""
    return date.fromisoformat(stamp + "-01" if len(stamp) == 7 else stamp)


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _member(dataset: Dataset, folder: str, stamp: str) -> str:
    return f"{folder}-{dataset.tag}-{stamp}.csv"


def zip_size(dataset: Dataset, folder: str, stamp: str) -> int:
    """The size of a file's zip (a stored zip of one CSV)."""
    length = payload_length(dataset, folder, _first_day(stamp))
    return content.stored_zip_size(_member(dataset, folder, stamp), length)


def payload_length(dataset: Dataset, folder: str, first: date) -> int:
    """The CSV's length of a file (a monthly file's as a day's): around the dataset's typical
    size, drawn per folder and day by integer arithmetic (cheap: every listed file needs one)."""
    spread = (_folder_number(folder) * 7919 + first.toordinal() * 104_729) % dataset.size
    return dataset.size // 2 + spread


@cache
def _folder_number(folder: str) -> int:
    return int.from_bytes(hashlib.blake2b(folder.encode(), digest_size=4).digest())


@cache
def _jitter(folder: str) -> timedelta:
    return timedelta(minutes=int(90 * content.unit_hash("publish dataset", folder)))


def _payload(length: int) -> bytes:
    """A CSV body of `length` bytes (what is inside is never read by the pipeline)."""
    line = b"0,0,0,0,0\n"
    return (line * (length // len(line) + 1))[:length]
