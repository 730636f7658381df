"""Keeping the data current without Dagster: when the sensors run what (scheduling.py), and
run outcomes pushed to Pushover (notify.py)."""
