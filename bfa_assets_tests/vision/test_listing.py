"""Listing parsing and pagination against the simulator, including hostile answers."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bfa_assets.http.client import BadResponse, HttpClient, HTTPFailure
from bfa_assets.http.retry import RetryPolicy
from bfa_assets.vision.listing import ListingError, list_objects, parse_page_body
from bfa_assets_tests.vision_sim import FaultPlan

KLINES = "data/futures/um/daily/klines/"
FAST_RETRY = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=0.05)


def run_listing(sim, prefix: str, retry: RetryPolicy = FAST_RETRY, **options) -> object:
    async def go():
        async with HttpClient(sim.vision_url, retry=retry) as http:
            return await list_objects(http, prefix, **options), http.stats

    return asyncio.run(go())


def test_pages_are_parsed_by_structure_not_by_collecting_every_prefix():
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
    <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
    <Prefix>data/</Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>
    <IsTruncated>false</IsTruncated>
    <Contents><Key>data/x.zip</Key><LastModified>2024-01-02T08:48:00.000Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
    <CommonPrefixes><Prefix>data/a/</Prefix></CommonPrefixes></ListBucketResult>"""
    page = parse_page_body(body)
    assert page.prefixes == ["data/a/"]  # not the root's echo "data/"
    (obj,) = page.objects
    assert (obj.key, obj.size, obj.etag, obj.last_modified.isoformat()) == (
        "data/x.zip",
        12,
        "abc",
        "2024-01-02T08:48:00+00:00",
    )
    assert not page.is_truncated and page.next_marker is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not ListBucketResult"),
        (b"<ListBucketResult><Contents><Key>a", "not S3 XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
            b"<ListBucketResult>&a;</ListBucketResult>",
            "not S3 XML",
        ),
        (
            b"<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>",
            "malformed",
        ),
        (
            b"<ListBucketResult><Contents><Key>a</Key><Size>1</Size><ETag>e</ETag>"
            b"<LastModified>2024-01-02T08:48:00</LastModified></Contents></ListBucketResult>",
            "without a time zone",
        ),
    ],
)
def test_hostile_or_broken_pages_are_bad_responses(body, message):
    with pytest.raises(BadResponse, match=message):
        parse_page_body(body)


def test_pagination_over_non_ascii_markers_returns_every_key_once(sim):
    prefix = f"{KLINES}龙虾USDT/1m/"
    whole, _ = run_listing(sim, prefix)
    paged, stats = run_listing(sim, prefix, max_keys=3)
    assert [o.key for o in paged.objects] == [o.key for o in whole.objects]
    assert len(whole.objects) == 108 and paged.pages == 36 and stats.requests == 36


def test_a_listing_stops_once_it_passes_the_stop_key(sim):
    prefix = f"{KLINES}ETHUSDT/1m/"
    listing, stats = run_listing(
        sim,
        prefix,
        marker=f"{prefix}ETHUSDT-1m-2022-09-01",
        max_keys=4,
        stop_after=f"{prefix}ETHUSDT-1m-2022-09-05.zip.CHECKSUM",
    )
    days = [o.key.rsplit("-1m-", 1)[1][:10] for o in listing.objects]
    assert days == [
        d
        for d in ["2022-09-01", "2022-09-02", "2022-09-03", "2022-09-04", "2022-09-05"]
        for _ in (0, 1)
    ]
    assert stats.requests == 3


def test_discovery_prefixes_with_a_delimiter(sim):
    listing, _ = run_listing(sim, KLINES, delimiter="/", max_keys=4)
    assert len(listing.prefixes) == 14 and listing.pages == 4 and listing.objects == []


def test_a_listing_that_repeats_its_marker_is_an_error_not_a_loop(sim):
    sim.set_faults(FaultPlan.parse("loop=1"))
    with pytest.raises(ListingError, match="does not advance past marker"):
        run_listing(sim, KLINES, marker=f"{KLINES}A")


@pytest.mark.parametrize("kind", ["html", "badxml", "bomb"])
def test_persistently_garbled_listings_fail_with_a_clear_error_after_retries(sim, kind):
    sim.set_faults(FaultPlan.parse(f"{kind}=1"))
    with pytest.raises(HTTPFailure, match=r"still failing after 3 attempts: listing") as error:
        run_listing(sim, KLINES, delimiter="/")
    assert "prefix=data%2Ffutures%2Fum%2Fdaily%2Fklines%2F" in str(error.value)


def test_transient_garbage_is_retried_and_the_result_is_exact(sim):
    clean, _ = run_listing(sim, f"{KLINES}ETHUSDT/1m/", max_keys=10)
    sim.set_faults(FaultPlan.parse("html=0.3,badxml=0.2,503=0.2", seed=3))
    patient = RetryPolicy(max_attempts=20, initial_wait=0.01, max_wait=0.05)
    noisy, stats = run_listing(sim, f"{KLINES}ETHUSDT/1m/", retry=patient, max_keys=10)
    assert noisy.objects == clean.objects and stats.retries > 5


def test_an_empty_prefix_is_an_empty_listing(sim):
    listing, _ = run_listing(sim, f"{KLINES}NOSUCH/")
    assert listing.objects == [] and listing.prefixes == [] and listing.pages == 1
    assert date(2022, 1, 1)  # the listing returns, it does not raise
