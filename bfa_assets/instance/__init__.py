"""The embedded Dagster instance's storage (dagster.yaml loads storage.py): Dagster's SQLite
storage writing asset events in batches (event_batches.py). The one place built on Dagster's
private API, guarded: see docs/architecture.md, "Dagster's private API"."""
