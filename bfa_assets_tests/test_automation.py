"""Sensors and notifications: when runs are requested, over what, and who is told."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg
import pytest

from bfa_assets.automation.probes import BadProbeSymbols
from bfa_assets.automation.scheduling import Backfill, daily_decision, plan_new_symbol_backfill
from bfa_assets.defs.notifications import notify_run_failure, notify_run_success
from bfa_assets.defs.resources import AutomationResource, VisionResource, build_resources
from bfa_assets.defs.sensors import daily_lookback, new_symbol_backfill
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.fake_pushover import serve_fake_pushover
from bfa_assets_tests.pipeline import materialize, query
from bfa_assets_tests.vision_sim import SimServer, SymbolLife, Universe

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


USD_M_PROBES = ("BTCUSDT", "ETHUSDT", "XRPUSDT")
COIN_M_PROBES = ("BTCUSD_PERP", "ETHUSD_PERP", "BNBUSD_PERP")


def recent_universe(clock: time, extra: list[SymbolLife] = (), coin_m_late: int = 0) -> Universe:
    """The default probe contracts of both markets, up to today, seen by the simulator at
    `clock` today; COIN-M publishes yesterday `coin_m_late` days late."""
    first = TODAY - timedelta(days=60)
    late = {YESTERDAY: coin_m_late} if coin_m_late else {}
    lives = [SymbolLife(s, first) for s in USD_M_PROBES]
    lives += [SymbolLife(s, first, quote="USD", market="cm", contract_size=10.0, late=late)
              for s in COIN_M_PROBES]  # fmt: skip
    return Universe([*lives, *extra], now=datetime.combine(TODAY, clock, UTC))


def evaluate(sensor, sim: SimServer, cursor: str | None = None, **automation):
    resources = {"vision": VisionResource(vision_url=sim.vision_url),
                 "automation": AutomationResource(**automation)}  # fmt: skip
    context = dg.build_sensor_context(cursor=cursor, resources=resources)
    return sensor(context), context


# --- the daily decision ---------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "unpublished", "last", "expected"), [
    (8, [], None, "is on Vision"),
    (8, ["COIN-M"], None, "not on Vision yet (COIN-M); fallback at 12:00 UTC"),
    (8, ["USD-M", "COIN-M"], None, "not on Vision yet (USD-M and COIN-M)"),
    (12, ["USD-M"], None, "fallback hour 12:00 UTC reached"),
    (15, [], date(2024, 3, 9), "already requested"),
])  # fmt: skip
def test_the_daily_decision(hour, unpublished, last, expected):
    now = datetime(2024, 3, 10, hour, 5, tzinfo=UTC)
    decision = daily_decision(now, last, lambda day: unpublished, fallback_hour=12)
    assert expected in decision.reason
    assert decision.day == (
        None if "not" in expected or "already" in expected else date(2024, 3, 9)
    )


def test_the_daily_sensor_requests_one_lookback_run_once_files_are_published():
    with SimServer(recent_universe(time(23, 0))) as sim:
        result, _ = evaluate(daily_lookback, sim, fallback_hour=24)
        (request,) = result.run_requests
        assert request.run_key == f"daily-{YESTERDAY}"
        assert request.tags["dagster/asset_partition_range_start"] == str(
            YESTERDAY - timedelta(days=19)
        )
        assert request.tags["dagster/asset_partition_range_end"] == str(YESTERDAY)
        assert result.cursor == str(YESTERDAY)
        again, _ = evaluate(daily_lookback, sim, cursor=result.cursor, fallback_hour=24)
        assert isinstance(again, dg.SkipReason) and "already requested" in again.skip_message


def test_the_daily_sensor_waits_until_published_or_the_fallback_hour():
    with SimServer(recent_universe(time(0, 30))) as sim:  # yesterday's files come out ~08:00
        waiting, _ = evaluate(daily_lookback, sim, fallback_hour=24)
        assert isinstance(waiting, dg.SkipReason)
        assert "not on Vision yet (USD-M and COIN-M)" in waiting.skip_message
        forced, _ = evaluate(daily_lookback, sim, fallback_hour=0, lookback_days=5)
        (request,) = forced.run_requests
        assert "fallback hour" in request.tags["bfa/trigger"]
        assert request.tags["dagster/asset_partition_range_start"] == str(
            YESTERDAY - timedelta(days=4)
        )


def test_the_daily_sensor_waits_for_the_market_that_publishes_last():
    """USD-M has yesterday, COIN-M not yet: no run, and the skip names the market waited for."""
    with SimServer(recent_universe(time(23, 0), coin_m_late=1)) as sim:
        waiting, _ = evaluate(daily_lookback, sim, fallback_hour=24)
    assert isinstance(waiting, dg.SkipReason)
    assert f"{YESTERDAY} not on Vision yet (COIN-M)" in waiting.skip_message


def test_probes_default_per_market_and_a_bare_name_stays_usd_m():
    """BFA_PROBE_SYMBOLS as it was before COIN-M (bare names) still means USD-M's probes;
    COIN-M then keeps its defaults, so both markets are always probed."""
    assert AutomationResource().probes() == {
        "um": list(USD_M_PROBES),
        "cm": list(COIN_M_PROBES),
    }
    assert AutomationResource(probe_symbols=["BTCUSDT", "um:ETHUSDT"]).probes() == {
        "um": ["BTCUSDT", "ETHUSDT"],
        "cm": list(COIN_M_PROBES),
    }
    assert AutomationResource(probe_symbols=["SOLUSDT", "cm:ADAUSD_PERP"]).probes() == {
        "um": ["SOLUSDT"],
        "cm": ["ADAUSD_PERP"],
    }


@pytest.mark.parametrize(("variable", "error"), [
    ("BTCUSDT,xx:FOO", "entry 'xx:FOO': unknown market prefix 'xx'"),
    ("", "BFA_PROBE_SYMBOLS is empty"),
    (" , ", "BFA_PROBE_SYMBOLS is empty"),
    ("BTCUSDT,,ETHUSDT", "BFA_PROBE_SYMBOLS has an empty entry"),
    ("cm:", "BFA_PROBE_SYMBOLS has an empty entry ('cm:')"),
])  # fmt: skip
def test_unreadable_probe_symbols_fail_the_load_saying_why(monkeypatch, variable, error):
    monkeypatch.setenv("BFA_PROBE_SYMBOLS", variable)
    with pytest.raises(BadProbeSymbols, match=re.escape(error)):
        build_resources()


def test_the_sensor_never_fires_on_probes_it_did_not_look_at(monkeypatch):
    """If the probe came back without a market (no symbols to look at), that market counts as
    unpublished: `all([])` must not start a run before Vision has the day."""
    monkeypatch.setattr(VisionResource, "published", lambda self, day, probes: {})
    with SimServer(recent_universe(time(23, 0))) as sim:
        result, _ = evaluate(daily_lookback, sim, fallback_hour=24)
    assert isinstance(result, dg.SkipReason)
    assert "not on Vision yet (USD-M and COIN-M)" in result.skip_message


# --- the new-symbol back-fill ---------------------------------------------------------------


def test_the_backfill_plan():
    old, recent = date(2022, 1, 5), YESTERDAY - timedelta(days=3)
    assert "initial discovery" in plan_new_symbol_backfill({"A": old}, 1, YESTERDAY, 20)
    assert plan_new_symbol_backfill({}, 5, YESTERDAY, 20) == "no new symbols"
    assert "covered by the daily lookback" in plan_new_symbol_backfill(
        {"B": recent}, 5, YESTERDAY, 20
    )
    assert plan_new_symbol_backfill(
        {"A": old, "B": recent, "C": None}, 5, YESTERDAY, 20
    ) == Backfill(["A"], old, YESTERDAY)


def test_new_symbols_with_older_history_get_one_restricted_ranged_run(tmp_path):
    old = SymbolLife("OLDUSDT", TODAY - timedelta(days=45))
    fresh = SymbolLife("FRESHUSDT", TODAY - timedelta(days=4))
    with dg.instance_for_test() as instance:
        with SimServer(recent_universe(time(23, 0))) as sim:
            resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
            dg.materialize(
                _assets(), selection=["futures_symbols"], resources=resources, instance=instance
            )
        first, _ = _evaluate_backfill(instance, None)
        assert first.skip_reason and "initial discovery" in first.skip_reason.skip_message
        with SimServer(recent_universe(time(23, 0), [old, fresh])) as sim:
            resources = pipeline_resources(sim, tmp_path / "bfa.duckdb")
            dg.materialize(
                _assets(), selection=["futures_symbols"], resources=resources, instance=instance
            )
            result, cursor = _evaluate_backfill(instance, first.cursor)
            (request,) = result.run_requests
            assert request.run_config["ops"]["daily_availability"]["config"]["symbols"] == [
                "OLDUSDT"
            ]
            assert request.run_config["ops"]["daily_volume"]["config"]["symbols"] == ["OLDUSDT"]
            assert request.tags["dagster/asset_partition_range_start"] == str(old.first_day)
            assert request.tags["dagster/asset_partition_range_end"] == str(YESTERDAY)
            # the requested run is valid as it stands, and touches only the new symbol
            run = materialize(
                ["daily_availability", "dataset_coverage", "daily_volume"],
                resources,
                old.first_day,
                YESTERDAY,
                run_config=request.run_config,
            )
            assert run.success
            symbols = query(
                tmp_path / "bfa.duckdb", "SELECT DISTINCT symbol FROM daily_availability"
            )
            assert symbols["symbol"].to_list() == ["OLDUSDT"]
        again, _ = _evaluate_backfill(instance, cursor)
        assert not again.run_requests  # each discovery is handled once


def _assets():
    from bfa_assets.definitions import ASSETS

    return ASSETS


def _evaluate_backfill(instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"automation": AutomationResource()}
    )
    result = new_symbol_backfill(context)
    return result, result.cursor


# --- notifications --------------------------------------------------------------------------


def _failed_run(resources: dict, instance: dg.DagsterInstance):
    materialize_ = dg.materialize(
        _assets(), selection=["daily_availability"], resources=resources, instance=instance,
        tags={"dagster/asset_partition_range_start": "2022-07-01",
              "dagster/asset_partition_range_end": "2022-07-02"},
        run_config={"ops": {"daily_availability": {"config": {"symbols": ["NOPEUSDT"]}}}},
        raise_on_error=False)  # fmt: skip
    assert not materialize_.success
    run = instance.get_run_by_id(materialize_.run_id)
    event = next(
        e for e in materialize_.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE
    )
    return run, event


def test_a_failed_run_is_pushed_with_its_error(sim, tmp_path):
    with dg.instance_for_test() as instance, serve_fake_pushover() as pushover:
        run, event = _failed_run(pipeline_resources(sim, tmp_path / "bfa.duckdb"), instance)
        automation = AutomationResource(
            pushover_token="tok-123", pushover_user="usr-9", pushover_url=pushover.url
        )
        context = dg.build_run_status_sensor_context(
            sensor_name="notify_run_failure", dagster_event=event, dagster_instance=instance,
            dagster_run=run, resources={"automation": automation}).for_run_failure()  # fmt: skip
        assert notify_run_failure(context) is None
    (message,) = pushover.messages
    assert (message["token"], message["user"]) == ("tok-123", "usr-9")
    assert message["title"] == f"bfa run failed: {run.job_name}"
    assert "window 2022-07-01..2022-07-02" in message["message"]
    assert "unknown symbols in the run config: NOPEUSDT" in message["message"]


def test_notifications_are_off_without_settings_and_never_raise(sim, tmp_path, caplog):
    with dg.instance_for_test() as instance:
        run, event = _failed_run(pipeline_resources(sim, tmp_path / "bfa.duckdb"), instance)

        def context(automation: AutomationResource):
            return dg.build_run_status_sensor_context(
                sensor_name="n", dagster_event=event, dagster_instance=instance, dagster_run=run,
                resources={"automation": automation})  # fmt: skip

        unset = notify_run_failure(context(AutomationResource()).for_run_failure())
        assert "not configured" in unset.skip_message
        unreachable = AutomationResource(
            pushover_token="secret-token",
            pushover_user="u",
            pushover_url="http://127.0.0.1:9/1/messages.json",
        )
        assert isinstance(notify_run_failure(context(unreachable).for_run_failure()), dg.SkipReason)
        assert "secret-token" not in caplog.text
        off = notify_run_success(context(AutomationResource(pushover_token="t", pushover_user="u")))
        assert "success notifications are off" in off.skip_message
