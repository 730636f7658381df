"""The `bfa` command line (main.py) and how it prints answers (output.py).

Imports nothing here: `bfa query` pays only for what its sub-command needs."""
