"""Bulk assignment of an account book to a plan: winners, overlaps, ties, reps and reasons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.plan import PRIMARY
from territorial.engine.compiled import CompiledPlan
from territorial.engine.membership import Membership, evaluate_membership
from territorial.engine.pools import RepChoice, choose_reps
from territorial.engine.reasons import rep_reason, territory_reason
from territorial.engine.records import evaluation_frame
from territorial.io.accounts import AccountBook

RESULT_COLUMNS = [
    "account_id",
    "layer",
    "territory_id",
    "territory_name",
    "rep_id",
    "overlaps",
    "tie",
    "reason",
]


@dataclass
class Assignment:
    rows: pl.DataFrame  # RESULT_COLUMNS plus workload, sorted by account_id then layer
    territories: pl.DataFrame  # per-territory summary, in plan order
    accounts: int
    unassigned: int
    ties: int
    skipped_on_null: int  # accounts for which some rule was UNKNOWN because a field was empty
    null_workload: int

    @property
    def vacant(self) -> list[str]:
        return self.territories.filter(pl.col("vacant")).get_column("territory_id").to_list()


def assign(compiled: CompiledPlan, book: AccountBook, workload: np.ndarray, null_workload: int) -> Assignment:
    """Assign every account. `workload` is each account's workload (NULLs already counted as 0)."""
    plan = compiled.plan
    frame = evaluation_frame(book.frame, book.columns, book.schema, compiled.fields)
    membership = evaluate_membership(compiled, frame)
    ids = book.frame.get_column(book.columns[ACCOUNT_ID])
    owners = (
        book.frame.get_column(book.columns[OWNER_ID]).cast(pl.String) if OWNER_ID in book.columns else None
    )
    cand_rows, cand_terr = membership.pairs()
    layer_of = np.array([plan.layers.index(t.layer) for t in plan.territories] + [0], np.int64)
    parts = []
    for layer_index, layer in enumerate(plan.layers):
        keep = layer_of[cand_terr] == layer_index
        part = _resolve_layer(
            compiled,
            layer,
            cand_rows[keep],
            cand_terr[keep],
            book.frame.height,
            membership,
            ids,
            owners,
            workload,
        )
        parts.append(part.with_columns(pl.lit(layer_index, pl.Int32).alias("_layer_rank")))
    rows = pl.concat(parts, how="vertical")
    row_index = rows.get_column("_row").to_numpy()
    id_rank = np.empty(ids.len(), np.int64)
    id_rank[ids.arg_sort().to_numpy()] = np.arange(ids.len())  # plain binary account_id order
    rows = rows.with_columns(
        pl.Series("_id_rank", id_rank[row_index]), ids.gather(row_index).alias("account_id")
    ).sort(["_id_rank", "_layer_rank"])
    territories = _territory_summary(compiled, rows, membership)
    result_rows = rows.select([*RESULT_COLUMNS, "workload"])
    primary = rows.filter(pl.col("_layer_rank") == 0) if PRIMARY in plan.layers else rows.clear()
    return Assignment(
        rows=result_rows,
        territories=territories,
        accounts=book.frame.height,
        unassigned=int(primary.get_column("territory_id").is_null().sum())
        if PRIMARY in plan.layers
        else book.frame.height,
        ties=int(rows.get_column("tie").sum()),
        skipped_on_null=int(membership.skipped_on_null.sum()),
        null_workload=null_workload,
    )


def _resolve_layer(
    compiled: CompiledPlan,
    layer: str,
    cand_rows: np.ndarray,
    cand_terr: np.ndarray,
    n_accounts: int,
    membership: Membership,
    ids: pl.Series,
    owners: pl.Series | None,
    workload: np.ndarray,
) -> pl.DataFrame:
    order = np.lexsort((compiled.rank[cand_terr], cand_rows))
    rows_sorted, terr_sorted = cand_rows[order], cand_terr[order]
    first = np.r_[True, rows_sorted[1:] != rows_sorted[:-1]] if rows_sorted.size else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, rows_sorted.size])
    win_rows, winner = rows_sorted[starts], terr_sorted[starts]
    runner_up = np.where(counts > 1, terr_sorted[np.minimum(starts + 1, max(rows_sorted.size - 1, 0))], -1)
    prio = np.array([t.priority for t in compiled.plan.territories], np.int64)
    depth = np.array([t.depth for t in compiled.plan.territories], np.int64)
    tie = (
        (runner_up >= 0)
        & (prio[winner] == prio[np.maximum(runner_up, 0)])
        & (depth[winner] == depth[np.maximum(runner_up, 0)])
    )
    # Each row's overlap set as a key: the other candidates' indices in resolution order.
    others = pl.DataFrame({"_row": rows_sorted[~first], "t": terr_sorted[~first]})
    overlap_keys = others.group_by("_row", maintain_order=True).agg(pl.col("t").cast(pl.String).str.join(","))
    table = pl.DataFrame({"_row": win_rows, "_t": winner, "tie": tie}).join(
        overlap_keys.rename({"t": "_others"}), on="_row", how="left"
    )
    if layer == PRIMARY:
        missing = np.setdiff1d(np.arange(n_accounts), win_rows, assume_unique=True)
        table = pl.concat(
            [
                table,
                pl.DataFrame(
                    {
                        "_row": missing,
                        "_t": np.full(missing.size, -1, np.int64),
                        "tie": np.zeros(missing.size, bool),
                    }
                ).with_columns(pl.lit(None, pl.String).alias("_others")),
            ]
        )
    row_arr = table.get_column("_row").to_numpy()
    # Only unassigned rows mention NULLs in their reason: that is where a NULL changed the outcome.
    null_flag = membership.skipped_on_null[row_arr] & (table.get_column("_t").to_numpy() < 0)
    table = table.with_columns(pl.Series("_null", null_flag))
    combos = table.select(["_t", "_others", "_null"]).unique(maintain_order=True)
    combos = combos.with_columns(
        pl.Series(
            "_territory_reason",
            [
                territory_reason(compiled, layer, t, _parse_others(o), bool(null))
                for t, o, null in combos.iter_rows()
            ],
            dtype=pl.String,
        ),
        pl.Series(
            "overlaps",
            [
                ";".join(compiled.territory(x).id for x in _parse_others(o))
                for o in combos.get_column("_others")
            ],
            dtype=pl.String,
        ),
    )
    table = table.join(combos, on=["_t", "_others", "_null"], how="left", nulls_equal=True)
    t_arr = table.get_column("_t").to_numpy()
    row_arr = table.get_column("_row").to_numpy()
    reps = [t.reps for t in compiled.plan.territories]
    chosen, how = choose_reps(t_arr, row_arr, ids, owners, workload, reps)
    table = table.with_columns(chosen, pl.Series("_how", how), pl.Series("workload", workload[row_arr]))
    rep_reasons = table.select(["_t", "_how", "rep_id"]).unique()
    rep_reasons = rep_reasons.with_columns(
        pl.Series(
            "_rep_reason",
            [
                rep_reason(RepChoice(h), rep, reps[t] if t >= 0 else ())
                for t, h, rep in rep_reasons.iter_rows()
            ],
            dtype=pl.String,
        )
    )
    names = pl.DataFrame(
        {
            "_t": np.arange(-1, len(reps), dtype=np.int64),
            "territory_id": [None] + [t.id for t in compiled.plan.territories],
            "territory_name": [None] + [t.name for t in compiled.plan.territories],
        },
        schema_overrides={"territory_id": pl.String, "territory_name": pl.String},
    )
    return (
        table.join(rep_reasons, on=["_t", "_how", "rep_id"], how="left", nulls_equal=True)
        .join(names, on="_t", how="left")
        .with_columns(
            pl.lit(layer).alias("layer"),
            pl.concat_str([pl.col("_territory_reason"), pl.col("_rep_reason")], separator=" ")
            .str.strip_chars()
            .alias("reason"),
        )
    )


def _parse_others(key: str | None) -> list[int]:
    return [int(x) for x in key.split(",")] if key else []


def _territory_summary(compiled: CompiledPlan, rows: pl.DataFrame, membership: Membership) -> pl.DataFrame:
    won = (
        rows.filter(pl.col("_t") >= 0)
        .group_by("_t")
        .agg(
            pl.len().alias("accounts"),
            pl.col("workload").sum().alias("workload"),
            (pl.col("overlaps") != "").sum().alias("overlapping"),
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
