"""`make demo`'s terminal filter: a line per log record, a failed step's error in one line."""

from __future__ import annotations

import subprocess
import sys

from bfa_assets_tests.e2e.dagster_dev import PROJECT

STAMP = "2026-12-02 17:29:43 +0000 - dagster"
OUTPUT = f"""Traceback before any record (a crash at start-up) passes
{STAMP} - INFO - __ASSET_JOB - abc - release_artifact - release of 2024-01-05 written
{STAMP} - ERROR - __ASSET_JOB - abc - 3193 - release_artifact - STEP_FAILURE - Execution failed.

dagster._core.definitions.events.Failure: release refused: days between the first and the newest

Stack Trace:
  File "/x/dagster/_core/execution/plan/execute_plan.py", line 243, in dagster_event_sequence
    yield from check.generator(step_events)
  File "/x/bfa_assets/defs/assets/release.py", line 101, in release_artifact
    raise dg.Failure(f"release refused: {{refused}}") from None

{STAMP} - WARNING - dagster.daemon - a warning
"""


def test_each_record_is_one_line_and_an_error_its_message_without_the_trace():
    shown = subprocess.run(
        [sys.executable, str(PROJECT / "scripts" / "demo_terminal.py")],
        input=OUTPUT, capture_output=True, text=True, check=True, timeout=30,
    ).stdout.splitlines()  # fmt: skip
    assert shown == [
        "Traceback before any record (a crash at start-up) passes",
        f"{STAMP} - INFO - __ASSET_JOB - abc - release_artifact - release of 2024-01-05 written",
        f"{STAMP} - ERROR - __ASSET_JOB - abc - 3193 - release_artifact - STEP_FAILURE - "
        "Execution failed.",
        "    Failure: release refused: days between the first and the newest",
        f"{STAMP} - WARNING - dagster.daemon - a warning",
    ]
