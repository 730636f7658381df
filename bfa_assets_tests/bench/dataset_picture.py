"""The README's dataset-coverage picture: the `demo` scenario's whole history, checked from the
first day (availability and coverage, every dataset of both markets), released, and the
release's `dataset-coverage.png` copied to docs/images/.

    python -m bfa_assets_tests.bench.dataset_picture

In-process against the simulator without latency: about three minutes on two cores.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import dagster as dg

from bfa_assets.common.days import HISTORY_START
from bfa_assets.release.files import DATASETS_PNG
from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize
from bfa_assets_tests.vision_sim import SimServer, build

TARGET = Path(__file__).resolve().parents[2] / "docs" / "images" / DATASETS_PNG


def main() -> int:
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    end = now.date() - timedelta(days=1)
    with (
        SimServer(build("demo", now=now)) as sim,
        TemporaryDirectory() as folder,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        resources = pipeline_resources(sim, Path(folder) / "bfa.duckdb")
        materialize(["futures_symbols"], resources, instance=instance)
        materialize(
            ["daily_availability", "dataset_coverage"],
            resources,
            HISTORY_START,
            end,
            instance=instance,
        )
        materialize(["release_artifact"], resources, instance=instance)
        shutil.copy(Path(folder) / "release" / DATASETS_PNG, TARGET)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
