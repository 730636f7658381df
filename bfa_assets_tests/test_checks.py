"""Asset checks pass on clean data and fail, with the right severity and the offenders listed,
on data that has exactly their defect."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import pytest
import yaml

from bfa_assets.common.markets import MARKETS
from bfa_assets.definitions import ASSETS
from bfa_assets.defs.checks import CHECKS
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, run_checks
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, SymbolLife, Universe, build
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_NOW, TINY_QUIRKS, TINY_START

ALL = ["continuity", "completeness", "file_size_when_available", "exchange_info_cross_check",
       "volume_sanity", "volume_on_available_days", "volume_coverage", "ranking_sanity",
       "release_integrity"]  # fmt: skip
PARTITIONED = ["daily_availability", "dataset_coverage", "daily_volume", "volume_rankings"]
CM_ONLY = ("{ops: {daily_availability: {config: {markets: [cm]}}, "
           "dataset_coverage: {config: {markets: [cm]}}, "
           "daily_volume: {config: {markets: [cm]}}}}")  # fmt: skip
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def every_life(universe: Universe) -> list[SymbolLife]:
    """The lives of both markets (`Universe.symbols` are USD-M's only)."""
    return [universe.life(s) for market in MARKETS for s in universe.symbols_of(market)]


def clean_tiny() -> Universe:
    """tiny (both markets) without its two persistently broken 1d files."""
    tiny = build("tiny")
    lives = [
        dataclasses.replace(life, corrupt_1d=frozenset(), bad_checksum_1d=frozenset())
        for life in every_life(tiny)
    ]
    return Universe(lives, now=TINY_NOW, name="clean", exchange_only=tiny.exchange_only)


def load(resources, start=TINY_START, end=TINY_END, release=True):
    materialize(["futures_symbols"], resources)
    for asset in PARTITIONED:
        materialize([asset], resources, start, end)
    if release:
        materialize(["release_artifact"], resources)


def details(evaluation) -> str:
    return evaluation.metadata["details"].value


def test_every_check_passes_on_a_clean_history(tmp_path):
    with SimServer(clean_tiny()) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        load(resources)
        results = run_checks(resources, *ALL)
    assert sorted(results) == sorted(ALL)
    assert {name: r.passed for name, r in results.items()} == dict.fromkeys(ALL, True)
    assert results["exchange_info_cross_check"].metadata["jaccard"].value == 1.0


def test_continuity_lists_the_days_never_probed(resources):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, date(2022, 7, 1), date(2022, 7, 10))
    materialize(["daily_availability"], resources, date(2022, 7, 20), date(2022, 7, 31))
    result = run_checks(resources, "continuity")["continuity"]
    assert not result.passed and result.severity == ERROR
    assert result.metadata["days_missing"].value == 18  # 9 days, in each market
    assert details(result).splitlines() == [
        "- 2022-07-11 … 2022-07-19 (9 days): back-fill with the run config "
        + CM_ONLY.replace("cm", "um"),
        "- 2022-07-11 … 2022-07-19 (9 days) COIN-M: back-fill with the run config " + CM_ONLY,
    ]


def test_a_market_never_checked_is_a_hole_from_its_own_first_day_and_the_hint_fills_it(
    tmp_path,
):
    """COIN-M listed its first contract on 07-15: a USD-M-only run leaves COIN-M's days from
    then unchecked (not those before it had any file), and the run config that the finding
    names fills exactly them."""
    lives = [SymbolLife("BTCUSDT", date(2022, 7, 1)),
             SymbolLife("BTCUSD_PERP", date(2022, 7, 15), quote="USD", market="cm",
                        contract_size=100.0)]  # fmt: skip
    with SimServer(Universe(lives, now=datetime(2022, 8, 2, 10, tzinfo=UTC))) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        materialize(["futures_symbols"], resources)
        usd_m = {"ops": {"daily_availability": {"config": {"markets": ["um"]}}}}
        materialize(["daily_availability"], resources, "2022-07-01", "2022-07-31", usd_m)
        hole = run_checks(resources, "continuity")["continuity"]
        (line,) = details(hole).splitlines()
        assert line == (
            "- 2022-07-15 … 2022-07-31 (17 days) COIN-M: back-fill with the run config " + CM_ONLY
        )
        advice = yaml.safe_load(line.split("run config ")[1])
        materialize(PARTITIONED, resources, "2022-07-15", "2022-07-31", advice)
        filled = run_checks(resources, "continuity")["continuity"]
    assert not hole.passed and hole.metadata["cm_days_missing"].value == 17
    assert filled.passed and filled.metadata["cm_days_checked"].value == 17


def test_completeness_judges_each_market_by_its_own_median_and_forgives_its_newest_day(tmp_path):
    """USD-M: half its symbols miss 09-10. COIN-M: 3 of 10 contracts miss 09-15, a 30 % drop
    of COIN-M that is only 15 % of both markets together. Both newest days are short."""
    crash, cm_crash, newest = date(2022, 9, 10), date(2022, 9, 15), date(2022, 9, 30)
    lives = [SymbolLife(f"S{i}USDT", date(2022, 8, 1),
                        gaps=frozenset({crash}) if i < 5 else frozenset(),
                        late={newest: 3} if i < 4 else {}) for i in range(10)]  # fmt: skip
    lives += [SymbolLife(f"C{i}USD_PERP", date(2022, 8, 1), quote="USD", market="cm",
                         contract_size=10.0, gaps=frozenset({cm_crash}) if i < 3 else frozenset(),
                         late={newest: 3} if i < 3 else {}) for i in range(10)]  # fmt: skip
    with SimServer(Universe(lives, now=datetime(2022, 10, 1, 10, tzinfo=UTC))) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        materialize(["futures_symbols"], resources)
        materialize(["daily_availability"], resources, date(2022, 8, 1), newest)
        result = run_checks(resources, "completeness")["completeness"]
    assert not result.passed and result.severity == WARN
    assert details(result).splitlines() == [
        "- 2022-09-10: 5 available, usual 10",
        "- 2022-09-15 COIN-M: 7 available, usual 10",
        "- 2022-09-30 COIN-M: 7 available, usual 10 (newest day, may still be publishing)",
        "- 2022-09-30: 6 available, usual 10 (newest day, may still be publishing)",
    ]
    assert result.metadata["cm_days_short"].value == 1
    assert result.metadata["days_pending"].value == 2


def test_the_exchange_cross_check_lists_both_differences_of_each_market(tmp_path):
    """USD-M: XRPUSDT settles, two USDT perpetuals trade without files (6 of 9 agree). COIN-M:
    BNBUSD_PERP settles (its own contractStatus), so 2 of its 3 perpetuals with files agree."""
    tiny = build("tiny")
    settling = {"XRPUSDT", "BNBUSD_PERP"}
    lives = [dataclasses.replace(life, exchange_status="SETTLING") if life.symbol in settling
             else life for life in every_life(tiny)]  # fmt: skip
    trading = {**tiny.exchange_only[0], "status": "TRADING", "onboardDate": 1640995200000}
    extra = [{**trading, "symbol": name} for name in ("GHOSTUSDT", "PHANTOMUSDT")]
    with SimServer(Universe(lives, now=TINY_NOW, exchange_only=extra)) as sim:
        resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
        load(resources, date(2022, 10, 1), TINY_END, release=False)
        result = run_checks(resources, "exchange_info_cross_check")["exchange_info_cross_check"]
    assert not result.passed and result.severity == WARN
    assert result.metadata["um_jaccard"].value == round(6 / 9, 4)
    assert result.metadata["cm_jaccard"].value == round(2 / 3, 4)
    assert result.metadata["jaccard"].value == round(2 / 3, 4)  # the worse market's
    assert details(result).splitlines() == [
        "- trading on the exchange, no file on Vision: GHOSTUSDT",
        "- trading on the exchange, no file on Vision: PHANTOMUSDT",
        "- file on Vision, not trading on the exchange: XRPUSDT",
        "- file on Vision, not trading on the exchange: BNBUSD_PERP",
    ]


def cross_check_of(sim: SimServer, resources: dict, faults: str):
    """The cross-check's evaluation (or None), its latest record and what its run logged about
    skipping it, with the exchange APIs failing as `faults` says."""
    sim.set_faults(FaultPlan.parse(faults))
    check = dg.AssetCheckKey(dg.AssetKey("daily_availability"), "exchange_info_cross_check")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*ASSETS, *CHECKS],
            selection=dg.AssetSelection.checks(check),
            resources=resources,
            instance=instance,
        )
        record = instance.get_latest_asset_check_evaluation_record(check)
        logged = [e.user_message for e in instance.all_logs(result.run_id) if "skipped" in
                  e.user_message]  # fmt: skip
    assert result.success and record.run_id == result.run_id
    (evaluation,) = result.get_asset_check_evaluations() or [None]
    return evaluation, record, logged


def test_a_geo_blocked_cross_check_is_skipped_not_passed_nor_failed(sim, resources):
    """No result at all when neither API answers: the UI shows a planned check of a
    successful run without one as skipped, and the run's log says why."""
    load(resources, date(2022, 10, 1), TINY_END, release=False)
    evaluation, record, logged = cross_check_of(sim, resources, "451=1@/fapi/,451=1@/dapi/")
    assert evaluation is None and record.status.value == "PLANNED"
    blocked = "exchangeInfo unavailable (geo-blocked (HTTP 451))"
    assert logged == [f"exchange_info_cross_check skipped: USD-M: {blocked}; COIN-M: {blocked}"]


@pytest.mark.parametrize(("blocked", "judged", "other"), [("/fapi/", "cm", "um"),
                                                          ("/dapi/", "um", "cm")])  # fmt: skip
def test_one_geo_blocked_market_leaves_the_others_verdict(sim, resources, blocked, judged, other):
    load(resources, date(2022, 10, 1), TINY_END, release=False)
    evaluation, _, logged = cross_check_of(sim, resources, f"451=1@{blocked}")
    assert evaluation.passed and logged == []
    assert evaluation.metadata[f"{judged}_jaccard"].value == 1.0
    assert not any(key.startswith(f"{other}_") for key in evaluation.metadata)
    assert "exchangeInfo unavailable (geo-blocked (HTTP 451))" in evaluation.description


def test_volume_coverage_names_the_days_whose_file_failed(resources):
    load(resources, release=False)
    results = run_checks(resources, "volume_coverage")
    assert list(results) == ["volume_coverage"]  # its step's other checks not selected, not run
    result = results["volume_coverage"]
    assert not result.passed and result.severity == WARN
    lines = details(result).splitlines()
    (corrupt_symbol, corrupt_day), (bad_symbol, bad_day) = (
        TINY_QUIRKS["corrupt_zip"],
        TINY_QUIRKS["bad_checksum"],
    )
    assert lines[0].startswith(f"- {corrupt_day} {corrupt_symbol}: file_failed: zip does not open")
    assert lines[1].startswith(f"- {bad_day} {bad_symbol}: file_failed: SHA-256")
    assert len(lines) == 2  # days without any 1d file (BTCUSDT before 2022-07-15) are excused


@pytest.mark.parametrize(("change", "symbol", "day", "expected"), [
    ("low_price = high_price + 1", "ETHUSDT", "2022-09-01",
     "2022-09-01 ETHUSDT: OHLC outside [low, high]"),
    ("trade_count = -1", "XRPUSDT", "2022-09-02", "2022-09-02 XRPUSDT: negative value"),
    ("taker_buy_volume_base = volume_base * 2", "BTCUSDT", "2022-09-03",
     "2022-09-03 BTCUSDT: taker-buy above total"),
    ("contracts = -1, taker_buy_contracts = -1", "ETHUSD_PERP", "2022-09-04",
     "2022-09-04 COIN-M ETHUSD_PERP: negative value"),
    ("taker_buy_contracts = contracts + 1", "BTCUSD_PERP", "2022-09-05",
     "2022-09-05 COIN-M BTCUSD_PERP: taker-buy contracts above contracts"),
])  # fmt: skip
def test_volume_sanity_lists_impossible_bars(sim, tmp_path, change, symbol, day, expected):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    load(resources, date(2022, 9, 1), date(2022, 9, 5), release=False)
    with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
        conn.execute(
            f"UPDATE daily_volume SET {change} WHERE symbol = ? AND date = ?", [symbol, day]
        )
    result = run_checks(resources, "volume_sanity")["volume_sanity"]
    assert not result.passed and result.severity == ERROR
    assert details(result) == f"- {expected}"
    market = "cm" if "COIN-M" in expected else "um"
    assert result.metadata[f"{market}_bad_bars"].value == 1


def test_ranking_sanity_lists_gaps_in_ranks_bad_shares_and_outsiders(sim, tmp_path):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    load(resources, date(2022, 9, 1), date(2022, 9, 5), release=False)
    with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
        conn.execute(
            "UPDATE volume_rankings SET rank = rank + 1 WHERE date = '2022-09-02' AND rank > 2"
        )
        conn.execute(
            "UPDATE volume_rankings SET market_share_pct = 50 "
            "WHERE date = '2022-09-03' AND rank = 1"
        )
        conn.execute(
            "INSERT INTO volume_rankings BY NAME SELECT date, 'um' AS market, 'ETHUSDC' AS symbol, "
            "99 AS rank, 1 AS quote_volume_usdt, 1 AS trade_count, 0 AS percentile, "
            "1 AS days_available, now() AS generation_timestamp "
            "FROM volume_rankings WHERE date = '2022-09-04' LIMIT 1"
        )
    result = run_checks(resources, "ranking_sanity")["ranking_sanity"]
    assert not result.passed and result.severity == ERROR
    lines = details(result).splitlines()
    expected = [  # both markets' ranks past 2 moved on 09-02, both leaders' shares on 09-03
        "- 2022-09-02 COIN-M: ranks 1..",
        "- 2022-09-02: ranks 1..",
        "- 2022-09-04: ranks 1..99",  # the outsider breaks density too
        "- 2022-09-03 COIN-M: market shares sum to",
        "- 2022-09-03: market shares sum to",
        "- ETHUSDC is ranked but is perpetual / USDC",
    ]
    assert len(lines) == len(expected), lines
    assert all(line.startswith(start) for line, start in zip(lines, expected, strict=True)), lines


def test_release_integrity_catches_a_tampered_release(sim, tmp_path):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    load(resources, date(2022, 9, 1), date(2022, 9, 3))
    release = tmp_path / "release"
    with (release / "stats.json").open("a") as handle:
        handle.write(" ")
    (release / "availability.duckdb.gz").write_bytes(b"not gzip")
    with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
        conn.execute("DELETE FROM probe_log WHERE date = '2022-09-01' AND market = 'um'")
        available = conn.execute(  # the same rows, one fewer available
            "UPDATE daily_availability SET available = false "
            "WHERE date = '2022-09-02' AND symbol = 'ETHUSDT' RETURNING 1"
        ).fetchall()
    assert available == [(1,)]
    result = run_checks(resources, "release_integrity")["release_integrity"]
    assert not result.passed and result.severity == ERROR
    rows = int(details(result).splitlines()[-1].split()[2])
    assert details(result).splitlines() == [
        "- availability.duckdb.gz: SHA-256 does not match SHA256SUMS",
        "- stats.json: SHA-256 does not match SHA256SUMS",
        "- availability.duckdb.gz: does not decompress to availability.duckdb",
        "- probe_log: 6 rows released, 5 in the working db",  # 3 days, 2 markets
        f"- available_by_date: {rows} rows released, {rows - 1} in the working db",
        f"- available-by-date.arrow: {rows} rows, {rows - 1} available rows in the working db",
    ]


def test_release_integrity_names_an_unreadable_snapshot_file(sim, tmp_path):
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    load(resources, date(2022, 9, 1), date(2022, 9, 1))
    snapshots = tmp_path / "release" / "available-by-date.arrow"
    snapshots.write_bytes(snapshots.read_bytes()[:100])
    result = run_checks(resources, "release_integrity")["release_integrity"]
    lines = details(result).splitlines()
    assert not result.passed and lines[0] == (
        "- available-by-date.arrow: SHA-256 does not match SHA256SUMS"
    )
    assert len(lines) == 2 and lines[1].startswith(f"- cannot read the snapshot file {snapshots}")


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """What the failed step of a run said."""
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return failure.event_specific_data.error.message


@pytest.mark.parametrize(("corruption", "check", "line"), [
    ("UPDATE daily_availability SET file_size_bytes = NULL "
     "WHERE date = '2022-09-02' AND symbol = 'BTCUSD_PERP'",
     "file_size_when_available", "2022-09-02 COIN-M BTCUSD_PERP: available, but no file size"),
    ("UPDATE daily_availability SET available = false "
     "WHERE date = '2022-09-03' AND symbol = 'ETHUSDT'",
     "file_size_when_available", "2022-09-03 USD-M ETHUSDT: not available, but {size:,} bytes"),
    ("UPDATE daily_availability SET available = false, file_size_bytes = NULL "
     "WHERE date = '2022-09-03' AND symbol = 'ETHUSDT'",
     "volume_on_available_days",
     "2022-09-03 USD-M ETHUSDT: a volume row, but the day is not available (no 1m file)"),
    ("DELETE FROM daily_availability WHERE date = '2022-09-04' AND symbol = 'ETHUSD_PERP'",
     "volume_on_available_days",
     "2022-09-04 COIN-M ETHUSD_PERP: a volume row, but no availability row"),
])  # fmt: skip
def test_a_row_breaking_the_publish_gate_fails_its_check_and_the_release_refuses(
    sim, tmp_path, corruption, check, line
):
    """The original tool's publish gate, as blocking ERROR checks: one wrong row of a database
    the pipeline built is named by date, market and symbol, and no release is published."""
    resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
    with dg.DagsterInstance.ephemeral() as instance:
        load(resources, date(2022, 9, 1), date(2022, 9, 5), release=False)
        clean = run_checks(resources, check)[check]
        with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
            (size,) = conn.execute(
                "SELECT file_size_bytes FROM daily_availability "
                "WHERE date = '2022-09-03' AND symbol = 'ETHUSDT'"
            ).fetchone()
            conn.execute(corruption)
        result = run_checks(resources, check, instance=instance)[check]
        release = materialize(["release_artifact"], resources, instance=instance,
                              raise_on_error=False)  # fmt: skip
    assert clean.passed
    assert not result.passed and result.severity == ERROR and result.blocking
    assert details(result) == "- " + line.format(size=size)
    assert not release.success
    assert f"release refused: ERROR checks failed: {check}: 1 " in failure_message(release)
