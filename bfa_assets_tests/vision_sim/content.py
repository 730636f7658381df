"""Bytes of the simulated objects: kline bars, CSV files, zips and CHECKSUM files.

Everything is a pure function of its inputs, so the same universe serves the same bytes in every
process. Daily bars are derived from a keyed hash, not from a random walk, so any (symbol, day)
can be produced on its own without computing the days before it.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import zipfile
from collections.abc import Sequence
from datetime import date
from functools import cache, lru_cache
from typing import NamedTuple

KLINE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore"
)
DAY_MS = 86_400_000
MINUTE_MS = 60_000
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
CHECKSUM_NEWLINE_SINCE = date(2021, 1, 1)  # older CHECKSUM files end without a newline


def unit_hash(*parts: object) -> float:
    """A deterministic number in [0, 1) for the given parts."""
    return unit_hashes(*parts, count=1)[0]


def unit_hashes(*parts: object, count: int) -> list[float]:
    """`count` (at most 8) independent deterministic numbers in [0, 1) from one digest."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8 * count).digest()
    return [n / 2**64 for n in _WORDS[count].unpack(digest)]


_WORDS = {count: struct.Struct(f">{count}Q") for count in range(1, 9)}  # big-endian 64-bit words


@cache
def _phase(symbol: str) -> float:
    return unit_hash("phase", symbol) * 6.283


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch_ms(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_MS


class Bar(NamedTuple):  # a tuple: a full history builds ~1.3 M, 4x faster than a frozen dataclass
    """One kline as the CSV writes it: every number is the exact decimal string."""

    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    close_time: int
    quote_volume: str
    count: int
    taker_buy_volume: str
    taker_buy_quote_volume: str

    def csv_row(self) -> str:
        return (
            f"{self.open_time},{self.open},{self.high},{self.low},{self.close},{self.volume},"
            f"{self.close_time},{self.quote_volume},{self.count},{self.taker_buy_volume},"
            f"{self.taker_buy_quote_volume},0"
        )


@cache
def price_decimals(price: float) -> int:
    """Tick precision that keeps about six significant digits, like real contracts."""
    return min(8, max(1, 5 - math.floor(math.log10(price))))


def _price_level(base: float, day: date, phase: float) -> float:
    t = day.toordinal()
    return base * math.exp(0.25 * math.sin(t / 29 + phase) + 0.08 * math.sin(t / 7.3 + 2 * phase))


class _Shape(NamedTuple):
    """What a day's bar looks like whatever its market counts volume in."""

    open_time: int
    open: str
    high: str
    low: str
    close: str
    vwap: float
    volume_share: float  # of the typical volume, in [0.3, 2.0)
    taker_share: float
    count_hash: float

    def bar(self, volume: str, quote: str, count: int, taker: str, taker_quote: str) -> Bar:
        """The bar of this shape with the market's volume columns."""
        close_time = self.open_time + DAY_MS - 1
        prices = self.open, self.high, self.low, self.close
        return Bar(self.open_time, *prices, volume, close_time, quote, count, taker, taker_quote)


def _shape(symbol: str, day: date, base_price: float, version: int) -> _Shape:
    decimals = price_decimals(base_price)
    open_text, close_text = day_prices(symbol, day, base_price)
    o, c = float(open_text), float(close_text)
    u_high, u_low, u_volume, u_vwap, u_taker, u_count = unit_hashes(symbol, day, version, count=6)
    h = max(o, c) * (1 + 0.06 * u_high)
    lo = min(o, c) * (1 - 0.06 * u_low)
    return _Shape(
        epoch_ms(day),
        open_text,
        f"{h:.{decimals}f}",
        f"{lo:.{decimals}f}",
        close_text,
        lo + (h - lo) * u_vwap,
        0.3 + 1.7 * u_volume,
        0.3 + 0.4 * u_taker,
        u_count,
    )


def _flat_bar(symbol: str, day: date, base_price: float, quote_volume: str | None) -> Bar:
    """An outage day: one price, zero volume (and a quote volume copied from a tie, if any)."""
    p = day_prices(symbol, day, base_price)[0]
    open_time = epoch_ms(day)
    return Bar(open_time, p, p, p, p, "0", open_time + DAY_MS - 1, quote_volume or "0", 0, "0", "0")


def daily_bar(
    symbol: str,
    day: date,
    *,
    base_price: float,
    liquidity: float,
    version: int = 1,
    flat: bool = False,
    quote_volume: str | None = None,
) -> Bar:
    """The USD-M 1d bar of `symbol` on `day`; `version` > 1 is a re-published, corrected file."""
    if flat:
        return _flat_bar(symbol, day, base_price, quote_volume)
    shape = _shape(symbol, day, base_price, version)
    volume = liquidity / base_price * shape.volume_share
    quote = quote_volume or f"{volume * shape.vwap:.4f}"
    return shape.bar(
        f"{volume:.3f}",
        quote,
        int(volume * 0.8 + 1 + 1000 * shape.count_hash),
        f"{volume * shape.taker_share:.3f}",
        f"{float(quote) * shape.taker_share:.4f}",
    )


def coin_bar(
    symbol: str,
    day: date,
    *,
    base_price: float,
    liquidity: float,
    contract_size: float,
    version: int = 1,
    flat: bool = False,
) -> Bar:
    """The COIN-M 1d bar of `symbol` on `day`, the CSV row by position: `volume` and
    `taker_buy_volume` count contracts (integers), the two `quote_*` fields hold base-asset
    volume, so that contracts x contract_size (USD) = base volume x the day's average price."""
    if flat:
        return _flat_bar(symbol, day, base_price, None)
    shape = _shape(symbol, day, base_price, version)
    contracts = max(1, int(liquidity / contract_size * shape.volume_share))
    taker = int(contracts * shape.taker_share)
    return shape.bar(
        str(contracts),
        coin_amount(contracts, contract_size, shape.vwap),
        int(contracts * 0.05 + 1 + 1000 * shape.count_hash),
        str(taker),
        coin_amount(taker, contract_size, shape.vwap),
    )


def coin_amount(contracts: int, contract_size: float, price: float) -> str:
    """Base-asset volume of `contracts` traded at `price`, with the 8 decimals COIN-M files use."""
    return f"{contracts * contract_size / price:.8f}"


def day_prices(symbol: str, day: date, base_price: float) -> tuple[str, str]:
    """Open and close of a day as decimal strings (the close is the next day's open)."""
    ordinal = day.toordinal()
    return _price_text(symbol, ordinal, base_price), _price_text(symbol, ordinal + 1, base_price)


@lru_cache(maxsize=8192)  # a day's open is the previous day's close
def _price_text(symbol: str, ordinal: int, base_price: float) -> str:
    level = _price_level(base_price, date.fromordinal(ordinal), _phase(symbol))
    return f"{level:.{price_decimals(base_price)}f}"


class MinuteDay(NamedTuple):  # a tuple: a history lists ~1.3 M 1m files
    """A day of 1m klines: the first half trades at the open, the second at the close.

    Rows have two shapes only, so a file's length is known without building it and listings
    can report exact sizes for millions of 1m keys that nobody downloads.
    """

    open_time: int
    open: str
    close: str
    volume: str  # per minute
    quote_volume: str  # per minute
    trades: int  # per minute; the file version, so a re-upload changes the bytes

    def _templates(self) -> tuple[str, str]:
        tail = f"{self.volume},{{c}},{self.quote_volume},{self.trades},0,0,0"
        return (
            f"{self.open},{self.open},{self.open},{self.open},{tail}",
            f"{self.close},{self.close},{self.close},{self.close},{tail}",
        )

    def csv_length(self) -> int:
        # per row: 13-digit open time, ",", four prices and ",", the tail (`_templates`, with a
        # 13-digit close time), "\n"; counted without building the templates
        tail = len(self.volume) + len(self.quote_volume) + len(str(self.trades)) + 9 + 13
        return 720 * (2 * (13 + 1 + 4 + tail + 1) + 4 * (len(self.open) + len(self.close)))

    def csv(self) -> bytes:
        first, second = self._templates()
        lines = []
        for i in range(1440):
            t = self.open_time + i * MINUTE_MS
            lines.append(
                f"{t},{(first if i < 720 else second).replace('{c}', str(t + MINUTE_MS - 1))}\n"
            )
        return "".join(lines).encode()


def minute_day(
    symbol: str,
    day: date,
    *,
    base_price: float,
    liquidity: float,
    version: int,
    contract_size: float | None = None,
) -> MinuteDay:
    """A day of 1m klines; with a `contract_size` (COIN-M) volumes count contracts and the
    quote column holds their base-asset volume at the day's open."""
    o, c = day_prices(symbol, day, base_price)
    if contract_size is None:
        volumes = _minute_volumes(base_price, liquidity)
    else:
        contracts = max(1, round(liquidity / contract_size / 1440))
        volumes = str(contracts), coin_amount(contracts, contract_size, float(o))
    return MinuteDay(epoch_ms(day), o, c, *volumes, version)


@cache
def _minute_volumes(base_price: float, liquidity: float) -> tuple[str, str]:
    """Base and quote volume per minute: a symbol's constants."""
    return f"{liquidity / base_price / 1440:.3f}", f"{liquidity / 1440:.4f}"


def daily_csv(bars: Sequence[Bar], header: bool) -> bytes:
    lines = [KLINE_HEADER] if header else []
    lines.extend(bar.csv_row() for bar in bars)
    return ("\n".join(lines) + "\n").encode()


def zip_one(member: str, payload: bytes, *, compress: bool) -> bytes:
    """A zip holding exactly one member, as every Vision kline archive does."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as archive:
        archive.writestr(zipfile.ZipInfo(member, date_time=_ZIP_DATE), payload)
    return buf.getvalue()


def stored_zip_size(member: str, payload_length: int) -> int:
    """Exact size of `zip_one(member, payload, compress=False)` without building it."""
    name = len(member.encode())
    return 30 + name + payload_length + 46 + name + 22


def checksum_text(zip_bytes_or_digest: bytes | str, basename: str, newline: bool) -> bytes:
    digest = (
        zip_bytes_or_digest
        if isinstance(zip_bytes_or_digest, str)
        else hashlib.sha256(zip_bytes_or_digest).hexdigest()
    )
    return f"{digest}  {basename}{chr(10) if newline else ''}".encode()


def corrupt(data: bytes) -> bytes:
    """Damage the middle of a zip so that it no longer opens or fails its CRC."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 16]) + data[middle + 16 :]


def malformed_zip(data: bytes, kind: str) -> bytes:
    """A kline zip broken in one way a parser must catch (its CHECKSUM will match it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        rows = archive.read(name).decode().splitlines()
    body = [r for r in rows if not r.startswith("open_time")]
    header = rows[: len(rows) - len(body)]
    if kind == "zip0":
        buf = io.BytesIO()
        zipfile.ZipFile(buf, "w").close()
        return buf.getvalue()
    if kind == "csv11":
        body = [r.rsplit(",", 1)[0] for r in body]
    elif kind == "csvtext":
        fields = body[0].split(",")
        body[0] = ",".join([fields[0], "n/a", *fields[2:]])
    payload = ("\n".join(header + body) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), payload)
        if kind == "zip2":
            archive.writestr(zipfile.ZipInfo("README.txt", date_time=_ZIP_DATE), b"extra member")
    return buf.getvalue()
