"""Data quality: the logic of the asset checks, a module per table they judge."""
