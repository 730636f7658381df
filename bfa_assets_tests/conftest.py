"""Shared fixtures: a simulator per test, resources pointing the pipeline at it, and a
throwaway PostgreSQL for the production instance."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bfa_assets.resources import ReleaseResource, VisionResource, Warehouse
from bfa_assets_tests.postgres import Postgres, postgres_cluster
from bfa_assets_tests.vision_sim import SimServer, Universe, build

warnings.filterwarnings("ignore", message=".*is currently in beta.*")
warnings.filterwarnings("ignore", message=".*is currently in preview.*")


@pytest.fixture
def tiny() -> Universe:
    """A fresh `tiny` universe (its clock is per test)."""
    return build("tiny")


@pytest.fixture
def sim(tiny: Universe) -> Iterator[SimServer]:
    with SimServer(tiny) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bfa.duckdb"


@pytest.fixture
def resources(sim: SimServer, db_path: Path) -> dict:
    return pipeline_resources(sim, db_path)


def pipeline_resources(sim: SimServer, db_path: Path, **vision: object) -> dict:
    return {
        "vision": VisionResource(
            vision_url=sim.vision_url, fapi_url=sim.fapi_url, retry_max_seconds=30.0, **vision
        ),
        "warehouse": Warehouse(database=str(db_path)),
        "release": ReleaseResource(release_dir=str(db_path.parent / "release")),
    }


@dataclass(frozen=True)
class Released:
    """A database and release built by the real pipeline from the whole `tiny` history."""

    universe: Universe
    db_path: Path
    release_dir: Path


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    from bfa_assets_tests.pipeline import materialize
    from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

    folder = tmp_path_factory.mktemp("released")
    universe = build("tiny")
    with SimServer(universe) as sim:
        resources = pipeline_resources(sim, folder / "bfa.duckdb")
        materialize(["futures_symbols"], resources)
        for asset in ("daily_availability", "daily_volume", "volume_rankings"):
            materialize([asset], resources, TINY_START, TINY_END)
        materialize(["release_artifact"], resources)
    return Released(universe, folder / "bfa.duckdb", folder / "release")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test session (bfa_assets_tests/postgres.py)."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def postgres_env(postgres: Postgres) -> dict[str, str]:
    """A fresh database on it: the DAGSTER_PG_* variables that deploy/dagster.yaml reads."""
    return postgres.create_database(f"test_{uuid.uuid4().hex}")
