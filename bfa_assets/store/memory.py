"""How much memory DuckDB may hold, per kind of connection (the one home of these limits).

DuckDB's default limit is 80 % of RAM, and it keeps every block it reads cached up to its limit;
beyond the limit it evicts its cache and spills to its temp directory. A connection's memory
then grows with the tables it scans, that is with the length of the history, unless the limit
bounds it (docs/benchmarks.md, memory).
"""

# The working database, where windows are written. The primary keys' indexes are pinned in this
# memory while a window commits, and they grow with the rows: a much lower limit fails a whole
# history's commit ("failed to pin block"); a higher one only adds cache to the run's peak.
WRITE_LIMIT = "384MB"

# Connections that only read whole tables: the checks, and the release's files written from its
# database. Their scans stream; what they cache is never read again in the same connection.
READ_LIMIT = "64MB"
