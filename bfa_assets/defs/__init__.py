"""Everything Dagster sees: assets, checks, sensors, resources and the partitions.

Nothing outside this folder (and `definitions.py`, and `instance/`, the embedded instance's
storage) imports Dagster: the libraries beside it do the work and are tested on their own (an
import contract in `make lint` keeps it so).
"""
