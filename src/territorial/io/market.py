"""Read a market file (`gaps --market FILE`): the potential of each ZIP or county area, covered by the
workspace or not."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.domain.fields import FieldType
from territorial.errors import BadInput
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table

AREA, POTENTIAL = "area", "potential"


def read_market(path: str | Path, kind: str) -> pl.DataFrame:
    """area, potential: one row per area, the area as a 5-digit code (a ZIP or county read as a number
    lost its leading zeros), the potential a number. `kind` (zip, county) only words the error."""
    raw = read_table(path)
    header = {name.strip().lower(): name for name in raw.frame.columns}
    missing = [c for c in (AREA, POTENTIAL) if c not in header]
    if missing:
        raise BadInput.at(
            f"a market file needs the columns {AREA} (a {kind} code) and {POTENTIAL}; missing "
            + ", ".join(missing),
            raw.file,
            1 if raw.is_csv else None,
            subject="--market",
        )
    book = type_accounts(raw, {POTENTIAL: FieldType.NUMBER}, id_column=AREA)
    frame = book.frame.rename({v: k for k, v in book.columns.items()})
    codes = (
        pl.col(AREA).cast(pl.String).str.strip_chars().str.replace(r"\.0$", "").str.slice(0, 5).str.zfill(5)
    )
    return (
        frame.select(codes.alias(AREA), pl.col(POTENTIAL).cast(pl.Float64).fill_null(0.0))
        .drop_nulls(AREA)
        .sort(AREA)
    )
