"""Tokens never leave their environment variables: not into run logs, metadata, the event log,
the release, the database or the command's output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from bfa_assets.definitions import ASSETS
from bfa_assets.defs.notifications import notify_run_failure
from bfa_assets.defs.resources import build_resources
from bfa_assets.release.build import FILES
from bfa_assets_tests.fake_pushover import serve_fake_pushover
from bfa_assets_tests.release.fake_github import serve_fake_github

PROJECT = Path(__file__).resolve().parents[2]
GITHUB_TOKEN = "ghp_s3cr3t_github_token_for_tests"
PUSHOVER_TOKEN = "apushover_s3cr3t_token_for_tests"


def files_containing(folder: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def notify_a_failed_run(instance: dg.DagsterInstance) -> None:
    """A run that fails (an unknown symbol), and the failure sensor pushing it."""
    failed = dg.materialize(
        ASSETS,
        selection=["daily_availability"],
        instance=instance,
        resources=build_resources(),
        tags={
            "dagster/asset_partition_range_start": "2022-09-01",
            "dagster/asset_partition_range_end": "2022-09-01",
        },
        run_config={"ops": {"daily_availability": {"config": {"symbols": ["NOPE"]}}}},
        raise_on_error=False,
    )
    event = next(e for e in failed.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="notify_run_failure",
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(failed.run_id),
        resources={"automation": build_resources()["automation"]},
    )
    notify_run_failure(context.for_run_failure())


def test_tokens_appear_in_no_log_metadata_event_or_file(sim, tmp_path, monkeypatch, caplog):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    with serve_fake_github(GITHUB_TOKEN, {"acme/bfa"}) as github, serve_fake_pushover() as pushover:
        env = {"DAGSTER_HOME": str(home), "BFA_VISION_URL": sim.vision_url,
               "BFA_FAPI_URL": sim.fapi_url, "BFA_DAPI_URL": sim.dapi_url,
               "BFA_DUCKDB_PATH": str(tmp_path / "bfa.duckdb"),
               "BFA_RELEASE_DIR": str(tmp_path / "release"), "BFA_GITHUB_REPO": "acme/bfa",
               "GITHUB_TOKEN": GITHUB_TOKEN, "BFA_GITHUB_API_URL": github.api_url,
               "PUSHOVER_TOKEN": PUSHOVER_TOKEN, "PUSHOVER_USER": "user-key",
               "BFA_PUSHOVER_URL": pushover.url}  # fmt: skip
        command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m",
                   "bfa_assets.definitions", "--select",
                   "futures_symbols,daily_availability,daily_volume,volume_rankings,release_artifact",
                   "--partition-range", "2022-09-01...2022-09-03"]  # fmt: skip
        done = subprocess.run(command, env={**os.environ, **env}, cwd=PROJECT, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(github.release("acme/bfa", "latest").assets) == len(FILES)  # the token was used
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            notify_a_failed_run(instance)
        assert pushover.messages and pushover.messages[0]["token"] == PUSHOVER_TOKEN  # it was used
    for secret in (GITHUB_TOKEN, PUSHOVER_TOKEN):
        assert secret not in done.stdout + done.stderr
        assert secret not in caplog.text
        assert secret not in pushover.messages[0]["message"]
        for folder in (home, tmp_path / "release", tmp_path / ".release.versions"):
            assert files_containing(folder, secret) == []
        assert files_containing(tmp_path, secret) == []  # the database and everything else
