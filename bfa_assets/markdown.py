"""Small Markdown renderings for asset metadata."""

from __future__ import annotations

import polars as pl


def markdown_table(frame: pl.DataFrame, max_rows: int = 40) -> str:
    """A Markdown table of the first `max_rows` rows, saying how many were left out."""
    shown = frame.head(max_rows)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |"
        for row in shown.iter_rows()
    ]
    if frame.height > max_rows:
        lines.append(f"\n… and {frame.height - max_rows} more rows")
    return "\n".join(lines)


def bullet_list(items: list[str], max_items: int = 30) -> str:
    shown = [f"- {item}" for item in items[:max_items]]
    if len(items) > max_items:
        shown.append(f"- … and {len(items) - max_items} more")
    return "\n".join(shown) or "(none)"
