"""The simulator answers ListObjects v1 and v2 the way S3 does."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx
import pytest

from bfa_assets_tests.test_vision_sim.s3xml import get_page, walk_v1, walk_v2
from bfa_assets_tests.vision_sim import SimServer, bucket, build
from bfa_assets_tests.vision_sim.scenarios import snapshot_symbols

KLINES = "data/futures/um/daily/klines/"


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_full_universe_discovery_is_two_pages_with_non_ascii_names_last(http):
    perpetual, delivery = snapshot_symbols()
    with SimServer(build("full")) as sim:
        pages = walk_v1(http, sim.vision_url, prefix=KLINES, delimiter="/")
    assert [len(p.prefixes) for p in pages] == [1000, 7]
    assert pages[0].truncated and pages[0].next_marker == pages[0].prefixes[-1]
    assert not pages[1].truncated and pages[1].next_marker is None
    names = [p.removeprefix(KLINES).removesuffix("/") for page in pages for p in page.prefixes]
    assert sorted(names) == sorted(perpetual + delivery)
    assert names == sorted(names, key=str.encode)
    assert names[-3:] == ["币安人生USDT", "我踏马来了USDT", "龙虾USDT"]


def test_root_prefix_is_echoed_and_etags_are_quoted_entities(sim, http):
    page = get_page(http, sim.vision_url, prefix=f"{KLINES}BTCUSDT/1d/", max_keys=2)
    assert page.root_prefix == f"{KLINES}BTCUSDT/1d/"
    assert "<Marker></Marker>" in page.raw and "<Delimiter>" not in page.raw
    assert "<ETag>&quot;" in page.raw
    assert all(o["etag"].startswith('"') and o["etag"].endswith('"') for o in page.objects.values())


def test_next_marker_is_sent_only_for_truncated_pages_with_a_delimiter(sim, http):
    plain = get_page(http, sim.vision_url, prefix=f"{KLINES}BTCUSDT/1m/", max_keys=3)
    grouped = get_page(http, sim.vision_url, prefix=KLINES, delimiter="/", max_keys=3)
    last = get_page(http, sim.vision_url, prefix=KLINES, delimiter="/")
    assert plain.truncated and plain.next_marker is None
    assert grouped.truncated and grouped.next_marker == grouped.prefixes[-1]
    assert not last.truncated and last.next_marker is None


@pytest.mark.parametrize("max_keys", [1, 2, 7, 1000])
def test_pages_concatenate_to_the_whole_listing(sim, http, max_keys):
    prefix = f"{KLINES}龙虾USDT/1m/"  # every marker here is a non-ASCII key
    whole = get_page(http, sim.vision_url, prefix=prefix)
    v1 = walk_v1(http, sim.vision_url, prefix=prefix, max_keys=max_keys)
    v2 = walk_v2(http, sim.vision_url, prefix=prefix, max_keys=max_keys)
    assert not whole.truncated and len(whole.keys) == 2 * 54  # 55 days, the last one is late
    for pages in (v1, v2):
        assert [k for p in pages for k in p.keys] == whole.keys
        assert all(len(p.keys) == max_keys for p in pages[:-1])


def test_marker_is_exclusive_and_need_not_be_a_key(sim, http):
    prefix = f"{KLINES}ETHUSDT/1d/"
    page = get_page(
        http, sim.vision_url, prefix=prefix, marker=f"{prefix}ETHUSDT-1d-2022-07-03", max_keys=3
    )
    assert page.keys == [
        f"{prefix}ETHUSDT-1d-2022-07-03.zip",
        f"{prefix}ETHUSDT-1d-2022-07-03.zip.CHECKSUM",
        f"{prefix}ETHUSDT-1d-2022-07-04.zip",
    ]
    after = get_page(http, sim.vision_url, prefix=prefix, marker=page.keys[0], max_keys=1)
    assert after.keys == [page.keys[1]]


def test_a_page_ending_on_a_common_prefix_continues_after_it(sim, http):
    pages = walk_v1(http, sim.vision_url, prefix=KLINES, delimiter="/", max_keys=5)
    prefixes = [p for page in pages for p in page.prefixes]
    assert len(prefixes) == len(set(prefixes)) == 14
    assert [len(p.prefixes) for p in pages] == [5, 5, 4]


def test_v2_reports_key_count_and_start_after(sim, http):
    prefix = f"{KLINES}BTCUSDT/"
    first = get_page(http, sim.vision_url, list_type=2, prefix=prefix, delimiter="/", max_keys=2)
    assert first.key_count == 2 and first.prefixes == [f"{prefix}/", f"{prefix}1d/"]
    assert first.truncated and first.next_token and first.next_marker is None
    rest = get_page(
        http,
        sim.vision_url,
        list_type=2,
        prefix=prefix,
        delimiter="/",
        continuation_token=first.next_token,
    )
    assert rest.prefixes == [f"{prefix}1m/"] and rest.key_count == 1 and not rest.truncated
    started = get_page(
        http, sim.vision_url, list_type=2, prefix=prefix, delimiter="/", start_after=f"{prefix}1d/"
    )
    assert started.prefixes == [f"{prefix}1m/"] and "<StartAfter>" in started.raw


def test_start_after_without_list_type_2_is_rejected(sim, http):
    response = http.get(sim.vision_url, params={"prefix": KLINES, "start-after": f"{KLINES}B"})
    assert response.status_code == 400
    assert "<Code>InvalidArgument</Code>" in response.text


@pytest.mark.parametrize(
    ("value", "status", "max_keys"),
    [("abc", 400, None), ("-1", 400, None), ("5000", 200, 1000), ("0", 200, 0)],
)
def test_max_keys_is_validated_and_capped_at_1000(sim, http, value, status, max_keys):
    page = get_page(http, sim.vision_url, prefix=KLINES, delimiter="/", max_keys=value)
    assert page.status == status
    if status == 200:
        assert page.max_keys == max_keys
        assert len(page.prefixes) == (0 if max_keys == 0 else 14)
        assert not page.truncated


def test_unknown_prefix_answers_an_empty_listing(sim, http):
    page = get_page(http, sim.vision_url, prefix=f"{KLINES}NOSUCHUSDT/")
    assert page.status == 200 and page.keys == [] and page.prefixes == [] and not page.truncated


def test_keys_come_in_utf8_byte_order(sim, http):
    keys = [
        k for p in walk_v1(http, sim.vision_url, prefix="data/futures/um/monthly/") for k in p.keys
    ]
    assert keys == sorted(keys, key=str.encode) and len(keys) > 50
    assert any(not k.isascii() for k in keys)


def test_a_stray_empty_folder_shows_as_a_common_prefix(sim, http):
    page = get_page(http, sim.vision_url, prefix=f"{KLINES}BTCUSDT/", delimiter="/")
    assert page.prefixes == [f"{KLINES}BTCUSDT//", f"{KLINES}BTCUSDT/1d/", f"{KLINES}BTCUSDT/1m/"]
    stray = get_page(http, sim.vision_url, prefix=f"{KLINES}BTCUSDT//")
    assert stray.keys == [f"{KLINES}BTCUSDT//"] and stray.objects[f"{KLINES}BTCUSDT//"]["size"] == 0


def test_listing_walks_the_tree_top_down(sim, http):
    assert get_page(http, sim.vision_url, prefix="", delimiter="/").prefixes == ["data/"]
    assert get_page(http, sim.vision_url, prefix="data/futures/um/", delimiter="/").prefixes == [
        "data/futures/um/daily/",
        "data/futures/um/monthly/",
    ]
    partial = get_page(http, sim.vision_url, prefix=f"{KLINES}BTC", delimiter="/")
    assert partial.prefixes == [
        f"{KLINES}BTCBUSD/",
        f"{KLINES}BTCUSDT/",
        f"{KLINES}BTCUSDT_220930/",
    ]


def _every_page(universe, prefix: str, max_keys: int) -> list[bytes]:
    pages, after = [], ""
    while True:
        req = bucket.ListRequest(prefix=prefix, after=after, max_keys=max_keys)
        page = bucket.list_objects(universe, req)
        pages.append(page)
        keys = re.findall(rb"<Key>([^<]*)</Key>", page)
        if b"<IsTruncated>true" not in page:
            return pages
        after = html.unescape(keys[-1].decode())


@pytest.mark.parametrize("max_keys", [3, 1000])
def test_prerendered_listings_are_the_same_bytes_and_rendered_again_when_the_clock_moves(max_keys):
    """Rendering what a history lists before serving changes no byte of any page, and a
    clock that moves on renders again: BTCUSDT's 2022-10-01 files are re-uploaded on 10-05."""
    fresh, rendered = build("tiny"), build("tiny")
    for universe in (fresh, rendered):
        universe.set_now(datetime(2022, 10, 5, tzinfo=UTC))
    folders = rendered.history_folders()
    assert bucket.render_listings(rendered, folders) == len(rendered.listed) > 1000
    btc = f"{KLINES}BTCUSDT/1m/"
    before = _every_page(rendered, btc, max_keys)
    for prefix in [*folders, KLINES, "data/futures/um/", f"{KLINES}BTCUSDT/1d/"]:
        assert _every_page(rendered, prefix, max_keys) == _every_page(fresh, prefix, max_keys)
    later = build("tiny")  # its clock is after the re-upload
    rendered.set_now(later.now)
    assert _every_page(rendered, btc, max_keys) == _every_page(later, btc, max_keys) != before
