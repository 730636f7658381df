"""The README's shell commands, run literally from a plain shell in a fresh copy of the project.

The commands are parsed from README.md (every ```sh block, in order, except a block marked
`<!-- README test: not run … -->`), so this test fails when the README drifts from what the
project does. The first block is `make demo`, which keeps running; the others run in one
`bash` with nothing in the environment but PATH and HOME, as a newcomer's second shell would.
Then the tables the commands wrote are compared with the simulator's ground truth.
"""

from __future__ import annotations

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

from bfa_assets_tests.e2e.dagster_dev import PROJECT, stop_group
from bfa_assets_tests.pipeline import availability, expected_availability
from bfa_assets_tests.processes import free_port, wait_until
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

SKIP_MARK = "<!-- README test: not run"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
DEMO_TIMEOUT = 180
COMMANDS_TIMEOUT = 600


def shell_blocks(markdown: str) -> list[str]:
    """The ```sh blocks of a Markdown text, in order, without those marked as not run."""
    blocks = []
    for match in BLOCK.finditer(markdown):
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


def test_the_readme_commands_work_from_a_plain_shell(tmp_path: Path) -> None:
    blocks = shell_blocks((PROJECT / "README.md").read_text())
    assert blocks[0].strip() == "make demo", "the README's first command starts the demo"
    clone = fresh_copy(tmp_path / "bfa")
    ui_port, sim_port = free_port(), free_port()
    log = tmp_path / "make-demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            ["bash", "-c", blocks[0]],
            cwd=clone,
            env=plain_env(PORT=str(ui_port), SIM_PORT=str(sim_port)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: "bfa demo is up" in log.read_text(), DEMO_TIMEOUT, "make demo", demo)
        banner = log.read_text().split("bfa demo is up", 1)[1]
        assert f"http://127.0.0.1:{ui_port}" in banner and "source data/demo/env.sh" in banner
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(blocks[1:])],
            cwd=clone,
            env=plain_env(),
            capture_output=True,
            text=True,
            timeout=COMMANDS_TIMEOUT,
        )
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        truth = _truth(sim_port, date(2024, 1, 1), date(2024, 1, 31))
    finally:
        stop_group(demo)
    assert "availability_rows: " in done.stdout
    database = clone / "data" / "demo" / "bfa.duckdb"
    assert_frame_equal(availability(database), truth)
    assert (clone / "data" / "demo" / "release" / "SHA256SUMS").is_file()


def _truth(sim_port: int, start: date, end: date) -> pl.DataFrame:
    """The ground truth of the demo's simulator: the `demo` universe at the simulator's clock."""
    now = httpx.get(f"http://127.0.0.1:{sim_port}/_sim/now", timeout=10).json()["now"]
    return expected_availability(build("demo", now=datetime.fromisoformat(now)), start, end)


def test_the_readme_parser_skips_what_it_is_told_to() -> None:
    text = "a\n```sh\nmake demo\n```\n<!-- README test: not run (network) -->\n```sh\nno\n```\n"
    assert shell_blocks(text) == ["make demo\n"]
