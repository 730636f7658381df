"""Objects: GET/HEAD headers, zips and CHECKSUM files as Vision publishes them."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
import pytest

from bfa_assets_tests.test_vision_sim.s3xml import get_page
from bfa_assets_tests.test_vision_sim.zips import member_rows
from bfa_assets_tests.vision_sim import SimServer, SymbolLife, Universe
from bfa_assets_tests.vision_sim.content import KLINE_HEADER

DAILY = "data/futures/um/daily/klines/"
MONTHLY = "data/futures/um/monthly/klines/"


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_get_and_head_carry_s3_headers_that_match_the_listing(sim, http):
    key = f"{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-09-01.zip"
    listed = get_page(http, sim.vision_url, prefix=key).objects[key]
    got = http.get(f"{sim.vision_url}/{key}")
    head = http.head(f"{sim.vision_url}/{key}")
    assert got.status_code == head.status_code == 200
    assert got.headers["etag"] == head.headers["etag"] == listed["etag"]
    assert got.headers["etag"] == f'"{hashlib.md5(got.content).hexdigest()}"'
    assert int(head.headers["content-length"]) == len(got.content) == listed["size"]
    assert head.content == b""
    assert (
        got.headers["content-type"] == "application/zip" and got.headers["accept-ranges"] == "bytes"
    )
    modified = parsedate_to_datetime(got.headers["last-modified"])
    assert modified == datetime.fromisoformat(listed["last_modified"])
    assert (
        datetime(2022, 9, 2, 7, 30, tzinfo=UTC)
        <= modified
        <= datetime(2022, 9, 2, 9, 0, tzinfo=UTC)
    )


def test_a_missing_key_is_a_404_with_an_s3_no_such_key_body(sim, http):
    response = http.get(f"{sim.vision_url}/{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-08-02.zip")  # a gap
    assert response.status_code == 404
    assert "<Code>NoSuchKey</Code>" in response.text
    assert f"<Key>{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-08-02.zip</Key>" in response.text


def test_non_ascii_keys_are_served_under_their_percent_encoded_utf8_path(sim, http):
    key = f"{DAILY}币安人生USDT/1d/币安人生USDT-1d-2022-09-10.zip"
    response = http.get(f"{sim.vision_url}/{quote(key)}")
    assert response.status_code == 200
    name, rows = member_rows(response.content)
    assert name == "币安人生USDT-1d-2022-09-10.csv" and len(rows) == 2  # header + bar


def test_a_daily_1d_zip_holds_one_bar_of_twelve_columns_in_epoch_ms(sim, http):
    response = http.get(f"{sim.vision_url}/{DAILY}BTCUSDT/1d/BTCUSDT-1d-2022-09-01.zip")
    _, rows = member_rows(response.content)
    assert rows[0] == KLINE_HEADER.split(",")
    (bar,) = rows[1:]
    assert len(bar) == 12
    assert int(bar[0]) == int(datetime(2022, 9, 1, tzinfo=UTC).timestamp() * 1000)
    assert int(bar[6]) == int(bar[0]) + 86_400_000 - 1
    truth = sim.universe.bar("BTCUSDT", date(2022, 9, 1))
    assert bar[1:6] == [truth.open, truth.high, truth.low, truth.close, truth.volume]
    assert (
        float(bar[3])
        <= min(float(bar[1]), float(bar[4]))
        <= max(float(bar[1]), float(bar[4]))
        <= float(bar[2])
    )


def test_a_daily_1m_zip_holds_1440_minutes_and_matches_its_listed_size(sim, http):
    key = f"{DAILY}ETHUSDC/1m/ETHUSDC-1m-2022-07-05.zip"
    listed = get_page(http, sim.vision_url, prefix=key).objects[key]
    response = http.get(f"{sim.vision_url}/{key}")
    assert len(response.content) == listed["size"]
    _, rows = member_rows(response.content)
    assert len(rows) == 1440 and rows[0][0] != "open_time"  # before 2022-08-11: no header
    assert int(rows[1][0]) - int(rows[0][0]) == 60_000
    monthly = f"{MONTHLY}ETHUSDC/1m/ETHUSDC-1m-2022-07.zip"
    listed = get_page(http, sim.vision_url, prefix=monthly).objects[monthly]
    response = http.get(f"{sim.vision_url}/{monthly}")
    _, rows = member_rows(response.content)
    assert len(response.content) == listed["size"] and len(rows) == 1 + 31 * 1440


def test_header_rows_follow_vision_history(sim, http):
    def first_cell(key: str) -> str:
        return member_rows(http.get(f"{sim.vision_url}/{key}").content)[1][0][0]

    assert first_cell(f"{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-08-10.zip") != "open_time"
    assert first_cell(f"{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-08-11.zip") == "open_time"
    assert first_cell(f"{DAILY}BTCUSDT/1d/BTCUSDT-1d-2022-07-21.zip") == "open_time"  # an island
    assert (
        first_cell(f"{MONTHLY}ETHUSDT/1d/ETHUSDT-1d-2022-07.zip") == "open_time"
    )  # monthly: 2022-01


def test_checksum_files_hold_the_sha256_and_basename(sim, http):
    key = f"{DAILY}XRPUSDT/1d/XRPUSDT-1d-2022-09-12.zip"
    zipped = http.get(f"{sim.vision_url}/{key}").content
    text = http.get(f"{sim.vision_url}/{key}.CHECKSUM").text
    assert text == f"{hashlib.sha256(zipped).hexdigest()}  XRPUSDT-1d-2022-09-12.zip\n"


def test_older_checksum_files_have_no_trailing_newline(http):
    life = SymbolLife("OLDUSDT", date(2020, 6, 1), last_day=date(2020, 6, 3))
    universe = Universe([life], now=datetime(2020, 7, 20, tzinfo=UTC))
    with SimServer(universe) as sim:
        key = f"{DAILY}OLDUSDT/1d/OLDUSDT-1d-2020-06-02.zip"
        zipped = http.get(f"{sim.vision_url}/{key}").content
        assert http.get(f"{sim.vision_url}/{key}.CHECKSUM").text == (
            f"{hashlib.sha256(zipped).hexdigest()}  OLDUSDT-1d-2020-06-02.zip"
        )
        _, rows = member_rows(
            http.get(f"{sim.vision_url}/{MONTHLY}OLDUSDT/1d/OLDUSDT-1d-2020-06.zip").content
        )
        assert len(rows) == 3 and rows[0][0] != "open_time"  # monthly before 2022-01: no header


def test_a_monthly_1d_file_holds_the_daily_bars_of_its_month(sim, http):
    _, monthly = member_rows(
        http.get(f"{sim.vision_url}/{MONTHLY}ETHUSDT/1d/ETHUSDT-1d-2022-08.zip").content
    )
    days = monthly[1:]
    assert len(days) == 30  # 31 days minus the gap on 2022-08-02
    _, daily = member_rows(
        http.get(f"{sim.vision_url}/{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-08-15.zip").content
    )
    assert daily[1] in days


def test_an_unpadded_monthly_key_comes_without_a_checksum(sim, http):
    page = get_page(http, sim.vision_url, prefix=f"{MONTHLY}BTCBUSD/1d/")
    names = [k.rsplit("/", 1)[1] for k in page.keys]
    assert "BTCBUSD-1d-2022-8.zip" in names
    assert "BTCBUSD-1d-2022-08.zip" not in names and "BTCBUSD-1d-2022-8.zip.CHECKSUM" not in names
    assert names.index("BTCBUSD-1d-2022-8.zip") > names.index("BTCBUSD-1d-2022-07.zip.CHECKSUM")
    assert (
        http.get(f"{sim.vision_url}/{MONTHLY}BTCBUSD/1d/BTCBUSD-1d-2022-8.zip").status_code == 200
    )
