"""A fresh, migrated working database for the store's tests."""

from __future__ import annotations

import duckdb
import pytest

from bfa_assets.store.schema import migrate


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
        migrate(conn)
        yield conn
