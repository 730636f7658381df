"""Everything Dagster sees: assets, checks, sensors, resources and the partitions.

Nothing outside this folder (and `definitions.py`, `instance_storage.py`) imports Dagster: the
libraries beside it do the work and are tested on their own (an import contract in
`make lint` keeps it so).
"""
