"""Small helpers every layer shares, importing nothing heavy: calendar days (days.py), every
setting's default (settings.py), Markdown for metadata and notes (markdown.py)."""
