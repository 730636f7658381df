"""Markdown for asset metadata, check details and release notes: tables and bullet lists.

Numbers are written for people: integers with thousands separators, other floats with at
most four decimals (a volume of 72221377121.0 reads 72,221,377,121).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

MAX_ITEMS = 30


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0")
    return str(value)


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], max_rows: int = 40) -> str:
    """A Markdown table of the first `max_rows` rows, saying how many were left out."""
    rows = list(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows[:max_rows]]
    if len(rows) > max_rows:
        lines.append(f"\n… and {len(rows) - max_rows:,} more rows")
    return "\n".join(lines)


def frame_table(frame: pl.DataFrame, max_rows: int = 40) -> str:
    """`table` of a Polars data frame."""
    return table(frame.columns, frame.iter_rows(), max_rows)


def bullets(items: Sequence[str], max_items: int = MAX_ITEMS) -> str:
    """A bullet list of the first `max_items` items, saying how many were left out."""
    shown = [f"- {item}" for item in items[:max_items]]
    if len(items) > max_items:
        shown.append(f"- … and {len(items) - max_items:,} more")
    return "\n".join(shown) or "(none)"
