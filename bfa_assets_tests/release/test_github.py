"""publish_release against the fake GitHub served on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from bfa_assets.release.github import (
    DEFAULT_API_URL,
    GitHubTarget,
    PublishError,
    PublishResult,
    publish_release,
)
from bfa_assets_tests.release.fake_github import FakeGitHub, serve_fake_github

TOKEN = "ghp_fakeToken0123456789abcdefABCDEF"
REPO = "bfa-org/bfa.data_1"
TAG_PATH = f"/repos/{REPO}/releases/tags/latest"
RELEASE_URL = f"https://github.example/{REPO}/releases/tag/latest"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github(TOKEN, {REPO}) as fake:
        yield fake


@pytest.fixture
def target(github: FakeGitHub) -> GitHubTarget:
    return GitHubTarget(REPO, TOKEN, github.api_url)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    contents = {
        "availability.duckdb": bytes(range(256)) * 300,  # 76,800 bytes, more than one chunk
        "availability.duckdb.gz": b"\x1f\x8b\x08\x00gz",
        "stats.json": b'{"symbols": 3}',
        "RELEASE_NOTES.md": "# Release\n\nDays: 5 — ok\n".encode(),
    }
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in contents]


def publish(target: GitHubTarget, files: list[Path], body: str = "first") -> PublishResult:
    return publish_release(target, files, name="bfa 2024-01-31", body=body)


def test_creates_latest_release_and_uploads_every_file(
    github: FakeGitHub, target: GitHubTarget, files: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore too: none of them may show the token
    result = publish(target, files)

    names = ["availability.duckdb", "availability.duckdb.gz", "stats.json", "RELEASE_NOTES.md"]
    assert result == PublishResult(RELEASE_URL, names, 76_800 + 6 + 14 + 26)
    release = github.release(REPO, "latest")
    assert release is not None
    assert (release.name, release.body) == ("bfa 2024-01-31", "first")
    assert [(a.name, a.content_type, a.data) for a in release.assets] == [
        ("availability.duckdb", "application/octet-stream", files[0].read_bytes()),
        ("availability.duckdb.gz", "application/gzip", b"\x1f\x8b\x08\x00gz"),
        ("stats.json", "application/json", b'{"symbols": 3}'),
        ("RELEASE_NOTES.md", "text/markdown; charset=utf-8", files[3].read_bytes()),
    ]

    upload_path = f"/uploads/repos/{REPO}/releases/{release.id}/assets"
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", TAG_PATH),
        ("POST", f"/repos/{REPO}/releases"),
        *[("GET", TAG_PATH), ("POST", upload_path)] * 4,
    ]
    assert json.loads(github.requests[1].body) == {
        "tag_name": "latest",
        "name": "bfa 2024-01-31",
        "body": "first",
        "make_latest": "true",
    }
    assert [r.query for r in github.requests if r.path == upload_path] == [
        {"name": [name]} for name in names
    ]
    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == "bfa-assets-release"

    assert "uploaded availability.duckdb (76800 bytes)" in caplog.messages
    assert "HTTP Request" in caplog.text  # httpx's own lines were captured …
    assert TOKEN not in caplog.text  # … and the token is in none of them


def test_publishing_again_updates_the_body_and_replaces_same_named_assets(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
    publish(target, files[:2])
    release = github.release(REPO, "latest")
    assert release is not None
    old_ids = [asset.id for asset in release.assets]
    files[0].write_bytes(b"new database")
    github.requests.clear()

    result = publish(target, files, body="second")

    assert result == PublishResult(
        RELEASE_URL,
        ["availability.duckdb", "availability.duckdb.gz", "stats.json", "RELEASE_NOTES.md"],
        12 + 6 + 14 + 26,
    )
    assert list(github.releases) == [release.id]  # no second release
    assert (release.name, release.body) == ("bfa 2024-01-31", "second")
    assert [(a.name, a.data) for a in release.assets] == [
        ("availability.duckdb", b"new database"),
        ("availability.duckdb.gz", b"\x1f\x8b\x08\x00gz"),
        ("stats.json", b'{"symbols": 3}'),
        ("RELEASE_NOTES.md", files[3].read_bytes()),
    ]
    assert not set(old_ids) & {asset.id for asset in release.assets}
    assert [(r.method, r.path) for r in github.requests if r.method in ("PATCH", "DELETE")] == [
        ("PATCH", f"/repos/{REPO}/releases/{release.id}"),
        *[("DELETE", f"/repos/{REPO}/releases/assets/{asset_id}") for asset_id in old_ids],
    ]
    assert json.loads(github.requests[1].body) == {"name": "bfa 2024-01-31", "body": "second"}


def test_bad_credentials_fail_at_once_without_showing_the_token(
    github: FakeGitHub, files: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "ghp_wrongSecret9876543210zyxwvu"
    target = GitHubTarget(REPO, wrong, github.api_url)

    with pytest.raises(PublishError) as raised:
        publish(target, files)

    message = str(raised.value)
    assert f"GET {TAG_PATH} answered HTTP 401: Bad credentials" in message
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


def test_an_unknown_repo_is_a_final_404(github: FakeGitHub, files: list[Path]) -> None:
    """GitHub's 404 does not tell "no such repo" from "no such tag", so creating is tried."""
    target = GitHubTarget("bfa-org/missing", TOKEN, github.api_url)
    with pytest.raises(PublishError) as raised:
        publish(target, files)
    assert str(raised.value) == "POST /repos/bfa-org/missing/releases answered HTTP 404: Not Found"
    assert [r.method for r in github.requests] == ["GET", "POST"]


def test_transient_503s_are_retried(
    github: FakeGitHub, target: GitHubTarget, files: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    github.fail_next(2, 503)
    result = publish(target, files[:1])

    assert result.uploaded == ["availability.duckdb"]
    assert [(r.method, r.path) for r in github.requests[:4]] == [("GET", TAG_PATH)] * 3 + [
        ("POST", f"/repos/{REPO}/releases")
    ]
    release = github.release(REPO, "latest")
    assert release is not None
    assert [(a.name, a.data) for a in release.assets] == [
        ("availability.duckdb", files[0].read_bytes())
    ]
    retries = [m for m in caplog.messages if "retrying" in m]
    assert len(retries) == 2
    assert retries[0].startswith("release 'latest': retrying in ")
    assert retries[0].endswith(f"after GET {TAG_PATH} answered HTTP 503: Service Unavailable")


def test_an_upload_whose_answer_is_lost_is_redone_from_a_fresh_read(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
    publish(target, files[:1])
    files[0].write_bytes(b"new database")
    github.requests.clear()
    github.fail_next(1, 502, method="POST", after_handling=True)  # stored, but the answer is lost

    result = publish(target, files[:1])

    assert result.bytes_uploaded == 12
    assert [r.method for r in github.requests] == [
        *["GET", "PATCH"],
        *["GET", "DELETE", "POST"],  # replaces the first publish's asset; answered 502
        *["GET", "DELETE", "POST"],  # the retry finds its own upload and replaces it
    ]
    release = github.release(REPO, "latest")
    assert release is not None
    assert [(a.name, a.data) for a in release.assets] == [("availability.duckdb", b"new database")]


def test_gives_up_after_five_attempts(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
    github.fail_next(5, 502)
    with pytest.raises(PublishError) as raised:
        publish(target, files)
    assert str(raised.value) == (
        "release 'latest': still failing after 5 attempts: "
        f"GET {TAG_PATH} answered HTTP 502: Bad Gateway"
    )
    assert len(github.requests) == 5
    assert github.releases == {}


def test_a_long_retry_after_is_not_waited_for(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
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
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
    github.fail_next(1, 429, {"Retry-After": "1"})
    started = time.monotonic()
    publish(target, files[:1])
    assert time.monotonic() - started >= 1.0
    assert [r.method for r in github.requests[:3]] == ["GET", "GET", "POST"]


def test_an_exhausted_rate_limit_403_is_waited_out_until_its_reset(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
    reset = int(time.time()) + 2
    must_wait = reset - time.time()  # between 1 and 2 s
    github.fail_next(1, 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    started = time.monotonic()
    publish(target, files[:1])
    assert time.monotonic() - started >= must_wait - 0.05
    assert [r.method for r in github.requests[:3]] == ["GET", "GET", "POST"]


def test_an_ordinary_403_is_final(
    github: FakeGitHub, target: GitHubTarget, files: list[Path]
) -> None:
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
    github: FakeGitHub, target: GitHubTarget, files: list[Path], tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / "stats.json"
    twin.write_bytes(b"{}")
    with pytest.raises(ValueError, match=r"share an asset name: stats\.json$"):
        publish(target, [*files, twin])
    with pytest.raises(FileNotFoundError, match=r"missing\.parquet$"):
        publish(target, [*files, tmp_path / "missing.parquet"])
    assert github.requests == []
