"""The tree shows the layers: `bfa_assets/` holds packages and `definitions.py` only, and each
package is in the layers contract of `make lint` (pyproject.toml), so a new package cannot slip
past the import contracts."""

from __future__ import annotations

import tomllib
from pathlib import Path

import bfa_assets

PACKAGE = Path(bfa_assets.__file__).parent
PROJECT = PACKAGE.parent


def layered() -> set[str]:
    """Every module or package the layers contract names (`a | b` is one layer of two)."""
    contracts = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contracts["contracts"] if c["type"] == "layers"]
    return {name.strip() for layer in layers for name in layer.split("|")}


def test_the_top_level_holds_packages_and_the_definitions_only():
    modules = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert modules == ["definitions.py"]


def test_every_package_is_in_a_layer():
    packages = {f"bfa_assets.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert packages | {"bfa_assets.definitions"} == layered()
