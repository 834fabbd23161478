"""Why an import moved an account, in plain words: the fields its rules read that changed (old →
new, and the territory it now matches), `new account`, or an owner changed in the CRM."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

# The history's marks for a record an import created, and for its `active` flag.
CREATED_FIELD = "(created)"
ACTIVE_FIELD = "active"
NEW_ACCOUNT = "new account"
REACTIVATED = "account reactivated"
# A row that changed though none of the fields its rules read did (a pool placing it, a
# live row that had fallen behind the accounts).
REEVALUATED = "re-evaluated after an import"


def owner_moved(rep_id: str) -> str:
    return f"owner changed in CRM to {rep_id}"


def account_causes(
    changes: pl.DataFrame, rule_fields: Collection[str], owner_moves: Mapping[str, str]
) -> pl.DataFrame:
    """One cause per account an import changed, from its history rows (record_id, field, old_value,
    new_value): account_id, `what` and `matches` (True: the row's cause goes on with `; now matches
    T`, the territory the row now has). An owner moved in the CRM (`owner_moves`, account -> rep)
    comes first, then a new or reactivated account, then the rule fields that changed."""
    causes: dict[str, tuple[str, bool]] = {}
    fields: dict[str, list[str]] = {}
    for account, field, old, new in (
        changes.select("record_id", "field", "old_value", "new_value").sort("record_id", "field").iter_rows()
    ):
        if field == CREATED_FIELD:
            causes[account] = (NEW_ACCOUNT, False)
        elif field == ACTIVE_FIELD and new == "true":
            causes.setdefault(account, (REACTIVATED, False))
        elif field in rule_fields:
            fields.setdefault(account, []).append(f"{field} changed {_shown(old)} → {_shown(new)}")
    for account, changed in fields.items():
        causes.setdefault(account, ("; ".join(changed), True))
    for account, rep_id in owner_moves.items():
        causes[account] = (owner_moved(rep_id), False)
    every = sorted(set(changes.get_column("record_id").to_list()))
    return pl.DataFrame(
        [(a, *causes.get(a, (REEVALUATED, False))) for a in every],
        schema={"account_id": pl.String, "what": pl.String, "matches": pl.Boolean},
        orient="row",
    )


def _shown(value: str | None) -> str:
    return "empty" if value is None or value == "" else value


def cause_of_row() -> pl.Expr:
    """A row's cause from its account's `what` and `matches` (see account_causes)."""
    territory = pl.col("territory_id").fill_null("no territory")
    return (
        pl.when(pl.col("matches"))
        .then(pl.format("{}; now matches {}", pl.col("what"), territory))
        .otherwise(pl.col("what"))
    )
