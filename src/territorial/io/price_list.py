"""Read a price list (`--price-list products.csv`): each product's list price, the size of a deal
whose amount the CRM does not record."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.domain.fields import FieldType
from territorial.errors import BadInput
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table

PRODUCT = "product"
LIST_PRICE = "list_price"
# How price lists name the price, the preferred spelling first (Maven's products.csv: sales_price).
PRICE_COLUMNS = (LIST_PRICE, "sales_price", "price", "unit_price")


def read_price_list(path: str | Path) -> pl.DataFrame:
    """product, list_price: one row per product (the product column must be unique), sorted."""
    raw = read_table(path)
    header = {name.strip().lower(): name for name in raw.frame.columns}
    price = next((c for c in PRICE_COLUMNS if c in header), None)
    if price is None:
        raise BadInput.at(
            f"a price list needs a column named {' or '.join(PRICE_COLUMNS)} beside {PRODUCT}",
            raw.file,
            1 if raw.is_csv else None,
            subject="--price-list",
        )
    book = type_accounts(raw, {price: FieldType.NUMBER}, id_column=PRODUCT)
    frame = book.frame.rename({v: k for k, v in book.columns.items()})
    return (
        frame.select(pl.col(PRODUCT), pl.col(price).cast(pl.Float64).alias(LIST_PRICE))
        .drop_nulls(PRODUCT)
        .sort(PRODUCT)
    )
