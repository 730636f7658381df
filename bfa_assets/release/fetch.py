"""`bfa fetch`: download a published release, verify it, and swap it in where `bfa query` reads.

The release is found through GitHub's API (the latest release, or the one of a data date), its
SHA256SUMS read first, and every file it lists brought into a new version folder beside the
current one (release/folders.py): copied from the current release when its SHA-256 is the same,
else downloaded from the release's public link, resuming an interrupted download with a range
request. Each file is checked against SHA256SUMS, and only when all are does the release path
switch to the new folder, in one atomic rename. A mismatch, a truncated or missing file or a
network failure raises FetchError and leaves the current release as it was; the files already
fetched stay in the partial folder, so the next `bfa fetch` of that release goes on from there.

Standard library only (urllib): `bfa fetch`, like `bfa query`, imports neither Dagster nor the
pipeline's libraries.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.client import HTTPException
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from bfa_assets.release.files import SUMS, dated_tag
from bfa_assets.release.folders import (
    BLOCK,
    PARTIAL,
    prune,
    read_sums,
    sha256_file,
    swap,
    versions_of,
)

API_URL = "https://api.github.com"
ATTEMPTS = 3  # per file: an interrupted download resumes where it stopped
TIMEOUT = 60.0

Progress = Callable[[str, int, int], None]  # file name, bytes so far, bytes in all


class FetchError(Exception):
    """The release could not be fetched; the current one is untouched. The message says why."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status that ended it, if one did


@dataclass
class Fetched:
    tag: str
    folder: Path  # the version folder the release path now points to
    downloaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # copied from the current release
    bytes_downloaded: int = 0


def fetch(
    repo: str,
    release_dir: Path,
    day: date | None = None,
    api_url: str = API_URL,
    token: str | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Fetch the latest release of `repo` (or the one of data date `day`) into `release_dir`."""
    release = _release(repo, day, api_url, token)
    tag = release["tag_name"]
    assets = {asset["name"]: asset for asset in release.get("assets", [])}
    if SUMS not in assets:
        raise FetchError(f"release {tag} of {repo} has no {SUMS}: nothing to verify it against")
    sums_text = _read(assets[SUMS]["browser_download_url"]).decode()
    sums = read_sums(sums_text)
    missing = sorted(name for name in sums if name not in assets)
    if missing or not sums:
        raise FetchError(f"release {tag} of {repo} lacks files its {SUMS} lists: {missing}")
    versions = versions_of(release_dir)
    stage = versions / f"{tag}{PARTIAL}"  # one per release: a second fetch goes on from here
    stage.mkdir(parents=True, exist_ok=True)
    current = release_dir.resolve() if release_dir.exists() else None
    listed = _current_sums(current)
    fetched = Fetched(tag, stage)
    for name, digest in sums.items():
        target = stage / name
        if not target.is_file() and listed.get(name) == digest:
            shutil.copyfile(current / name, target)  # checked below, as a download would be
        if _holds(target, digest):
            fetched.unchanged.append(name)
        else:
            fetched.bytes_downloaded += _download(assets[name], target, digest, progress)
            fetched.downloaded.append(name)
    (stage / SUMS).write_text(sums_text)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    fetched.folder = stage.rename(versions / f"{tag}-{stamp}")
    swap(release_dir, fetched.folder)
    prune(versions, keep=fetched.folder)
    return fetched


def _current_sums(current: Path | None) -> dict[str, str]:
    """What the current release's SHA256SUMS lists of its files that are there."""
    if current is None or not (current / SUMS).is_file():
        return {}
    listed = read_sums((current / SUMS).read_text())
    return {name: digest for name, digest in listed.items() if (current / name).is_file()}


def _release(repo: str, day: date | None, api_url: str, token: str | None) -> dict:
    which = "latest" if day is None else f"tags/{dated_tag(day)}"
    url = f"{api_url.rstrip('/')}/repos/{repo}/releases/{which}"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:  # only to the API (more requests an hour); downloads are public
        headers["Authorization"] = f"Bearer {token}"
    try:
        return json.loads(_read(url, headers))
    except FetchError as error:
        if error.status != 404:
            raise
        what = "no published release" if day is None else f"no release for {day}"
        raise FetchError(f"{repo} has {what} ({url} answered HTTP 404)") from None


def _read(url: str, headers: dict[str, str] | None = None) -> bytes:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=TIMEOUT) as answer:
            return answer.read()
    except HTTPError as error:
        raise FetchError(f"{url} answered HTTP {error.code}: {error.reason}", error.code) from None
    except (URLError, HTTPException, OSError) as error:
        raise FetchError(f"{url}: {_reason(error)}") from None


def _holds(path: Path, digest: str) -> bool:
    return path.is_file() and sha256_file(path) == digest


def _download(asset: dict, target: Path, digest: str, progress: Progress | None) -> int:
    """Download the asset to `target` through `target.part`, resuming what an earlier attempt
    (or fetch) left; its bytes received. Raises FetchError if it cannot be had whole."""
    part = target.with_name(target.name + ".part")
    received = 0
    for attempt in range(1, ATTEMPTS + 1):
        try:
            received += _receive(asset, part, progress)
            break
        except (URLError, HTTPException, OSError) as error:
            if attempt == ATTEMPTS:
                size = part.stat().st_size if part.exists() else 0
                raise FetchError(
                    f"{asset['name']}: interrupted after {size:,} of {asset['size']:,} bytes "
                    f"({_reason(error)}); run bfa fetch again to resume"
                ) from None
            time.sleep(0.5 * attempt)
    if sha256_file(part) != digest:
        part.unlink()
        raise FetchError(
            f"{asset['name']}: the download does not match {SUMS} (corrupt or replaced); "
            "deleted it, nothing was swapped in"
        )
    part.replace(target)
    return received


def _receive(asset: dict, part: Path, progress: Progress | None) -> int:
    """One request for what `part` lacks; the bytes received."""
    have = part.stat().st_size if part.exists() else 0
    total = asset["size"]
    if have >= total:
        return 0  # complete (or too long: the SHA-256 will tell)
    headers = {"Range": f"bytes={have}-"} if have else {}
    url = asset["browser_download_url"]
    with urlopen(Request(_quoted(url), headers=headers), timeout=TIMEOUT) as answer:
        if have and answer.status != 206:  # the server sent it whole: start again
            have = 0
        received = 0
        with part.open("ab" if have else "wb") as out:
            for block in iter(lambda: answer.read(BLOCK), b""):
                out.write(block)
                received += len(block)
                if progress is not None:
                    progress(asset["name"], have + received, total)
    if have + received < total:  # http.client ends a cut body quietly: say so, and resume
        raise ConnectionError(f"the connection closed after {have + received:,} bytes")
    return received


def _quoted(url: str) -> str:
    """`url` with any character outside a URL's own percent-encoded (a file name with a space)."""
    return quote(url, safe=":/?&=%#")


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return f"{type(error).__name__}: {reason}"


def terminal_progress() -> Progress | None:
    """A progress line on stderr when it is a terminal; None (quiet) otherwise."""
    if not sys.stderr.isatty():
        return None
    shown = {"at": 0.0}

    def show(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown["at"] < 0.2 and done < total:
            return
        shown["at"] = now
        percent = 100 * done / total if total else 100
        end = "\n" if done >= total else ""
        mib = f"{done / 2**20:,.1f} of {total / 2**20:,.1f} MiB"
        sys.stderr.write(f"\r{name}: {mib} ({percent:.0f} %){end}")
        sys.stderr.flush()

    return show
