"""The production instance (deploy/): the embedded instance's run queue, pools, monitoring and
logging on PostgreSQL, every connection setting from the environment, and on a real
PostgreSQL it records a back-fill exactly as the embedded instance does."""

import yaml
from dagster_postgres import PostgresEventLogStorage

from bfa_assets_tests.instance_records import backfill_twice, instance_at
from bfa_assets_tests.instances import EMBEDDED_YAML, PRODUCTION_YAML


def test_the_production_instance_is_the_embedded_one_on_postgres():
    embedded, production = (yaml.safe_load(p.read_text()) for p in (EMBEDDED_YAML, PRODUCTION_YAML))
    assert embedded.pop("storage") != production.pop("storage")
    assert production == embedded
    assert set(production) >= {"concurrency", "run_monitoring", "python_logs"}


def test_every_connection_setting_comes_from_the_environment():
    storage = yaml.safe_load(PRODUCTION_YAML.read_text())["storage"]
    assert storage["postgres"]["postgres_db"] == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "scheme": "postgresql+psycopg2",  # the driver dagster-postgres installs
    }


def test_on_postgres_a_backfill_is_recorded_as_on_the_embedded_instance(
    tmp_path, monkeypatch, postgres_env
):
    for name, value in postgres_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "16")
    production = instance_at(tmp_path / "production", PRODUCTION_YAML.read_text())
    assert isinstance(production.event_log_storage, PostgresEventLogStorage)
    embedded_yaml = EMBEDDED_YAML.read_text().replace("env: DAGSTER_HOME", "{home}")
    embedded = instance_at(tmp_path / "embedded", embedded_yaml)

    assert backfill_twice(production) == backfill_twice(embedded)
