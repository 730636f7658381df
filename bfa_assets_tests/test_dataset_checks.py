"""The checks of dataset_coverage: continuity per dataset, new whole-dataset incidents, and
each listed file recorded once."""

from __future__ import annotations

from datetime import date

import duckdb

from bfa_assets_tests.pipeline import materialize, run_checks
from bfa_assets_tests.vision_sim.scenarios import TINY_DATASET_QUIRKS, TINY_END, TINY_START

CHECKS = ("dataset_continuity", "dataset_incidents", "dataset_files_unique")


def details(result) -> list[str]:
    return result.metadata["details"].value.splitlines()


def test_a_full_coverage_passes_but_the_recent_incident_is_named(resources, tiny):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability", "dataset_coverage"], resources, TINY_START, TINY_END)
    results = run_checks(resources, *CHECKS)
    assert results["dataset_continuity"].passed
    assert results["dataset_files_unique"].passed
    incident = results["dataset_incidents"]
    market, dataset, days = TINY_DATASET_QUIRKS["incident"]
    first = min(days)
    before = date.fromordinal(first.toordinal() - 1)
    had = [
        s
        for s in tiny.symbols_of(market)
        if tiny.datasets.days(market, tiny.datasets.catalogue[market][dataset], s).count(
            before.toordinal()
        )
    ]
    assert not incident.passed and incident.severity.value == "WARN"
    assert details(incident) == [
        f"- {first} USD-M {dataset}: missing for all {len(had)} contracts that had it on {before}"
    ]  # one line: the second day has nobody with the file the day before


def test_continuity_names_the_days_checked_for_the_1m_klines_only(resources):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, TINY_START, date(2022, 7, 31))
    materialize(["dataset_coverage"], resources, date(2022, 7, 11), date(2022, 7, 31))
    result = run_checks(resources, "dataset_continuity")["dataset_continuity"]
    assert not result.passed and result.severity.value == "WARN"
    lines = details(result)
    config = "{ops: {dataset_coverage: {config: {markets: [um]}}}}"
    assert (
        f"- 2022-07-01 … 2022-07-10 (10 days) USD-M trades: back-fill dataset_coverage "
        f"with the run config {config}" in lines
    )
    # fundingRate is monthly: July ended by 07-31 and was checked whole
    assert not [line for line in lines if "fundingRate" in line]
    assert result.metadata["days_missing"].value == 10 * (len(lines))


def test_a_file_recorded_twice_is_an_error(resources, db_path):
    materialize(["futures_symbols"], resources)
    materialize(["dataset_coverage"], resources, TINY_START, date(2022, 7, 5))
    with duckdb.connect(str(db_path)) as conn:
        conn.execute("INSERT INTO dataset_files SELECT * FROM dataset_files LIMIT 1")
    result = run_checks(resources, "dataset_files_unique")["dataset_files_unique"]
    assert not result.passed and result.severity.value == "ERROR"
    assert result.metadata["duplicated_files"].value == 1
