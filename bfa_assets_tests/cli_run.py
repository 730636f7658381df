"""Running the real `bfa query` in-process, against a release built by the real pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bfa_assets.cli.main import main


@dataclass(frozen=True)
class Reply:
    code: int
    out: str
    err: str


def bfa(capsys, release_dir: Path, *args: str) -> Reply:
    """`bfa query ARGS --db RELEASE/availability.duckdb`: exit status, stdout, stderr."""
    code = main(["query", *args, "--db", str(release_dir / "availability.duckdb")])
    captured = capsys.readouterr()
    return Reply(code, captured.out, captured.err)


def as_json(capsys, release_dir: Path, *args: str):
    """The `--json` answer of a command that must succeed."""
    reply = bfa(capsys, release_dir, *args, "--json")
    assert reply.code == 0, reply.err
    return json.loads(reply.out)
