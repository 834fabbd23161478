"""Bulk assignment of an account book to a plan: winners, overlaps, ties, reps and reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from territorial.domain.assignment import Assignment
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.plan import PRIMARY
from territorial.engine.compiled import CompiledPlan
from territorial.engine.distinct import distinct_rows
from territorial.engine.membership import Membership, evaluate_membership
from territorial.engine.pins import Pin, pin_winners
from territorial.engine.pools import RepChoice, choose_reps
from territorial.engine.reasons import rep_reason, territory_reason
from territorial.engine.records import evaluation_frame


def assign(
    compiled: CompiledPlan,
    book: AccountBook,
    workload: np.ndarray,
    null_workload: int,
    layer_owners: Mapping[str, pl.Series] | None = None,
    pins: Sequence[Pin] = (),
    carried: Mapping[str, Mapping[str, float]] | None = None,
) -> Assignment:
    """Assign every account. `workload` is each account's workload (NULLs already counted as 0).
    A pool keeps an account's owner: its `owner_id`, or in a layer of `layer_owners` that layer's
    owner of each account (a series in the book's row order; engine.live gives the live reps).
    `pins` (engine.live's holds and overrides) replace the rules' territory and/or rep of an
    account and layer; a pinned rep in its territory's pool counts toward that rep's load.
    `carried` (territory_id -> rep -> workload) is what pool reps already hold from accounts
    outside `book` (engine.pools.choose_reps)."""
    plan = compiled.plan
    frame = evaluation_frame(book.frame, book.columns, book.schema, compiled.fields)
    membership = evaluate_membership(compiled, frame)
    ids = book.frame.get_column(book.columns[ACCOUNT_ID])
    owners = (
        book.frame.get_column(book.columns[OWNER_ID]).cast(pl.String) if OWNER_ID in book.columns else None
    )
    id_rank = np.empty(ids.len(), np.int64)
    id_rank[ids.arg_sort().to_numpy()] = np.arange(ids.len())  # plain binary account_id order
    cand_rows, cand_terr = membership.pairs()
    layer_of = np.array([plan.layers.index(t.layer) for t in plan.territories], np.int64)
    cand_layer = layer_of[cand_terr] if cand_terr.size else cand_terr
    parts = [
        _winners(
            compiled, index, layer, cand_rows[cand_layer == index], cand_terr[cand_layer == index], len(ids)
        )
        for index, layer in enumerate(plan.layers)
    ]
    table = pl.concat(parts, how="vertical")
    if pins:
        table = pin_winners(table, pins, ids, plan)
    else:
        unpinned = [pl.lit(None, pl.Int64).alias("_pin"), pl.lit(None, pl.String).alias("_pin_rep")]
        table = table.with_columns(unpinned)
    row = table.get_column("_row").to_numpy()
    territory = table.get_column("_t").to_numpy()
    reps = [t.reps for t in plan.territories]
    entry_owners = _owners_of_entries(plan.layers, table, row, owners, layer_owners or {})
    pinned = table.get_column("_pin_rep") if pins else None
    held = [carried.get(t.id, {}) for t in plan.territories] if carried else []
    rep_id, how = choose_reps(territory, row, id_rank, entry_owners, workload, reps, pinned, held)
    null_flag = membership.skipped_on_null[row] & (territory < 0)
    table = table.with_columns(rep_id, pl.Series("_how", how), pl.Series("_null", null_flag))
    texts, row_key = _texts(compiled, table, pins)
    order = np.lexsort((table.get_column("_layer").to_numpy(), id_rank[row]))
    rows = pl.DataFrame(
        {
            "account_id": ids.gather(row[order]),
            "layer": texts.get_column("layer").gather(row_key[order]),
            "territory_id": texts.get_column("territory_id").gather(row_key[order]),
            "territory_name": texts.get_column("territory_name").gather(row_key[order]),
            "rep_id": table.get_column("rep_id").gather(order),
            "overlaps": texts.get_column("overlaps").gather(row_key[order]),
            "tie": table.get_column("tie").gather(order),
            "reason": texts.get_column("reason").gather(row_key[order]),
            "workload": workload[row[order]],
        }
    )
    primary = table.filter(pl.col("_layer") == plan.layers.index(PRIMARY))
    return Assignment(
        rows=rows,
        territories=_territory_summary(compiled, table, workload[row], membership),
        accounts=len(ids),
        unassigned=int((primary.get_column("_t") < 0).sum()),
        ties=int(table.get_column("tie").sum()),
        skipped_on_null=int(membership.skipped_on_null.sum()),
        null_workload=null_workload,
        reason_index=row_key[order],
        reason_texts=texts.get_column("reason"),
    )


def _owners_of_entries(
    layers: list[str],
    table: pl.DataFrame,
    row: np.ndarray,
    owners: pl.Series | None,
    layer_owners: Mapping[str, pl.Series],
) -> pl.Series | None:
    """Each entry's owner: its layer's owner when `layer_owners` has the layer, else the account's."""
    if owners is None and not layer_owners:
        return None
    base = (
        owners.gather(row) if owners is not None else pl.repeat(None, row.size, dtype=pl.String, eager=True)
    )
    layer = table.get_column("_layer").to_numpy()
    for name, series in layer_owners.items():
        if name in layers:
            mask = pl.Series(layer == layers.index(name))
            base = series.cast(pl.String).gather(row).zip_with(mask, base)
    return base


def _winners(
    compiled: CompiledPlan, layer_index: int, layer: str, cand_rows: np.ndarray, cand_terr: np.ndarray, n: int
) -> pl.DataFrame:
    """One row per account with a candidate in this layer (every account in primary): the winner,
    the tie flag, and the other candidates as a key of territory indexes in resolution order."""
    order = np.lexsort((compiled.rank[cand_terr], cand_rows))
    rows_sorted, terr_sorted = cand_rows[order], cand_terr[order]
    first = np.r_[True, rows_sorted[1:] != rows_sorted[:-1]] if rows_sorted.size else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, rows_sorted.size])
    win_rows, winner = rows_sorted[starts], terr_sorted[starts]
    runner_up = np.where(counts > 1, terr_sorted[np.minimum(starts + 1, max(rows_sorted.size - 1, 0))], -1)
    prio, depth = compiled.priorities, compiled.depths
    safe_runner = np.maximum(runner_up, 0)
    tie = (runner_up >= 0) & (prio[winner] == prio[safe_runner]) & (depth[winner] == depth[safe_runner])
    others = pl.DataFrame({"_row": rows_sorted[~first], "t": terr_sorted[~first]})
    overlap_keys = others.group_by("_row", maintain_order=True).agg(
        pl.col("t").cast(pl.String).str.join(",").alias("_others")
    )
    table = pl.DataFrame({"_row": win_rows, "_t": winner, "tie": tie}).join(
        overlap_keys, on="_row", how="left"
    )
    if layer == PRIMARY:
        missing = np.setdiff1d(np.arange(n), win_rows, assume_unique=True)
        unassigned = pl.DataFrame(
            {
                "_row": missing,
                "_t": np.full(missing.size, -1, np.int64),
                "tie": np.zeros(missing.size, bool),
                "_others": pl.repeat(None, missing.size, dtype=pl.String, eager=True),
            }
        )
        table = pl.concat([table, unassigned])
    return table.with_columns(pl.lit(layer_index, pl.Int64).alias("_layer"))


def _texts(
    compiled: CompiledPlan, table: pl.DataFrame, pins: Sequence[Pin]
) -> tuple[pl.DataFrame, np.ndarray]:
    """Territory names, overlaps and reasons, written once per distinct situation rather than per
    row, with each row's situation index."""
    keys, row_key = distinct_rows(table, list(SITUATION))
    return situation_texts(compiled, keys, pins), row_key


# What an entry's texts depend on: its layer's index, winning territory's index (-1: none), the other
# candidates' indexes in resolution order ("3,7"; null: none), whether a rule was UNKNOWN for an
# account in no territory, how its rep was chosen (RepChoice), the rep, and the pin (holds, overrides).
SITUATION = ("_layer", "_t", "_others", "_null", "_how", "rep_id", "_pin")


def situation_texts(compiled: CompiledPlan, keys: pl.DataFrame, pins: Sequence[Pin] = ()) -> pl.DataFrame:
    """Layer, territory id and name, overlaps and reason of each distinct situation (SITUATION's
    columns): every engine writes its reasons here, once per situation, and joins them back."""
    plan = compiled.plan
    layers, ids, names, overlaps, reasons = [], [], [], [], []
    for layer_index, t, others_key, null, how, rep, pin in keys.select(SITUATION).iter_rows():
        layer = plan.layers[layer_index]
        others = [int(x) for x in others_key.split(",")] if others_key else []
        pool = plan.territories[t].reps if t >= 0 else ()
        layers.append(layer)
        ids.append(plan.territories[t].id if t >= 0 else None)
        names.append(plan.territories[t].name if t >= 0 else None)
        overlaps.append(";".join(plan.territories[o].id for o in others))
        # A hold or an override says in its own words why the row is where it is.
        reason = territory_reason(compiled, layer, t, others, bool(null)) if pin is None else pins[pin].reason
        rep_text = rep_reason(RepChoice(how), rep, pool)
        reasons.append(f"{reason} {rep_text}".strip())
    return pl.DataFrame(
        {
            "layer": layers,
            "territory_id": ids,
            "territory_name": names,
            "overlaps": overlaps,
            "reason": reasons,
        },
        schema=dict.fromkeys(["layer", "territory_id", "territory_name", "overlaps", "reason"], pl.String),
    )


def _territory_summary(
    compiled: CompiledPlan, table: pl.DataFrame, workload: np.ndarray, membership: Membership
) -> pl.DataFrame:
    won = (
        table.with_columns(pl.Series("workload", workload))
        .filter(pl.col("_t") >= 0)
        .group_by("_t")
        .agg(
            pl.len().alias("accounts"),
            pl.col("workload").sum().alias("workload"),
            pl.col("_others").is_not_null().sum().alias("overlapping"),
            pl.col("tie").sum().alias("ties"),
        )
    )
    plan = compiled.plan
    base = pl.DataFrame(
        {
            "_t": np.arange(len(plan.territories), dtype=np.int64),
            "layer": [t.layer for t in plan.territories],
            "territory_id": [t.id for t in plan.territories],
            "territory_name": [t.name for t in plan.territories],
            "reps": [";".join(t.reps) for t in plan.territories],
            "members": membership.members,
            "null_skipped": membership.unknown,
        }
    )
    summary = base.join(won, on="_t", how="left").with_columns(
        pl.col("accounts").fill_null(0).cast(pl.Int64),
        pl.col("workload").fill_null(0.0),
        pl.col("overlapping").fill_null(0).cast(pl.Int64),
        pl.col("ties").fill_null(0).cast(pl.Int64),
    )
    return summary.with_columns(((pl.col("reps") == "") & (pl.col("accounts") > 0)).alias("vacant")).drop(
        "_t"
    )
