"""The release's dataset coverage: its Parquet file, and its picture (the share of live
contracts with each dataset's file per day, unchecked days unknown)."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import duckdb
import pyarrow.parquet as pq

from bfa_assets.release.coverage_picture import draw, shares
from bfa_assets_tests.conftest import HOLED_WINDOWS
from bfa_assets_tests.release.test_picture import PNG_SIGNATURE
from bfa_assets_tests.vision_sim.datasets import days_between


def test_the_shares_are_the_simulators_and_unchecked_days_are_unknown(released_with_holes):
    universe = released_with_holes.universe
    runs, checks = universe.coverage_truth(list(HOLED_WINDOWS))
    path = released_with_holes.release_dir / "availability.duckdb"
    with duckdb.connect(str(path), read_only=True) as conn:
        frame = shares(conn, date(2022, 10, 8))
    got = {(r["market"], r["dataset"], r["date"]): r for r in frame.iter_rows(named=True)}
    day, inside_hole = date(2022, 9, 14), date(2022, 8, 15)  # the trades incident; unchecked
    for market, dataset in {(c["market"], c["dataset"]) for c in checks}:
        have = {
            r["symbol"]
            for r in runs
            if (r["market"], r["dataset"]) == (market, dataset)
            and r["first_date"] <= day <= r["last_date"]
        }
        live = [s for s in universe.symbols_of(market) if universe.is_published(s, "1m", day)]
        if dataset == "indexPriceKlines" and market == "cm":
            live = {s.split("_")[0] for s in live}  # per pair
        row = got[market, dataset, day]
        if dataset == "fundingRate":  # monthly: September was checked whole
            assert row["checked"]
        assert row["share"] == min(1.0, len(have) / len(live)), (market, dataset)
        hole = got[market, dataset, inside_hole]
        assert (hole["share"], hole["checked"]) == (None, False)
    assert got["um", "trades", day]["share"] == 0.0  # the incident: nobody had the file
    assert got["um", "aggTrades", day]["share"] == 1.0


def test_the_release_holds_the_parquet_file_and_the_picture(released_with_holes, tmp_path):
    folder = released_with_holes.release_dir
    table = pq.read_table(folder / "dataset-coverage.parquet").to_pylist()
    path = folder / "availability.duckdb"
    with duckdb.connect(str(path), read_only=True) as conn:
        runs = conn.sql("SELECT * FROM dataset_runs ORDER BY ALL").fetchall()
        checks = conn.sql("SELECT * FROM dataset_checks ORDER BY ALL").fetchall()
        frame = shares(conn, released_with_holes.newest)
    assert sorted(tuple(r[k] for k in ("market", "dataset", "symbol", "first_date", "last_date",
                                       "files", "bytes")) for r in table
                  if r["kind"] == "files") == runs  # fmt: skip
    assert sorted(tuple(r[k] for k in ("market", "dataset", "first_date", "last_date")) for r in
                  table if r["kind"] == "checked") == checks  # fmt: skip
    assert (folder / "dataset-coverage.png").read_bytes().startswith(PNG_SIGNATURE)
    svg = ElementTree.parse(folder / "dataset-coverage.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    targets = [tmp_path / "a.png", tmp_path / "a.svg"]
    draw(frame, targets)
    first = [t.read_bytes() for t in targets]
    draw(frame, targets)
    assert [t.read_bytes() for t in targets] == first  # reproducible
    notes = (folder / "RELEASE_NOTES.md").read_text()
    assert "![Dataset coverage; unchecked days grey](dataset-coverage.png)" in notes
    days = days_between(date(2019, 9, 25), released_with_holes.newest)
    assert frame.filter(frame["market"] == "um").height == len(days) * 9  # 9 USD-M datasets
