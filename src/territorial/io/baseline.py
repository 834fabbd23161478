"""Read a baseline assignment (an assignments file as `assign --out` writes it) for plan checks."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput
from territorial.io.tables import read_table

BASELINE_COLUMNS = ("account_id", "layer", "rep_id")


def read_baseline(path: str | Path) -> pl.DataFrame:
    """account_id, layer, rep_id: each account's rep in each layer. A file without `layer` is the
    primary layer; an empty rep_id is no rep. One row per account and layer."""
    raw = read_table(path, BASELINE_COLUMNS)
    header = {name.lower(): name for name in raw.frame.columns}
    missing = [name for name in ("account_id", "rep_id") if name not in header]
    if missing:
        raise BadInput.at(
            f"a baseline needs the columns account_id and rep_id (as `territorial assign --out` "
            f"writes them); missing: {', '.join(missing)}",
            raw.file,
            1 if raw.is_csv else None,
        )
    layer = pl.col(header["layer"]).cast(pl.String) if "layer" in header else pl.lit(PRIMARY)
    frame = raw.frame.select(
        pl.col(header["account_id"]).cast(pl.String).str.strip_chars().alias("account_id"),
        layer.fill_null(PRIMARY).alias("layer"),
        pl.col(header["rep_id"]).cast(pl.String).str.strip_chars().replace("", None).alias("rep_id"),
    )
    again = frame.select(~pl.struct("account_id", "layer").is_first_distinct()).to_series().arg_true()
    if again.len():
        row = int(again[0])
        account, layer_name = frame.row(row)[:2]
        raise BadInput.at(
            f"account {account} is listed twice in layer {layer_name}; a baseline has one row per "
            "account and layer",
            raw.file,
            raw.line_of(row),
            subject="account_id",
        )
    return frame
