"""The DuckDB store: schema migrations, and one module of reads and writes per table."""
