"""Shared fixtures: a simulator per test, and resources pointing the pipeline at it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bfa_assets.resources import VisionResource, Warehouse
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
    }
