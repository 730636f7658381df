"""Bad input gets a clear error naming what was wrong, and loses nothing.

A listing that cannot be trusted fails the run and nothing of its window is written. A 1d file
that cannot be trusted is reported (symbol, days, key, reason) and not stored; the rest of the
window is.
"""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal

from bfa_assets_tests.assets.test_daily_availability import failure_message
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import (
    availability,
    expected_volume,
    materialize,
    metadata,
    query,
    volume,
)
from bfa_assets_tests.vision_sim import FaultPlan

START, END = date(2022, 9, 1), date(2022, 9, 10)
NEXT_START, NEXT_END = date(2022, 9, 11), date(2022, 9, 20)


@pytest.mark.parametrize(("kind", "reason"), [
    ("bomb", "listing is not S3 XML"), ("badxml", "listing is not S3 XML"),
    ("html", "listing root is <html>"), ("loop", "does not advance past marker"),
])  # fmt: skip
def test_an_untrustworthy_listing_fails_the_run_and_writes_nothing(sim, db_path, kind, reason):
    resources = pipeline_resources(sim, db_path, retry_attempts=2)
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, START, END)
    before = availability(db_path, ["*"])
    sim.set_faults(FaultPlan.parse(f"{kind}=1@/ETHUSDT/1m/"))
    result = materialize(["daily_availability"], resources, NEXT_START, NEXT_END,
                         raise_on_error=False)  # fmt: skip
    message = failure_message(result)
    assert "ETHUSDT" in message and reason in message and f"{NEXT_START}..{NEXT_END}" in message
    assert_frame_equal(availability(db_path, ["*"]), before)
    assert query(db_path, "SELECT max(date) AS d FROM probe_log")["d"][0] == END


def test_a_hostile_discovery_listing_fails_and_keeps_the_known_symbols(sim, db_path):
    resources = pipeline_resources(sim, db_path, retry_attempts=2)
    materialize(["futures_symbols"], resources)
    before = query(db_path, "SELECT * FROM symbols ORDER BY symbol")
    sim.set_faults(FaultPlan.parse("bomb=1@delimiter=/"))
    result = materialize(["futures_symbols"], resources, raise_on_error=False)
    assert "listing is not S3 XML" in failure_message(result)
    assert_frame_equal(query(db_path, "SELECT * FROM symbols ORDER BY symbol"), before)


@pytest.mark.parametrize(("kind", "reason"), [
    ("zip2", "zip holds 2 members, expected exactly one CSV"),
    ("zip0", "zip holds 0 members, expected exactly one CSV"),
    ("csv11", "CSV rows must have 12 columns, found [11]"),
    ("csvtext", "CSV has 1 row(s) with a value that is not a number"),
    ("garbage", "CHECKSUM is not '<sha256>  <name>'"),
    ("checksum", "SHA-256 "),
])  # fmt: skip
def test_a_broken_1d_file_is_reported_and_not_stored(sim, tiny, db_path, kind, reason):
    resources = pipeline_resources(sim, db_path)
    materialize(["futures_symbols"], resources)
    start, end, day = date(2022, 10, 1), date(2022, 10, 8), date(2022, 10, 3)  # daily files
    materialize(["daily_availability"], resources, start, end)
    sim.set_faults(FaultPlan.parse(f"{kind}=1@XRPUSDT-1d-{day}.zip"))
    meta = metadata(materialize(["daily_volume"], resources, start, end), "daily_volume")
    key = f"data/futures/um/daily/klines/XRPUSDT/1d/XRPUSDT-1d-{day}.zip"
    assert f"| XRPUSDT | {day}..{day} | {key} | {reason}" in meta["failed_files"]
    expected = expected_volume(tiny, start, end)
    assert_frame_equal(volume(db_path), expected.filter(~((expected["symbol"] == "XRPUSDT")
                                                         & (expected["date"] == day))))  # fmt: skip
