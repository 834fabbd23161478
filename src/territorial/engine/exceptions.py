"""The exception lists an analyst works through after an assignment: accounts with no territory,
accounts in vacant territories, accounts a rule missed only because a field was empty, and ties."""

from __future__ import annotations

import polars as pl

from territorial.domain.assignment import Assignment
from territorial.domain.plan import PRIMARY

# File name (without suffix) -> what it lists; the order files are reported in.
EXCEPTION_LISTS = {
    "unassigned": "accounts that match no primary territory, with the reason",
    "vacant": "accounts in a territory with no active rep",
    "empty_fields": "accounts some rule could not judge because a field it reads is empty",
    "ties": "accounts whose territory was decided by plan order between equal candidates",
}


def exception_lists(result: Assignment, empty_fields: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each list of EXCEPTION_LISTS, sorted by account_id then layer. `empty_fields` gives, for each
    account some rule was UNKNOWN for, the rule fields that are empty (account_id, empty_fields)."""
    rows = result.rows
    primary = rows.filter(pl.col("layer") == PRIMARY).select("account_id", "territory_id")
    return {
        "unassigned": rows.filter((pl.col("layer") == PRIMARY) & pl.col("territory_id").is_null()).select(
            "account_id", "reason"
        ),
        "vacant": rows.filter(pl.col("territory_id").is_not_null() & pl.col("rep_id").is_null()).select(
            "account_id", "layer", "territory_id", "territory_name"
        ),
        "empty_fields": empty_fields.join(primary, on="account_id", how="left")
        .select("account_id", "empty_fields", pl.col("territory_id").alias("primary_territory_id"))
        .sort("account_id"),
        "ties": rows.filter(pl.col("tie")).select(
            "account_id", "layer", "territory_id", "overlaps", "reason"
        ),
    }
