"""publish_release against the fake GitHub served on 127.0.0.1 (fake_github.py says which of
GitHub's documented behaviours it plays): dated releases filled as drafts, checked, published
whole; `latest` beside them; retention; and every failure leaving the published ones intact."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from bfa_assets.release.github import (
    DEFAULT_API_URL,
    GitHubTarget,
    PublishError,
    PublishResult,
    publish_release,
)
from bfa_assets_tests.release.fake_github import FakeGitHub, FakeRelease, serve_fake_github

TOKEN = "ghp_fakeToken0123456789abcdefABCDEF"
REPO = "bfa-org/bfa.data_1"
DAY = date(2024, 1, 31)
TAG = "data-2024-01-31"
LIST_PATH = f"/repos/{REPO}/releases"
Files = dict[Path, str]  # path -> SHA-256, as the release step hands them over


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github(TOKEN, {REPO}) as fake:
        yield fake


@pytest.fixture
def target(github: FakeGitHub) -> GitHubTarget:
    return GitHubTarget(REPO, TOKEN, github.api_url)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(folder: Path, contents: dict[str, bytes]) -> Files:
    """The files, with a SHA256SUMS of them, as a release folder holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in contents.items())
    (folder / "SHA256SUMS").write_text(sums)
    paths = [folder / name for name in [*contents, "SHA256SUMS"]]
    return {path: digest(path) for path in paths}


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return write(
        tmp_path / "release",
        {
            "availability.duckdb": bytes(range(256)) * 300,  # 76,800 bytes, several chunks
            "availability.duckdb.gz": b"\x1f\x8b\x08\x00gz",
            "stats.json": b'{"symbols": 3}',
            "RELEASE_NOTES.md": "# Release\n\nDays: 5 — ok\n".encode(),
        },
    )


def publish(
    target: GitHubTarget, files: Files, day: date = DAY, body: str = "notes", keep: int = 0
) -> PublishResult:
    return publish_release(target, files, day=day, name=f"bfa {day}", body=body, keep=keep)


def contents(release: FakeRelease | None) -> dict[str, bytes]:
    assert release is not None
    return {asset.name: asset.data for asset in release.assets}


def on_disk(files: Files) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in files}


def test_a_publish_fills_a_draft_checks_it_and_publishes_the_dated_release_and_latest(
    github: FakeGitHub, target: GitHubTarget, files: Files, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore too: none of them may show the token
    result = publish(target, files)

    names = ["availability.duckdb", "availability.duckdb.gz", "stats.json", "RELEASE_NOTES.md",
             "SHA256SUMS"]  # fmt: skip
    sizes = sum(len(data) for data in on_disk(files).values())
    assert result == PublishResult(
        f"https://github.example/{REPO}/releases/tag/{TAG}",
        [TAG, "latest"],
        [f"{tag}/{name}" for tag in (TAG, "latest") for name in names],
        2 * sizes,
    )
    dated, legacy = github.release(REPO, TAG), github.release(REPO, "latest")
    assert contents(dated) == contents(legacy) == on_disk(files)
    assert dated is not None and (dated.name, dated.body) == ("bfa 2024-01-31", "notes")
    types = {a.name: a.content_type for a in dated.assets}
    assert (types["availability.duckdb.gz"], types["stats.json"], types["RELEASE_NOTES.md"]) == (
        "application/gzip", "application/json", "text/markdown; charset=utf-8")  # fmt: skip
    assert github.latest[REPO] == dated.id  # GitHub's "latest release" is the dated one
    assert github.tags == {(REPO, TAG), (REPO, "latest")} and github.drafts(REPO) == []

    created = [
        json.loads(r.body) for r in github.requests if (r.method, r.path) == ("POST", LIST_PATH)
    ]
    assert created == [
        {"tag_name": f"{tag}.draft", "name": "bfa 2024-01-31", "body": "notes", "draft": True}
        for tag in (TAG, "latest")
    ]
    published = [json.loads(r.body) for r in github.requests if r.method == "PATCH"]
    assert published == [
        {"tag_name": TAG, "draft": False, "make_latest": "true"},
        {"tag_name": "latest", "draft": False, "make_latest": "false"},
    ]
    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == "bfa-assets-release"
    assert "uploaded availability.duckdb (76800 bytes)" in caplog.messages
    assert "HTTP Request" in caplog.text  # httpx's own lines were captured …
    assert TOKEN not in caplog.text  # … and the token is in none of them
    assert github.violations == []


def test_publishing_a_date_again_replaces_its_release_whole(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    publish(target, files)
    first = github.release(REPO, TAG)
    assert first is not None
    database = next(path for path in files if path.name == "availability.duckdb")
    database.write_bytes(b"re-checked database")
    files[database] = digest(database)

    publish(target, files, body="re-checked")

    again = github.release(REPO, TAG)
    assert again is not None and again.id != first.id and first.id not in github.releases
    assert contents(again) == contents(github.release(REPO, "latest")) == on_disk(files)
    assert again.body == "re-checked" and github.latest[REPO] == again.id
    assert [r.tag for r in github.releases.values()] == [TAG, "latest"]  # no other release
    assert github.violations == []  # nothing published was ever changed in place


def test_a_newer_date_becomes_latest_and_an_older_one_published_later_does_not(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    publish(target, files, date(2024, 2, 2))
    publish(target, files, date(2024, 2, 1))
    newer, older = github.release(REPO, "data-2024-02-02"), github.release(REPO, "data-2024-02-01")
    assert newer is not None and older is not None and github.latest[REPO] == newer.id


def test_retention_keeps_the_newest_dated_releases_and_deletes_the_others_with_their_tags(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    for day in (1, 2, 3):
        publish(target, files, date(2024, 2, day))
    result = publish(target, files, date(2024, 2, 4), keep=2)

    assert result.pruned == ["data-2024-02-01", "data-2024-02-02"]
    assert sorted(r.tag for r in github.releases.values()) == [
        "data-2024-02-03", "data-2024-02-04", "latest"]  # fmt: skip
    assert github.tags == {(REPO, "data-2024-02-03"), (REPO, "data-2024-02-04"), (REPO, "latest")}
    assert publish(target, files, date(2024, 2, 5)).pruned == []  # 0: keep them all


def test_a_publish_that_died_is_completed_from_its_draft_and_touched_nothing_published(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    publish(target, files, date(2024, 1, 30))
    before = contents(github.release(REPO, "latest"))
    github.fail_next(5, 502, method="POST", after=3)  # the draft and two uploads, then no more
    with pytest.raises(PublishError, match=r"upload stats\.json to 'data-2024-01-31': still fail"):
        publish(target, files)
    assert github.release(REPO, TAG) is None  # nothing of the new date is visible …
    assert contents(github.release(REPO, "latest")) == before  # … and `latest` is untouched
    (draft,) = github.drafts(REPO)
    assert [a.name for a in draft.assets] == ["availability.duckdb", "availability.duckdb.gz"]

    result = publish(target, files)

    assert [u for u in result.uploaded if u.startswith(TAG)] == [
        f"{TAG}/stats.json", f"{TAG}/RELEASE_NOTES.md", f"{TAG}/SHA256SUMS"]  # fmt: skip
    assert contents(github.release(REPO, TAG)) == on_disk(files) and github.drafts(REPO) == []
    assert github.violations == []


def test_a_draft_whose_file_arrived_corrupt_is_never_published(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    publish(target, files, date(2024, 1, 30))
    stats = next(path for path in files if path.name == "stats.json")
    files[stats] = "f" * 64  # what the draft will hold differs from the release's SHA-256

    with pytest.raises(PublishError, match=r"draft's files differ from the release's: stats\.json"):
        publish(target, files)

    assert github.release(REPO, TAG) is None and github.release(REPO, "latest") is not None
    assert github.violations == []


def test_a_reader_polling_during_publishes_only_ever_sees_whole_releases(
    github: FakeGitHub, target: GitHubTarget, tmp_path: Path
) -> None:
    """The issue's test: GitHub's latest release and the `latest` tag, read as a client does
    (the release, then each asset by its API URL, redirected to storage), always hold files
    that match the SHA256SUMS beside them, through new dates and a re-published one."""
    github.delay = 0.002  # each API request takes a moment: the reader gets between them
    seen: list[tuple[str, str]] = []  # (how the release was found, its tag)
    problems: list[str] = []
    stop = threading.Event()

    def read(client: httpx.Client, path: str) -> None:
        answer = client.get(path)
        if answer.status_code == 404:
            return  # none yet, or gone between two requests: never a partial one
        release = answer.json()
        data = {}
        for asset in release["assets"]:
            got = client.get(asset["url"], headers={"Accept": "application/octet-stream"})
            if got.status_code == 404:
                return  # the release was replaced meanwhile: its files went with it
            data[asset["name"]] = got.content
        if "SHA256SUMS" not in data:
            problems.append(f"{release['tag_name']}: no SHA256SUMS among {sorted(data)}")
            return
        sums = dict(reversed(line.split("  ")) for line in data["SHA256SUMS"].decode().splitlines())
        if set(sums) != set(data) - {"SHA256SUMS"}:
            problems.append(f"{release['tag_name']}: files {sorted(data)} against {sorted(sums)}")
        for name, listed in sums.items():
            if name in data and hashlib.sha256(data[name]).hexdigest() != listed:
                problems.append(f"{release['tag_name']}: {name} does not match SHA256SUMS")
        seen.append((path.rsplit("/", 1)[-1], release["tag_name"]))

    def poll() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=github.api_url, headers=headers, follow_redirects=True) as c:
            while not stop.is_set():
                read(c, f"/repos/{REPO}/releases/latest")
                read(c, f"/repos/{REPO}/releases/tags/latest")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for turn, day in enumerate((date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 2))):
            files = write(tmp_path / str(turn), {"availability.duckdb": f"db {turn}".encode() * 999,
                                                 "stats.json": f"{{{turn}}}".encode()})  # fmt: skip
            publish(target, files, day)
            seen_before = len(seen)  # the reader has read the new state at least once
            deadline = time.monotonic() + 30
            while len(seen) < seen_before + 3 and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        stop.set()
        reader.join()
    assert problems == []
    assert {tag for _, tag in seen} >= {"data-2024-03-01", "data-2024-03-02", "latest"}
    assert github.violations == []


def test_bad_credentials_fail_at_once_without_showing_the_token(
    github: FakeGitHub, files: Files, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "ghp_wrongSecret9876543210zyxwvu"
    target = GitHubTarget(REPO, wrong, github.api_url)

    with pytest.raises(PublishError) as raised:
        publish(target, files)

    message = str(raised.value)
    assert f"GET {LIST_PATH}?per_page=100&page=1 answered HTTP 401: Bad credentials" in message
    assert len(github.requests) == 1  # not retried
    assert github.requests[0].headers["authorization"] == f"Bearer {wrong}"  # it was sent …
    shown = [
        message,
        repr(raised.value),
        "".join(traceback.format_exception(raised.value)),
        repr(target),
        str(target),
        caplog.text,
    ]
    assert [wrong in text for text in shown] == [False] * len(shown)  # … and shown nowhere
    assert repr(target) == f"GitHubTarget(repo='{REPO}', api_url='{github.api_url}')"


def test_an_unknown_repo_is_a_final_404(github: FakeGitHub, files: Files) -> None:
    target = GitHubTarget("bfa-org/missing", TOKEN, github.api_url)
    with pytest.raises(PublishError) as raised:
        publish(target, files)
    assert str(raised.value) == (
        "GET /repos/bfa-org/missing/releases?per_page=100&page=1 answered HTTP 404: Not Found"
    )
    assert len(github.requests) == 1


def test_transient_503s_are_retried(
    github: FakeGitHub, target: GitHubTarget, files: Files, caplog: pytest.LogCaptureFixture
) -> None:
    github.fail_next(2, 503)
    publish(target, files)

    assert [r.path for r in github.requests[:3]] == [LIST_PATH] * 3
    assert contents(github.release(REPO, TAG)) == on_disk(files)
    retries = [m for m in caplog.messages if "retrying" in m]
    assert len(retries) == 2
    assert retries[0].startswith("list the releases: retrying in ")
    assert retries[0].endswith(
        f"after GET {LIST_PATH}?per_page=100&page=1 answered HTTP 503: Service Unavailable"
    )


def test_an_upload_whose_answer_is_lost_is_found_by_its_retry_and_not_sent_twice(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    github.fail_next(1, 502, method="POST", after_handling=True)  # the draft is made, unanswered
    github.fail_next(1, 502, method="POST", after_handling=True)  # then is the first upload

    result = publish(target, files)

    assert len([r for r in github.requests if (r.method, r.path) == ("POST", LIST_PATH)]) == 2
    assert len(github.releases) == 2  # one draft each for the date and `latest`: no twin
    assert f"{TAG}/availability.duckdb" not in result.uploaded  # its retry found it there
    assert contents(github.release(REPO, TAG)) == on_disk(files) and github.drafts(REPO) == []


def test_gives_up_after_five_attempts(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    github.fail_next(5, 502)
    with pytest.raises(PublishError) as raised:
        publish(target, files)
    assert str(raised.value) == (
        "list the releases: still failing after 5 attempts: "
        f"GET {LIST_PATH}?per_page=100&page=1 answered HTTP 502: Bad Gateway"
    )
    assert len(github.requests) == 5
    assert github.releases == {}


def test_a_long_retry_after_is_not_waited_for(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    github.fail_next(1, 429, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(
        PublishError, match=r"asks to wait 3600 s; not waiting that long: .*HTTP 429: Too Many"
    ):
        publish(target, files)
    assert time.monotonic() - started < 2
    assert len(github.requests) == 1


def test_a_short_retry_after_is_honoured(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    github.fail_next(1, 429, {"Retry-After": "1"})
    started = time.monotonic()
    publish(target, files)
    assert time.monotonic() - started >= 1.0
    assert [(r.method, r.path) for r in github.requests[:3]] == [
        ("GET", LIST_PATH), ("GET", LIST_PATH), ("GET", LIST_PATH)]  # fmt: skip


def test_an_exhausted_rate_limit_403_is_waited_out_until_its_reset(
    github: FakeGitHub, target: GitHubTarget, files: Files
) -> None:
    reset = int(time.time()) + 2
    must_wait = reset - time.time()  # between 1 and 2 s
    github.fail_next(1, 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    started = time.monotonic()
    publish(target, files)
    assert time.monotonic() - started >= must_wait - 0.05
    assert contents(github.release(REPO, TAG)) == on_disk(files)


def test_an_ordinary_403_is_final(github: FakeGitHub, target: GitHubTarget, files: Files) -> None:
    github.fail_next(1, 403)
    with pytest.raises(PublishError, match=r"HTTP 403: Forbidden$"):
        publish(target, files)
    assert len(github.requests) == 1


@pytest.mark.parametrize(
    "repo",
    ["bfa", "", "/bfa", "bfa/", "a/b/c", "a b/c", "a/b?c", "a/b#c", "../b", "a/..", "a/.", "a/é"],
)
def test_an_invalid_repo_is_refused(repo: str) -> None:
    with pytest.raises(ValueError, match="repo must look like 'owner/name'"):
        GitHubTarget(repo, TOKEN)


def test_a_valid_repo_is_accepted() -> None:
    target = GitHubTarget("Some-Org_2/my.repo-x", TOKEN)
    assert (target.repo, target.api_url) == ("Some-Org_2/my.repo-x", DEFAULT_API_URL)


@pytest.mark.parametrize("token", ["", "ghp_abc\n", "ghp abc", "ghp_abc\r\nX-Evil: 1"])
def test_a_token_that_cannot_be_a_header_is_refused_without_being_shown(token: str) -> None:
    with pytest.raises(ValueError) as raised:
        GitHubTarget(REPO, token)
    assert str(raised.value) == "the GitHub token must be non-empty visible ASCII (no spaces)"


def test_files_are_checked_before_anything_is_sent(
    github: FakeGitHub, target: GitHubTarget, files: Files, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / "stats.json"
    twin.write_bytes(b"{}")
    with pytest.raises(ValueError, match=r"share an asset name: stats\.json$"):
        publish(target, {**files, twin: digest(twin)})
    with pytest.raises(FileNotFoundError, match=r"missing\.parquet$"):
        publish(target, {**files, tmp_path / "missing.parquet": "0" * 64})
    assert github.requests == []
