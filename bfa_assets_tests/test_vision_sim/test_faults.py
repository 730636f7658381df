"""Injected latency and faults: each kind behaves as promised and is reproducible from a seed."""

from __future__ import annotations

import hashlib
import time
import zipfile
import zlib

import httpx
import pytest

from bfa_assets_tests.test_vision_sim.zips import read_member
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, build

KEY = "data/futures/um/daily/klines/ETHUSDT/1d/ETHUSDT-1d-2022-09-01.zip"


def plan(spec: str, **options: object) -> FaultPlan:
    return FaultPlan.parse(spec, **options)


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_slowdown_answers_503_with_an_s3_body(sim, http):
    sim.set_faults(plan("503=1"))
    response = http.get(f"{sim.vision_url}/{KEY}")
    assert response.status_code == 503 and "<Code>SlowDown</Code>" in response.text


def test_internal_error_answers_500(sim, http):
    sim.set_faults(plan("500=1@/ETHUSDT/"))
    assert http.get(f"{sim.vision_url}/{KEY}").status_code == 500
    assert http.get(f"{sim.vision_url}/{KEY.replace('ETHUSDT', 'XRPUSDT')}").status_code == 200


def test_a_reset_closes_the_connection_without_an_answer(sim, http):
    sim.set_faults(plan("reset=1"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.get(f"{sim.vision_url}/{KEY}")


def test_a_truncated_body_breaks_off_after_the_headers(sim, http):
    sim.set_faults(plan("truncate=1"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get(f"{sim.vision_url}/{KEY}")


def test_a_corrupt_zip_keeps_its_headers_but_not_its_bytes(sim, http):
    good = http.get(f"{sim.vision_url}/{KEY}")
    sim.set_faults(plan("corrupt=1"))
    bad = http.get(f"{sim.vision_url}/{KEY}")
    assert bad.headers["etag"] == good.headers["etag"] and len(bad.content) == len(good.content)
    assert hashlib.md5(bad.content).hexdigest() != good.headers["etag"].strip('"')
    with pytest.raises((zipfile.BadZipFile, zlib.error)):
        read_member(bad.content)


def test_a_checksum_fault_serves_a_wrong_digest(sim, http):
    good = http.get(f"{sim.vision_url}/{KEY}.CHECKSUM").text
    sim.set_faults(plan("checksum=1"))
    bad = http.get(f"{sim.vision_url}/{KEY}.CHECKSUM").text
    assert bad != good and bad.split()[1] == good.split()[1]


def test_listing_faults_break_the_xml(sim, http):
    for kind, check in [
        ("html", lambda r: r.text.startswith("<html>")),
        ("badxml", lambda r: not r.text.rstrip().endswith("</ListBucketResult>")),
        ("bomb", lambda r: "<!ENTITY" in r.text),
        ("loop", lambda r: "<NextMarker>m</NextMarker>" in r.text),
    ]:
        sim.set_faults(plan(f"{kind}=1"))
        response = http.get(sim.vision_url, params={"prefix": "data/", "marker": "m"})
        assert response.status_code == 200 and check(response), kind


def test_faults_are_reproducible_from_the_seed_and_fresh_on_each_retry():
    def decisions(seed: int) -> list[str | None]:
        p = plan("503=0.3,reset=0.1", seed=seed)
        return [p.draw(f"/k{i % 7}")[0] for i in range(200)]

    assert decisions(1) == decisions(1)
    assert decisions(1) != decisions(2)
    drawn = decisions(1)
    assert 0.2 < drawn.count("503") / 200 < 0.45 and drawn.count("reset") > 5


def test_latency_is_added_to_every_request(http):
    with SimServer(build("tiny"), plan("", latency_ms=150)) as sim:
        started = time.monotonic()
        http.get(f"{sim.vision_url}/{KEY}")
        assert time.monotonic() - started >= 0.15
    assert plan("jitter=50,spike=1,spike_ms=10").draw("/x")[1] <= 0.06


def test_a_bad_spec_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="unknown fault"):
        plan("explode=0.5")
    with pytest.raises(ValueError, match="not within"):
        plan("503=2")
