"""What each asset does, Dagster-free: fetch from Vision with vision/, write with store/.

One entry point per asset, called by its thin wrapper in defs/assets/ with an open database
connection and an HTTP client, and returning what the run did for the metadata.
"""
