"""Shared fixtures: a simulator per test, resources pointing the pipeline at it, and a
throwaway PostgreSQL for the production instance."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bfa_assets.defs.resources import (
    DapiResource,
    FapiResource,
    ReleaseResource,
    VisionResource,
    Warehouse,
)
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


def pipeline_resources(sim: SimServer, db_path: Path, **http: object) -> dict:
    """Every resource pointed at the simulator; `http` settings (retries) go to both services."""
    http = {"retry_max_seconds": 30.0, **http}
    return {
        "vision": VisionResource(vision_url=sim.vision_url, **http),
        "fapi": FapiResource(fapi_url=sim.fapi_url, **http),
        "dapi": DapiResource(dapi_url=sim.dapi_url, **http),
        "warehouse": Warehouse(database=str(db_path)),
        "release": ReleaseResource(release_dir=str(db_path.parent / "release")),
    }


@dataclass(frozen=True)
class Released:
    """A database and release built by the real pipeline from `tiny`, over `windows` (the
    checked days; the whole history unless the fixture says otherwise)."""

    universe: Universe
    db_path: Path
    release_dir: Path
    windows: tuple[tuple[date, date], ...]

    @property
    def newest(self) -> date:
        """The newest day the release is about: the day before it was made (real time, not the
        simulator's), so every day after TINY_END is in it, unchecked."""
        with duckdb.connect(str(self.release_dir / "availability.duckdb"), read_only=True) as c:
            return c.execute("SELECT newest_day FROM release_info").fetchall()[0][0]


def release(
    folder: Path,
    windows: tuple[tuple[date, date], ...],
    unranked: tuple[tuple[date, date], ...] = (),
) -> Released:
    """Discover the `tiny` symbols, materialize the daily assets with their checks over each
    window (one run each; only daily_availability and dataset_coverage over the `unranked`
    ones), then the release
    (a partial one where the windows leave holes), all on one instance, so the release notes
    carry the checks' results."""
    from bfa_assets_tests.pipeline import materialize

    universe = build("tiny")
    partial = {"ops": {"release_artifact": {"config": {"allow_partial": len(windows) > 1}}}}
    with SimServer(universe) as sim, dg.DagsterInstance.ephemeral() as instance:
        resources = pipeline_resources(sim, folder / "bfa.duckdb")
        materialize(["futures_symbols"], resources, instance=instance)
        for start, end in windows:
            for asset in (
                "daily_availability",
                "dataset_coverage",
                "daily_volume",
                "volume_rankings",
            ):
                if asset in ("daily_availability", "dataset_coverage") or (
                    (start, end) not in unranked
                ):
                    materialize([asset], resources, start, end, instance=instance, checks=True)
        materialize(["release_artifact"], resources, run_config=partial, instance=instance)
    return Released(universe, folder / "bfa.duckdb", folder / "release", windows)


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

    return release(tmp_path_factory.mktemp("released"), ((TINY_START, TINY_END),))


HOLED_WINDOWS = (  # the checked days of `released_with_holes`
    (date(2022, 7, 10), date(2022, 7, 31)),  # starts after most symbols' first file (07-01)
    (date(2022, 9, 1), date(2022, 10, 2)),  # August not checked: a delisting and a listing
    (date(2022, 10, 4), date(2022, 10, 8)),  # 10-03 not checked: one day inside a life
)
HOLED_UNRANKED = HOLED_WINDOWS[2:]  # availability only: checked, without volume or rankings


@pytest.fixture(scope="session")
def released_with_holes(tmp_path_factory: pytest.TempPathFactory) -> Released:
    """A release of `tiny` whose history has holes (HOLED_WINDOWS are the checked days)."""
    return release(tmp_path_factory.mktemp("released-with-holes"), HOLED_WINDOWS, HOLED_UNRANKED)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test session (bfa_assets_tests/postgres.py)."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def postgres_env(postgres: Postgres) -> dict[str, str]:
    """A fresh database on it: the DAGSTER_PG_* variables that deploy/dagster.yaml reads."""
    return postgres.create_database(f"test_{uuid.uuid4().hex}")
