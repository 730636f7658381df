"""The Dagster instances that the tests and the benchmark start Dagster processes on.

Every such process gets `dagster_env()`, the variables of dagster.env (their one home, also
read by the Makefile and scripts/demo.sh), and a DAGSTER_HOME made by `write_instance` for one
of the instance storages:

- `batching`: the project's dagster.yaml as it is (`make dev`, `make demo`): SQLite through
  bfa_assets/instance/storage.py;
- `sqlite`: the same with Dagster's stock `storage: sqlite`, to compare with;
- `postgres`: deploy/dagster.yaml, the production instance; its connection comes from the
  DAGSTER_PG_* variables (bfa_assets_tests/postgres.py makes a database for them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from dotenv import dotenv_values

from bfa_assets_tests.postgres import postgres_cluster

PROJECT = Path(__file__).resolve().parents[1]
EMBEDDED_YAML = PROJECT / "dagster.yaml"
PRODUCTION_YAML = PROJECT / "deploy" / "dagster.yaml"
STORAGES = ("batching", "sqlite", "postgres")


def dagster_env() -> dict[str, str]:
    """dagster.env's variables: the environment of every Dagster process."""
    values = dotenv_values(PROJECT / "dagster.env")
    return {name: value for name, value in values.items() if value is not None}


def write_instance(home: Path, storage: str = "batching") -> None:
    """Make `home` a DAGSTER_HOME whose dagster.yaml uses `storage` (one of STORAGES)."""
    if storage == "batching":
        text = EMBEDDED_YAML.read_text()
    elif storage == "sqlite":
        config = yaml.safe_load(EMBEDDED_YAML.read_text())
        config["storage"] = {"sqlite": {"base_dir": {"env": "DAGSTER_HOME"}}}
        text = yaml.safe_dump(config, sort_keys=False)
    elif storage == "postgres":
        text = PRODUCTION_YAML.read_text()
    else:
        raise ValueError(f"unknown instance storage {storage!r}: one of {', '.join(STORAGES)}")
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(text)


@contextmanager
def storage_env(storage: str) -> Iterator[dict[str, str]]:
    """What an instance on `storage` needs in its environment: for `postgres`, a database on a
    throwaway cluster (the DAGSTER_PG_* variables), stopped afterwards; nothing otherwise."""
    if storage != "postgres":
        yield {}
        return
    with postgres_cluster() as cluster:
        yield cluster.create_database("dagster")
