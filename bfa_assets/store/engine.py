"""DuckDB for `bfa query`: its compiled engine alone, without the package's Python layer.

The `duckdb` package is the compiled engine (the extension module `_duckdb`) and a Python
layer over it (relational and expression APIs, type stubs, a version lookup through
importlib.metadata) that takes longer to import than the engine itself. `bfa query` uses only
what the package re-exports unchanged from the engine (`connect`, connections' `execute`,
`fetchall`, `description`, the exception classes), so a SQL answer imports the engine alone
(docs/benchmarks.md). `_duckdb` is a private name (duckdb >= 1.4): this is a guarded last
resort, and where the name differs the public package is imported instead, with the same
objects.
"""

from __future__ import annotations

try:
    import _duckdb as duckdb  # the objects `duckdb` re-exports: `duckdb.connect is _duckdb.connect`
except ImportError:  # another layout of the package
    import duckdb  # type: ignore[no-redef]

__all__ = ["duckdb"]
