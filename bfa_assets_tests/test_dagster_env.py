"""dagster.env is the one home of the environment that every Dagster process gets: the
Makefile exports it to what it starts, scripts/demo.sh reads it, and the tests' and the
benchmark's Dagster processes get it from bfa_assets_tests/instances.py."""

import os
import shutil
import subprocess
from pathlib import Path

from bfa_assets_tests.instances import PROJECT, dagster_env


def _without_dagster_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in dagster_env()}


def _variables(env_output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env_output.splitlines() if "=" in line)


def test_dagster_env_has_dagster_hand_asset_events_over_in_batches():
    assert int(dagster_env()["DAGSTER_EVENT_BATCH_SIZE"]) >= 100


def test_make_exports_dagster_env_to_what_it_starts():
    done = subprocess.run(
        ["make", "-s", "--eval", "print-env: ; @env", "print-env"],
        cwd=PROJECT, env=_without_dagster_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    exported = _variables(done.stdout)
    assert {name: exported.get(name) for name in dagster_env()} == dagster_env()


def test_the_demo_script_starts_dagster_with_dagster_env(tmp_path: Path):
    """scripts/demo.sh, run on stand-ins for the simulator's `python` and for `dagster` (which
    writes down the environment it was started with)."""
    for name in ("dagster.env", "dagster.yaml"):
        shutil.copy(PROJECT / name, tmp_path / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # the simulator sleeps; the filter of the terminal's output passes it on
    python = '#!/bin/sh\ncase "$1" in *demo_terminal.py) exec cat ;; *) exec sleep 60 ;; esac\n'
    (bin_dir / "python").write_text(python)
    (bin_dir / "dagster").write_text('#!/bin/sh\nenv > "$ENV_OUT"\n')
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    env = {**_without_dagster_env(), "DAGSTER_HOME": str(tmp_path / "home"),
           "ENV_OUT": str(tmp_path / "env.txt")}  # fmt: skip
    subprocess.run(["bash", str(PROJECT / "scripts" / "demo.sh"), str(bin_dir), "127.0.0.1",
                    "3000", "9000"], cwd=tmp_path, env=env, check=True, timeout=60)  # fmt: skip
    started_with = _variables((tmp_path / "env.txt").read_text())
    assert {name: started_with.get(name) for name in dagster_env()} == dagster_env()
    assert started_with["BFA_VISION_URL"] == "http://127.0.0.1:9000/data.binance.vision"
