"""The README's shell commands, run literally from a plain shell in a fresh copy of the project.

The commands are parsed from README.md (every ```sh block, in order, except a block marked
`<!-- README test: not run … -->`), so this test fails when the README drifts from what the
project does. The first block is `make demo`, which keeps running; the others run in one
`bash` with nothing in the environment but PATH and HOME, as a newcomer's second shell would.
Then the tables the commands wrote are compared with the simulator's ground truth.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bfa_assets_tests.e2e.dagster_dev import (
    PROJECT,
    DagsterDev,
    all_runs,
    stop_group,
    wait_for_run,
)
from bfa_assets_tests.pipeline import availability, expected_availability
from bfa_assets_tests.processes import free_port, wait_until
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

SKIP_MARK = "<!-- README test: not run"
DEMO_TIMEOUT = 180
COMMANDS_TIMEOUT = 600
RUN_TIMEOUT = 400


def shell_blocks(markdown: str, language: str = "sh") -> list[str]:
    """The ```sh (or other `language`) blocks of a Markdown text, in order, without those
    marked as not run."""
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL):
        before = markdown[: match.start()].rstrip().splitlines()[-1:]
        if not (before and before[0].startswith(SKIP_MARK)):
            blocks.append(match.group(1))
    return blocks


def fresh_copy(target: Path) -> Path:
    """The tracked files as a clone has them, with this checkout's environment beside them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True,
                           check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        if (PROJECT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, target / name)
    for installed in (".venv", ".tools"):  # this checkout's; installing again takes minutes
        (target / installed).symlink_to(PROJECT / installed)
    # `make` must see the shared .venv as up to date for the copy too: re-syncing it from the
    # copy would re-point the editable install at a temporary folder.
    synced = (PROJECT / ".venv" / ".synced").stat().st_mtime
    for prerequisite in ("pyproject.toml", "uv.lock", "Makefile"):
        os.utime(target / prerequisite, (synced - 1, synced - 1))
    return target


def plain_env(**extra: str) -> dict[str, str]:
    """A login shell's environment: no variable the tests set for themselves."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **extra}


def run_blocks(blocks: list[str], clone: Path) -> subprocess.CompletedProcess:
    """Shell blocks in one `bash -euo pipefail`, in a plain environment, as a second shell."""
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(blocks)], cwd=clone,
                          env=plain_env(), capture_output=True, text=True,
                          timeout=COMMANDS_TIMEOUT)  # fmt: skip
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


RELEASE_METADATA = """
query Release { assetOrError(assetKey: {path: ["release_artifact"]}) { ... on Asset {
    assetMaterializations(limit: 1) { metadataEntries { label
        ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text }
        ... on BoolMetadataEntry { boolValue } } }
} } }
"""


def assert_the_release_agrees_with_itself(clone: Path, ui: DagsterDev) -> None:
    """stats.json, RELEASE_NOTES.md, `bfa query summary` and the release's metadata in the UI
    give the same figures under the same names; January 2024 is the only checked month, and
    the days after it, to yesterday, are among the unchecked ones."""
    release = clone / "data" / "demo" / "release"
    summary = json.loads(bfa(clone, "summary", "--json").stdout)
    stats = json.loads((release / "stats.json").read_text())
    assert {name: stats[name] for name in summary} == summary
    newest = summary["history"][1]
    assert summary["checked_ranges"] == [["2024-01-01", "2024-01-31"]]
    assert summary["unchecked_ranges"] == [["2019-09-25", "2023-12-31"], ["2024-02-01", newest]]
    assert summary["symbols_discovered"] == sum(
        summary[f"{kind}_symbols_discovered"] for kind in ("perpetual", "delivery")
    )
    notes = (release / "RELEASE_NOTES.md").read_text()
    entries = ui.graphql(RELEASE_METADATA)["assetOrError"]["assetMaterializations"][0]
    shown = {e["label"]: e.get("intValue", e.get("text", e.get("boolValue")))
             for e in entries["metadataEntries"]}  # fmt: skip
    for name in ("symbols_discovered", "symbols_checked", "symbols_with_files",
                 "available_rows", "checked_days", "unchecked_days"):  # fmt: skip
        assert f"| {name} | {summary[name]:,} |" in notes, name
        assert shown[name] == summary[name], name
    unchecked = f"2019-09-25 … 2023-12-31 (1,559 days), 2024-02-01 … {newest} ("
    assert shown["unchecked_ranges"].startswith(unchecked) and shown["complete"] is False


def run_python_examples(clone: Path) -> None:
    """Every ```python block of the README and docs/, as written, in the demo's environment."""
    pages = [clone / "README.md", *sorted((clone / "docs").glob("*.md"))]
    examples = [
        (page.name, block) for page in pages for block in shell_blocks(page.read_text(), "python")
    ]
    assert len(examples) >= 2
    for page, example in examples:
        done = subprocess.run(["bash", "-c", "source data/demo/env.sh && .venv/bin/python -"],
                              cwd=clone, env=plain_env(), input=example, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"{page}:\n{example}\n{done.stderr[-3000:]}"


def bfa(clone: Path, *args: str) -> subprocess.CompletedProcess:
    """`bfa query …` on the demo's release, as `source data/demo/env.sh` sets it up."""
    command = f"source data/demo/env.sh && .venv/bin/bfa query {' '.join(args)}"
    return subprocess.run(["bash", "-c", command], cwd=clone, env=plain_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


FAILURES_QUERY = """
query Failures($runId: ID!) { logsForRun(runId: $runId) { ... on EventConnection { events {
    ... on ExecutionStepFailureEvent { stepKey error { message } }
} } } }
"""


def step_errors(ui: DagsterDev, run_id: str) -> str:
    """The error messages of a run's failed steps."""
    events = ui.graphql(FAILURES_QUERY, runId=run_id)["logsForRun"]["events"]
    return "\n".join(f"{e['stepKey']}: {e['error']['message']}" for e in events if e)


def test_the_readme_and_the_demo_walk_through_from_a_plain_shell(tmp_path: Path) -> None:
    """README: the demo, a back-fill of January 2024, the release, the queries. Then
    docs/operations.md's walk-through: the daily sensor's lookback run (refused at the
    release: the history now has a hole), a partial release, and answers that stay true."""
    readme = shell_blocks((PROJECT / "README.md").read_text())
    walk_through = shell_blocks((PROJECT / "docs" / "operations.md").read_text())
    assert readme[0].strip() == "make demo", "the README's first command starts the demo"
    clone = fresh_copy(tmp_path / "bfa")
    ui_port, sim_port = free_port(), free_port()
    log = tmp_path / "make-demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            ["bash", "-c", readme[0]],
            cwd=clone,
            # the fallback hour only makes the sensor's first tick request its run at any time
            env=plain_env(PORT=str(ui_port), SIM_PORT=str(sim_port), BFA_FALLBACK_HOUR="0"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ui = DagsterDev(f"http://127.0.0.1:{ui_port}", {}, (log,), location="bfa")
    try:
        wait_until(lambda: "bfa demo is up" in log.read_text(), DEMO_TIMEOUT, "make demo", demo)
        banner = log.read_text().split("bfa demo is up", 1)[1]
        assert f"http://127.0.0.1:{ui_port}" in banner and "source data/demo/env.sh" in banner
        done = run_blocks(readme[1:], clone)
        assert "checked_days: 31" in done.stdout
        january = _truth(sim_port, date(2024, 1, 1), date(2024, 1, 31))
        assert_frame_equal(availability(clone / "data" / "demo" / "bfa.duckdb"), january)
        assert_the_release_agrees_with_itself(clone, ui)
        run_python_examples(clone)

        run_blocks(walk_through[:1], clone)  # the sensor on
        wait_until(lambda: bool(all_runs(ui)) and len(all_runs(ui)) > 2, RUN_TIMEOUT,
                   "the daily sensor's run")  # fmt: skip
        lookback = wait_for_run(ui, all_runs(ui)[0]["runId"], RUN_TIMEOUT)
        tags = {t["key"]: t["value"] for t in lookback["tags"]}
        assert tags["dagster/sensor_name"] == "daily_lookback"
        assert lookback["status"] == "FAILURE"  # the release refused the hole
        assert "release refused" in step_errors(ui, lookback["runId"])
        terminal = log.read_text()  # what `make demo` printed: one line per record, no DEBUG
        assert "    Failure: release refused: days between" in terminal
        assert " - DEBUG - " not in terminal and "Stack Trace" not in terminal

        partial = run_blocks(walk_through[1:], clone)
        start, end = (
            tags["dagster/asset_partition_range_start"],
            tags["dagster/asset_partition_range_end"],
        )
        assert "2024-02-01 … " in partial.stdout and "unchecked_ranges" in partial.stdout
        truth = _truth(sim_port, date.fromisoformat(start), date.fromisoformat(end))
    finally:
        stop_group(demo)
    assert_frame_equal(
        availability(clone / "data" / "demo" / "bfa.duckdb").filter(
            pl.col("date") > date(2024, 2, 1)
        ),
        truth,
    )
    unchecked = bfa(clone, "snapshot", "2025-06-01")
    assert unchecked.returncode == 3 and "2025-06-01 was not checked" in unchecked.stderr
    assert bfa(clone, "top", "2025-06-01").returncode == 3
    delistings = json.loads(bfa(clone, "delistings", "2024-01-31", "--json").stdout)
    assert delistings["delisted"] == []  # nothing after 2024-01-31 is known for a week
    timeline = bfa(clone, "timeline", "BTCUSDT")
    assert timeline.returncode == 0 and "2024-02-01 … " in timeline.stdout
    assert "not checked" in timeline.stdout


def _truth(sim_port: int, start: date, end: date) -> pl.DataFrame:
    """The ground truth of the demo's simulator: the `demo` universe at the simulator's clock."""
    now = httpx.get(f"http://127.0.0.1:{sim_port}/_sim/now", timeout=10).json()["now"]
    return expected_availability(build("demo", now=datetime.fromisoformat(now)), start, end)


def test_the_readme_parser_skips_what_it_is_told_to() -> None:
    text = "a\n```sh\nmake demo\n```\n<!-- README test: not run (network) -->\n```sh\nno\n```\n"
    assert shell_blocks(text) == ["make demo\n"]
