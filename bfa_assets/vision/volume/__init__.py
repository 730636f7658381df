"""Daily bars from Vision's 1d kline files, in three steps.

- `plan`: which file to read for every needed (symbol, day) — a month's monthly file when
  Vision has one with its CHECKSUM, else the day's daily file — and which of them are unchanged
  since they were read last;
- `fetch`: each file downloaded and verified (CHECKSUM, or the ETag's MD5), fetched again
  when it fails, then reported, never stored;
- `bars`: the verified CSVs parsed in batches into bars, exactly for the days each file was
  read for.
"""
