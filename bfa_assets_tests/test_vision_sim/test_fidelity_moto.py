"""The simulator's listings match a real S3 implementation (moto in server mode), page for page.

The same keys, with the same bytes, are put into moto; then both answer the same v1 and v2
requests over every prefix/delimiter/max-keys/marker boundary we rely on. Two documented
simplifications of moto are worked around, never copied: moto's v1 ignores max-keys and the
marker for CommonPrefixes (so v1-with-delimiter pages are compared with moto's v2 answer to the
same question, which is how S3 defines them), and moto's v1 NextMarker is an opaque token
(followed as is). 1m ETags are opaque in the simulator by design, so only 1d ETags are compared.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import quote

import httpx
import pytest
from moto.server import ThreadedMotoServer

from bfa_assets_tests.test_vision_sim.s3xml import Page, get_page, walk_v1, walk_v2
from bfa_assets_tests.vision_sim import SimServer, SymbolLife, Universe
from bfa_assets_tests.vision_sim.datasets import CATALOGUE
from bfa_assets_tests.vision_sim.universe import BUCKET

DAILY = "data/futures/um/daily/klines/"
CM_DAILY = "data/futures/cm/daily/klines/"
MONTHLY = "data/futures/um/monthly/klines/"
FIRST = date(2022, 7, 28)
LIVES = [
    SymbolLife("BTCUSDT", FIRST, stray_folder=True, monthly_delay_days=2),
    SymbolLife("BTCUSDT_220930", FIRST, delivery=True, monthly_delay_days=2),
    SymbolLife("ETHUSDT", FIRST, gaps=frozenset({date(2022, 7, 30)}), monthly_delay_days=2),
    SymbolLife(
        "ETHBTC", FIRST, quote="BTC", unpadded_months=frozenset({(2022, 7)}), monthly_delay_days=2
    ),
    SymbolLife("币安人生USDT", FIRST, monthly_delay_days=2),
    SymbolLife("龙虾USDT", date(2022, 7, 31)),
    SymbolLife(
        "BTCUSD_PERP", FIRST, quote="USD", market="cm", contract_size=100, monthly_delay_days=2
    ),
    SymbolLife(
        "ETHUSD_220930",
        FIRST,
        quote="USD",
        delivery=True,
        market="cm",
        contract_size=10,
        monthly_delay_days=2,
    ),
]
NOW = datetime(2022, 8, 4, 10, 0, tzinfo=UTC)  # 2022-07-28 … 2022-08-03 published, July monthly out
# Every dataset beside the klines, with small files: moto is given each object's bytes.
DATASETS = {m: tuple(replace(d, size=300) for d in datasets) for m, datasets in CATALOGUE.items()}
AGG = "data/futures/um/daily/aggTrades/"
AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20220801/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
}
PREFIXES = [
    ("", ""),
    ("", "/"),
    ("data/futures/", "/"),
    ("data/futures/um/", "/"),
    (CM_DAILY, "/"),
    (CM_DAILY, ""),
    (DAILY, "/"),
    (DAILY, ""),
    (f"{DAILY}BTC", "/"),
    (f"{DAILY}BTCUSDT/", "/"),
    (f"{DAILY}BTCUSDT/", ""),
    (f"{DAILY}币安人生USDT/1m/", ""),
    (MONTHLY, "/"),
    (f"{MONTHLY}ETHBTC/1d/", ""),
    ("data/spot/", ""),
    ("data/futures/um/daily/", "/"),
    ("data/futures/cm/monthly/", "/"),
    (AGG, "/"),
    (f"{AGG}BTCUSDT/", ""),
    ("data/futures/cm/daily/indexPriceKlines/", ""),
    ("data/futures/um/daily/markPriceKlines/BTCUSDT/", "/"),
    ("data/futures/um/monthly/fundingRate/", ""),
]
STARTS = [
    "",
    f"{DAILY}BTCUSDT/",
    f"{DAILY}BTCUSDT_220930/1m/BTCUSDT_220930-1m-2022-08-01",
    f"{DAILY}币安人生USDT/1m/币安人生USDT-1m-2022-07-30.zip",
    f"{DAILY}我",
    f"{AGG}BTCUSDT/BTCUSDT-aggTrades-2022-07-30.zip",
    "data/futures/um/daily/metrics/",
]


@pytest.fixture(scope="module")
def servers():
    """(simulator bucket URL, moto bucket URL, every key) with identical contents."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}/{BUCKET}"
    with (
        SimServer(Universe(LIVES, now=NOW, datasets=DATASETS)) as sim,
        httpx.Client(headers=AUTH, timeout=30) as http,
    ):
        keys = [k for page in walk_v2(http, sim.vision_url, prefix="") for k in page.keys]
        assert http.put(moto_url).status_code == 200
        for key in keys:
            body = http.get(f"{sim.vision_url}/{quote(key)}").content
            assert http.put(f"{moto_url}/{quote(key)}", content=body).status_code == 200
        yield sim.vision_url, moto_url, keys
    moto.stop()


@pytest.fixture(scope="module")
def http():
    with httpx.Client(headers=AUTH, timeout=30) as client:
        yield client


def test_every_object_of_the_universe_is_listed(servers):
    _, _, keys = servers
    keys = [k for k in keys if "/klines/" in k]  # the other datasets: below
    daily_days = {
        "BTCUSDT": 7,
        "BTCUSDT_220930": 7,
        "ETHUSDT": 6,
        "ETHBTC": 7,
        "币安人生USDT": 7,
        "龙虾USDT": 4,
        "BTCUSD_PERP": 7,
        "ETHUSD_220930": 7,
    }
    monthly = (
        4 * 7 - 1
    )  # 1m and 1d zips with CHECKSUMs for seven July symbols; ETHBTC's 1d unpadded
    assert len(keys) == 4 * sum(daily_days.values()) + monthly + 1  # + the stray folder marker


def test_every_dataset_file_is_listed_with_its_checksum(servers):
    _, _, keys = servers
    universe = Universe(LIVES, now=NOW, datasets=DATASETS)
    zips = sorted(k for k in keys if "/klines/" not in k and k.endswith(".zip"))
    assert sorted(k for k in keys if "/klines/" not in k) == sorted(
        [*zips, *(f"{k}.CHECKSUM" for k in zips)]
    )
    daily = {
        (m, d.name): universe.datasets.files(m, d.name)
        for m in ("um", "cm")
        for d in DATASETS[m]
        if "daily" in d.periods
    }
    assert sum(1 for k in zips if "/daily/" in k) == sum(len(f) for f in daily.values())
    assert {k.split("/")[4] for k in zips if "/um/daily/" in k} == {
        "aggTrades",
        "bookTicker",
        "indexPriceKlines",
        "markPriceKlines",
        "metrics",
        "premiumIndexKlines",
        "trades",
    }  # bookDepth starts in 2023: no folder yet
    assert f"{AGG}BTCUSDT/BTCUSDT-aggTrades-2022-07-30.zip" in zips
    assert "data/futures/cm/daily/indexPriceKlines/BTCUSD/1m/BTCUSD-1m-2022-07-30.zip" in zips
    assert not [k for k in zips if "/daily/fundingRate/" in k]  # monthly only


def _same_pages(ours: list[Page], theirs: list[Page], context: str) -> None:
    assert [p.keys for p in ours] == [p.keys for p in theirs], context
    assert [p.prefixes for p in ours] == [p.prefixes for p in theirs], context
    assert [p.truncated for p in ours] == [p.truncated for p in theirs], context


@pytest.mark.parametrize(("prefix", "delimiter"), PREFIXES)
def test_v2_pages_match_moto(servers, http, prefix, delimiter):
    sim_url, moto_url, _ = servers
    for max_keys in (1, 3, 1000) if prefix.count("/") > 4 or delimiter else (7, 1000):
        for start in STARTS:
            params = {"prefix": prefix, "delimiter": delimiter, "max_keys": max_keys}
            if start:
                params["start_after"] = start
            ours, theirs = walk_v2(http, sim_url, **params), walk_v2(http, moto_url, **params)
            _same_pages(ours, theirs, f"v2 {params}")
            assert [p.key_count for p in ours] == [p.key_count for p in theirs]


@pytest.mark.parametrize(("prefix", "delimiter"), PREFIXES)
def test_v1_pages_match_moto(servers, http, prefix, delimiter):
    sim_url, moto_url, _ = servers
    for max_keys in (1, 3, 1000) if prefix.count("/") > 4 or delimiter else (7, 1000):
        for marker in STARTS:
            params = {
                "prefix": prefix,
                "delimiter": delimiter,
                "max_keys": max_keys,
                "marker": marker,
            }
            ours = walk_v1(http, sim_url, **params)
            if delimiter:  # moto's v1 does not page CommonPrefixes; S3 defines them as v2 does
                v2 = {k: v for k, v in params.items() if k != "marker"}
                theirs = walk_v2(
                    http, moto_url, **v2, **({"start_after": marker} if marker else {})
                )
                assert all(p.next_marker == max(p.keys + p.prefixes) for p in ours if p.truncated)
            else:
                theirs = walk_v1(http, moto_url, **params)
                assert all(p.next_marker is None for p in ours)
            _same_pages(ours, theirs, f"v1 {params}")


def test_sizes_and_1d_etags_match_moto(servers, http):
    sim_url, moto_url, keys = servers
    ours = {k: v for p in walk_v1(http, sim_url, prefix="") for k, v in p.objects.items()}
    theirs = {k: v for p in walk_v1(http, moto_url, prefix="") for k, v in p.objects.items()}
    assert list(ours) == list(theirs) == keys
    assert {k: v["size"] for k, v in ours.items()} == {k: v["size"] for k, v in theirs.items()}
    one_day = [k for k in keys if "/1d/" in k]
    assert len(one_day) > 40
    assert {k: ours[k]["etag"] for k in one_day} == {k: theirs[k]["etag"] for k in one_day}


def test_objects_and_missing_keys_match_moto(servers, http):
    sim_url, moto_url, keys = servers
    missing = f"{DAILY}ETHUSDT/1d/ETHUSDT-1d-2022-07-30.zip"  # the gap day
    for key in [*[k for k in keys if "/1d/" in k][:12], missing]:
        ours, theirs = http.get(f"{sim_url}/{quote(key)}"), http.get(f"{moto_url}/{quote(key)}")
        assert ours.status_code == theirs.status_code
        assert (
            ours.content == theirs.content
            if ours.status_code == 200
            else "NoSuchKey" in theirs.text
        )
        if ours.status_code == 200:
            assert ours.headers["etag"] == theirs.headers["etag"]
            assert ours.headers["content-length"] == theirs.headers["content-length"]
    assert get_page(http, sim_url, prefix="x").status == get_page(http, moto_url, prefix="x").status
