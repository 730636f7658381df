"""bfa's answers from Python: every `bfa query` sub-command is a method of `Release`.

    from bfa_assets.api import Release

    with Release() as release:              # $BFA_RELEASE_DIR, or Release("path/to/release")
        release.snapshot("2024-01-15")      # a Polars frame
        release.top("2024-01-15", n=20, market="cm")
        release.summary()                   # a dict

The answers are the command line's, from the same functions (store/queries.py,
store/dataset_queries.py), with the same refusals: a day the release did not check raises
`NotChecked`, and every other answer it does not know raises `NotKnown` (the messages are the
ones `bfa query` prints). An answer about a span of days whose rows cover only its checked
days raises `PartlyChecked` (its `unchecked` says which days), unless `partial=True` asks for
those rows. Days are `datetime.date`s or `YYYY-MM-DD` strings; every method takes
`market="um"` (USD-M) or `"cm"` (COIN-M). These names, arguments and columns are stable:
docs/queries.md lists them, and they change only with a new major version.
"""

from bfa_assets.api.release import Release
from bfa_assets.store.coverage import NotChecked, NotKnown, PartlyChecked

__all__ = ["NotChecked", "NotKnown", "PartlyChecked", "Release"]
