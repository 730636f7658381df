"""`bfa fetch` against the fake GitHub: the real command downloads a published release, checks
it against SHA256SUMS, swaps it in where `bfa query` reads, skips unchanged files, resumes an
interrupted download with a range request, and leaves the current release alone on any failure.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bfa_assets.release.fetch import terminal_progress
from bfa_assets.release.files import DATABASE, FILES, SUMS
from bfa_assets.release.github import GitHubTarget, publish_release
from bfa_assets_tests.processes import free_port
from bfa_assets_tests.release.fake_github import FakeGitHub, serve_fake_github

TOKEN = "ghp_fetchTestToken0123456789"
PROJECT = Path(__file__).resolve().parents[2]
REPO = "bfa-org/data"
BFA = str(Path(sys.executable).parent / "bfa")
# The command run as a user runs it, reporting which of the pipeline's libraries it imported.
PROBE = """
import sys
from bfa_assets.cli.main import main
status = main(sys.argv[1:])
heavy = {"dagster", "httpx", "duckdb", "polars", "pyarrow", "matplotlib", "isal"}
print("imported:", sorted(heavy & {m.split(".")[0] for m in sys.modules}), file=sys.stderr)
sys.exit(status)
"""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github(TOKEN, {REPO}) as fake:
        yield fake


def published(github: FakeGitHub, folder: Path, day: date) -> dict[str, bytes]:
    """Publish the release folder `folder` as data date `day`; its files' bytes."""
    files = {folder / name: sha256(folder / name) for name in FILES}
    target = GitHubTarget(REPO, TOKEN, github.api_url)
    publish_release(target, files, day=day, name=f"bfa {day}", body="notes")
    return {path.name: path.read_bytes() for path in files}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(github: FakeGitHub, release_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "BFA_GITHUB_API_URL": github.api_url}
    env.pop("BFA_GITHUB_REPO", None)
    command = [sys.executable, "-c", PROBE, "fetch", "--dir", str(release_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def held(release_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in release_dir.iterdir()}


def storage_requests(github: FakeGitHub) -> list[dict[str, str]]:
    return [r.headers for r in github.requests if r.path.startswith("/storage/")]


@pytest.fixture
def second(released, tmp_path: Path) -> Path:
    """The released folder with one file changed: the next day's release."""
    folder = tmp_path / "second"
    shutil.copytree(released.release_dir, folder)
    (folder / "stats.json").write_text('{"the": "next day"}\n')
    sums = "".join(f"{sha256(folder / n)}  {n}\n" for n in FILES if n != SUMS)
    (folder / SUMS).write_text(sums)
    return folder


def fetched_then_published(
    github: FakeGitHub, released, second: Path, release_dir: Path
) -> dict[str, bytes]:
    """The first release fetched into `release_dir`, then the second published; its files."""
    published(github, released.release_dir, date(2022, 10, 8))
    assert fetch(github, release_dir, "--repo", REPO).returncode == 0
    return published(github, second, date(2022, 10, 9))


def test_fetch_downloads_verifies_and_swaps_in_a_release_that_bfa_query_answers_from(
    github: FakeGitHub, released, tmp_path: Path
) -> None:
    files = published(github, released.release_dir, date(2022, 10, 8))
    release_dir = tmp_path / "data" / "release"

    done = fetch(github, release_dir, "--repo", REPO)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"fetched data-2022-10-08 of {REPO} into {release_dir}: 12 files downloaded"
    )
    assert "imported: []" in done.stderr  # neither Dagster nor any of the pipeline's libraries
    assert "MiB" not in done.stderr  # no progress lines: stderr is not a terminal
    assert release_dir.is_symlink() and held(release_dir) == files
    summary = [BFA, "query", "summary", "--json", "--db"]
    ours = subprocess.run([*summary, str(release_dir / DATABASE)], capture_output=True, text=True)
    theirs = subprocess.run([*summary, str(released.release_dir / DATABASE)],
                            capture_output=True, text=True)  # fmt: skip
    assert ours.returncode == 0 and json.loads(ours.stdout) == json.loads(theirs.stdout)


def test_a_second_fetch_downloads_only_the_files_that_changed(
    github: FakeGitHub, released, second: Path, tmp_path: Path
) -> None:
    release_dir = tmp_path / "release"
    files = fetched_then_published(github, released, second, release_dir)
    first = release_dir.resolve()
    github.requests.clear()

    done = fetch(github, release_dir, "--repo", REPO)

    assert done.returncode == 0, done.stderr
    assert "1 files downloaded" in done.stdout and "11 unchanged" in done.stdout
    assert len(storage_requests(github)) == 2  # SHA256SUMS, read first, and stats.json
    assert held(release_dir) == files and release_dir.resolve() != first
    assert first.exists()  # the version before stays for readers that still hold its files


def test_an_interrupted_download_resumes_with_a_range_request(
    github: FakeGitHub, released, tmp_path: Path
) -> None:
    files = published(github, released.release_dir, date(2022, 10, 8))
    github.download_faults = ["", "truncate"]  # SHA256SUMS whole, then the database cut short

    done = fetch(github, tmp_path / "release", "--repo", REPO)

    assert done.returncode == 0, done.stderr
    ranges = [h["range"] for h in storage_requests(github) if "range" in h]
    assert ranges == [f"bytes={len(files[DATABASE]) // 2}-"]
    assert held(tmp_path / "release") == files


def test_a_download_that_keeps_failing_stops_keeps_its_part_and_the_next_fetch_resumes(
    github: FakeGitHub, released, second: Path, tmp_path: Path
) -> None:
    release_dir = tmp_path / "release"
    files = fetched_then_published(github, released, second, release_dir)
    before = held(release_dir)
    github.download_faults = ["", "truncate", "truncate", "truncate"]

    failed = fetch(github, release_dir, "--repo", REPO)

    assert failed.returncode == 1
    assert "stats.json: interrupted after" in failed.stderr
    assert "run bfa fetch again to resume" in failed.stderr
    assert f"the release at {release_dir} is unchanged" in failed.stderr
    assert held(release_dir) == before
    again = fetch(github, release_dir, "--repo", REPO)
    assert again.returncode == 0, again.stderr
    assert held(release_dir) == files
    assert any("range" in h for h in storage_requests(github)[-2:])


def test_a_corrupt_download_is_refused_and_the_current_release_stays(
    github: FakeGitHub, released, second: Path, tmp_path: Path
) -> None:
    release_dir = tmp_path / "release"
    fetched_then_published(github, released, second, release_dir)
    before, pointed = held(release_dir), release_dir.resolve()
    github.download_faults = ["", "corrupt"]

    done = fetch(github, release_dir, "--repo", REPO)

    assert done.returncode == 1
    assert "stats.json: the download does not match SHA256SUMS" in done.stderr
    assert release_dir.resolve() == pointed and held(release_dir) == before


def test_a_dated_release_is_fetched_by_its_date_and_a_missing_one_is_a_clear_error(
    github: FakeGitHub, released, second: Path, tmp_path: Path
) -> None:
    files = published(github, released.release_dir, date(2022, 10, 8))
    published(github, second, date(2022, 10, 9))

    done = fetch(github, tmp_path / "release", "--repo", REPO, "--date", "2022-10-08")
    assert done.returncode == 0 and held(tmp_path / "release") == files

    missing = fetch(github, tmp_path / "release", "--repo", REPO, "--date", "2022-10-07")
    assert missing.returncode == 1
    assert f"{REPO} has no release for 2022-10-07" in missing.stderr
    assert held(tmp_path / "release") == files


def test_a_release_that_lacks_a_listed_file_is_refused(
    github: FakeGitHub, released, tmp_path: Path
) -> None:
    published(github, released.release_dir, date(2022, 10, 8))
    latest = github.releases[github.latest[REPO]]
    latest.assets = [a for a in latest.assets if a.name != "stats.json"]

    done = fetch(github, tmp_path / "release", "--repo", REPO)

    assert done.returncode == 1
    assert "lacks files its SHA256SUMS lists: ['stats.json']" in done.stderr
    assert not (tmp_path / "release").exists()


def test_without_a_repository_it_says_which_option_names_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BFA_GITHUB_REPO"}
    done = subprocess.run([BFA, "fetch", "--dir", str(tmp_path)], capture_output=True, text=True,
                          env=env)  # fmt: skip
    assert done.returncode == 2
    assert "which repository? --repo OWNER/NAME (or set BFA_GITHUB_REPO)" in done.stderr


def test_the_readmes_first_commands_fetch_a_release_and_query_it(
    github: FakeGitHub, released, second: Path, tmp_path: Path
) -> None:
    """README.md's "Use the data without running anything", as written but for the repository
    (the fake's) and where GitHub's API is: no token, nothing else in the environment."""
    readme = (PROJECT / "README.md").read_text()
    block = re.search(r"## Use the data without running anything.*?```sh\n(.*?)```", readme,
                      re.DOTALL)[1]  # fmt: skip
    files = published(github, released.release_dir, date(2022, 10, 8))
    published(github, second, date(2022, 10, 9))
    commands = [line for line in block.splitlines() if line.startswith(".venv/bin/bfa")]
    script = "\n".join(commands).replace("OWNER/NAME", REPO).replace("2026-12-01", "2022-10-08")
    (tmp_path / ".venv").symlink_to(PROJECT / ".venv")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "BFA_GITHUB_API_URL": github.api_url}

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True)  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"fetched data-2022-10-09 of {REPO} into data/release: 12 files")
    assert lines[1].startswith(f"fetched data-2022-10-08 of {REPO} into data/release: 1 files")
    assert held(tmp_path / "data" / "release") == files
    assert "2022-10-08" in "\n".join(lines[2:])  # the summary: its latest checked day
    assert not any(h.get("authorization") for h in (r.headers for r in github.requests[-30:]))


def test_on_a_terminal_each_download_shows_its_progress(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    show = terminal_progress()
    assert show is not None
    show("availability.duckdb", 1 << 20, 4 << 20)
    show("availability.duckdb", 4 << 20, 4 << 20)
    assert screen.getvalue() == (
        "\ravailability.duckdb: 1.0 of 4.0 MiB (25 %)"
        "\ravailability.duckdb: 4.0 of 4.0 MiB (100 %)\n"
    )
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert terminal_progress() is None  # not a terminal: quiet


def test_a_network_failure_says_what_failed_and_leaves_the_release_alone(
    github: FakeGitHub, released, tmp_path: Path
) -> None:
    release_dir = tmp_path / "release"
    published(github, released.release_dir, date(2022, 10, 8))
    assert fetch(github, release_dir, "--repo", REPO).returncode == 0
    before, pointed = held(release_dir), release_dir.resolve()
    unreachable = FakeGitHub(TOKEN, {REPO}, f"http://127.0.0.1:{free_port()}")  # nobody there

    done = fetch(unreachable, release_dir, "--repo", REPO)

    assert done.returncode == 1
    assert f"{unreachable.api_url}/repos/{REPO}/releases/latest: URLError" in done.stderr
    assert "Connection refused" in done.stderr
    assert release_dir.resolve() == pointed and held(release_dir) == before
