"""Each daily partition's own figures (defs/assets/windows.report_per_day), for both markets,
including the days of a window that have no rows."""

from __future__ import annotations

from datetime import date

import dagster as dg

from bfa_assets_tests.pipeline import materialize, query


def figures_by_day(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict]:
    """The metadata of each partition `asset` materialized in a ranged run."""
    return {
        event.partition: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(asset)
    }


def test_a_day_without_rows_counts_zero_and_names_no_leader(resources, db_path):
    """Rankings over 09-01..09-04 with volume for the first two days only: the ranked days
    carry each market's count and leader as the table has them; the empty days count 0 and
    have no leader or share, not a leader called 0."""
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability", "daily_volume"], resources, "2022-09-01", "2022-09-02")
    result = materialize(["volume_rankings"], resources, "2022-09-01", "2022-09-04")
    figures = figures_by_day(result, "volume_rankings")
    leaders = query(db_path, """
        SELECT date, market, count(*) AS ranked, arg_min(symbol, rank) AS leader
        FROM volume_rankings GROUP BY date, market ORDER BY date, market
    """)  # fmt: skip
    assert leaders["date"].unique().to_list() == [date(2022, 9, 1), date(2022, 9, 2)]
    for day, market, ranked, leader in leaders.iter_rows():
        assert figures[str(day)][f"{market}_ranked"] == ranked
        assert figures[str(day)][f"{market}_leader"] == leader
    for empty in ("2022-09-03", "2022-09-04"):
        day = figures[empty]
        assert (day["ranked"], day["um_ranked"], day["cm_ranked"]) == (0, 0, 0)
        assert day["dagster/row_count"] == 0
        for text in ("um_leader", "cm_leader", "um_leader_share_pct", "cm_leader_share_pct"):
            assert day.get(text) is None, (empty, text)
