"""Assignment back ends for data where it lives: Parquet in, Parquet out (local, duckdb)."""
