"""What the engines that run a plan as tables (duckdb, spark) take from the plan and the accounts
alike: rules grouped by the fields they read, each distinct combination of those fields typed as
the local engine types it, the territory tree as a table, and the texts of each situation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import polars as pl

from territorial.backends.accounts_in import keys_as_raw, plan_warnings, typed_book
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.normalize import COUNTRY, is_postal_code
from territorial.domain.plan import Plan
from territorial.engine.assign import SITUATION, situation_texts
from territorial.engine.compiled import CompiledPlan
from territorial.engine.pools import choose_reps
from territorial.errors import BadInput, Problem

# The texts written once per situation, looked up by each row.
TEXT_COLUMNS = ("layer", "territory_id", "territory_name", "overlaps", "reason")


def rule_groups(plan: Plan, compiled: CompiledPlan) -> dict[tuple[str, ...], list[int]]:
    """Territories with a rule, by the fields their own rule reads."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, t in enumerate(plan.territories):
        if t.rule is not None:
            groups.setdefault(tuple(sorted(compiled.rule_fields[i])), []).append(i)
    return groups


def key_columns(fields: Sequence[str], columns: Mapping[str, str]) -> list[str]:
    """The file's columns (by canonical name in `columns`) that a group of rules reads."""
    wanted = set(fields)
    if any(is_postal_code(f) for f in fields) and COUNTRY in columns:
        wanted.add(COUNTRY)  # a postal code is read by its country's rules
    return [columns[f] for f in sorted(wanted) if f in columns]


def typed_keys(raw: pl.DataFrame, plan: Plan, shown_as: str, header: list[str]) -> AccountBook:
    """Distinct combinations of raw values typed as the local engine types a file (null words,
    blanks, postal codes, declared types); a bad value is named without a line."""
    try:
        return typed_book(keys_as_raw(raw, shown_as, header), plan)
    except BadInput as err:
        # The reader numbered the rows of the distinct values, not of the file: name the value.
        unplaced = [Problem(replace(p.location, line=None), p.message) for p in err.problems]
        raise BadInput(unplaced, err.total) from None


def warnings_on_keys(
    plan: Plan, books: Sequence[AccountBook], has_ids: bool, shown_as: str, header: list[str]
) -> list[Problem]:
    """The plan checked against the fields' types as the typed combinations give them, as the
    local engine checks it against the whole book."""
    schema: dict[str, object] = {}
    notes: list[Problem] = []
    read_as_text: dict[str, str] = {}
    for book in books:
        schema.update(book.schema)
        read_as_text.update(book.read_as_text)
        notes += [n for n in book.notes if n not in notes]
    combined = AccountBook(
        pl.DataFrame(),
        {k: v for k, v in schema.items() if k != ACCOUNT_ID or has_ids},  # type: ignore[misc]
        {},
        shown_as,
        header=header,
        notes=notes,
        read_as_text=read_as_text,
    )
    return plan_warnings(plan, combined)


def tree_table(plan: Plan, compiled: CompiledPlan) -> pl.DataFrame:
    """One row per territory (t, its index): parent, depth, layer index, resolution rank,
    priority, and its pool's size and only rep."""
    index = compiled.index
    return pl.DataFrame(
        {
            "t": np.arange(len(plan.territories), dtype=np.int32),
            "parent": [index[t.parent] if t.parent is not None else None for t in plan.territories],
            "depth": [t.depth for t in plan.territories],
            "has_rule": [t.rule is not None for t in plan.territories],
            "layer": [plan.layers.index(t.layer) for t in plan.territories],
            "rank": compiled.rank,
            "priority": compiled.priorities,
            "reps": [len(t.reps) for t in plan.territories],
            "only_rep": [t.reps[0] if len(t.reps) == 1 else None for t in plan.territories],
        },
        schema_overrides={"parent": pl.Int32, "depth": pl.Int32, "layer": pl.Int32, "reps": pl.Int32},
    )


def texts_of_situations(compiled: CompiledPlan, keys: pl.DataFrame) -> pl.DataFrame:
    """TEXT_COLUMNS for each distinct situation, in the order of `keys` (layer, t, others as
    comma-separated territory indexes or '', null_flag, how, rep_key with '' for none)."""
    situations = keys.select(
        pl.col("layer").cast(pl.Int64).alias("_layer"),
        pl.col("t").cast(pl.Int64).alias("_t"),
        pl.col("others").alias("_others"),
        pl.col("null_flag").alias("_null"),
        pl.col("how").cast(pl.Int64).alias("_how"),
        pl.when(pl.col("rep_key") != "").then(pl.col("rep_key")).alias("rep_id"),
        pl.lit(None, pl.Int64).alias("_pin"),
    ).select(SITUATION)
    return situation_texts(compiled, situations)


def share_pools(pool: pl.DataFrame, reps: Sequence[tuple[str, ...]], keep: Sequence[str]) -> pl.DataFrame:
    """Pool entries (t, owner_id, workload) of whole territories, in territory and account_id
    order, shared out by the local engine's choose_reps: the `keep` columns, how and rep_id."""
    territory = pool.get_column("t").to_numpy().astype(np.int64)
    position = np.arange(pool.height, dtype=np.int64)
    rep_id, how = choose_reps(
        territory,
        position,
        position,  # already in account_id order
        pool.get_column("owner_id"),
        pool.get_column("workload").to_numpy(),
        reps,
    )
    return pool.select(keep).with_columns(pl.Series("how", how, dtype=pl.Int8), rep_id)
