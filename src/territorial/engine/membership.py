"""Bulk membership: which accounts are members and candidates of which territories.

Children are evaluated only on their parent's members, all siblings in one polars call, so
the work follows the tree rather than accounts × territories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.engine.compiled import CompiledPlan
from territorial.engine.distinct import distinct_rows
from territorial.engine.records import ROW


@dataclass
class Membership:
    """Candidate pairs (account row, territory index), and NULL accounting per territory."""

    candidate_rows: list[np.ndarray]
    candidate_territories: list[np.ndarray]
    members: np.ndarray  # accounts per territory
    unknown: np.ndarray  # accounts that reached a territory but whose rule was UNKNOWN
    skipped_on_null: np.ndarray  # per account: some rule was UNKNOWN for it

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.candidate_rows:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(self.candidate_rows), np.concatenate(self.candidate_territories)


def evaluate_membership(compiled: CompiledPlan, frame: pl.DataFrame) -> Membership:
    n_territories = len(compiled.plan.territories)
    result = Membership(
        candidate_rows=[],
        candidate_territories=[],
        members=np.zeros(n_territories, np.int64),
        unknown=np.zeros(n_territories, np.int64),
        skipped_on_null=np.zeros(frame.height, bool),
    )
    _visit(compiled, compiled.roots, frame, result)
    return result


# Below this many rows, evaluating rules directly is cheaper than finding distinct values first.
DEDUPLICATE_FROM_ROWS = 20_000


def _visit(compiled: CompiledPlan, siblings: list[int], frame: pl.DataFrame, out: Membership) -> np.ndarray:
    """Evaluate sibling territories on `frame`; return which of its rows are members of any of them."""
    rows = frame.get_column(ROW).to_numpy()
    exprs = [(i, compiled.polars_rule(i)) for i in siblings]
    ruled = [(i, e) for i, e in exprs if e is not None]
    results = None
    row_key: np.ndarray | None = None
    if ruled and frame.height:
        fields = sorted(frozenset().union(*(compiled.rule_fields[i] for i, _e in ruled)))
        distinct = _distinct_values(frame, fields) if frame.height >= DEDUPLICATE_FROM_ROWS else None
        if distinct is not None:
            keys, row_key = distinct
            results = keys.select([e.alias(str(i)) for i, e in ruled])
        else:
            results = frame.select([e.alias(str(i)) for i, e in ruled])
    any_member = np.zeros(frame.height, bool)
    members, unknowns = _as_arrays(results)
    for i, _expr in exprs:
        if str(i) in members:
            member, unknown = members[str(i)], unknowns.get(str(i))
            if row_key is not None:
                member = member[row_key]
                unknown = unknown[row_key] if unknown is not None else None
            if unknown is not None:
                out.unknown[i] = int(unknown.sum())
                out.skipped_on_null[rows[unknown]] = True
        elif compiled.territory(i).rule is None:
            member = np.ones(frame.height, bool)
        else:
            member = np.zeros(frame.height, bool)
        count = int(member.sum())
        out.members[i] = count
        if count == 0:
            continue
        any_member |= member
        member_rows = rows[member]
        children = compiled.children[i]
        if children:
            # Carry down only the columns the subtree still reads: filtering is cheaper.
            below = frozenset().union(*(compiled.subtree_fields[c] for c in children))
            sub = frame.select([ROW, *sorted(below)]).filter(pl.Series(member))
            in_child = _visit(compiled, children, sub, out)
            member_rows = member_rows[~in_child]
        if member_rows.size:
            out.candidate_rows.append(member_rows)
            out.candidate_territories.append(np.full(member_rows.size, i, np.int64))
    return any_member


# The most booleans converted to numpy at once: 64 MB, however many rows and rules.
CONVERTED_AT_ONCE = 1 << 26


def _as_arrays(results: pl.DataFrame | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each rule's result column as booleans (UNKNOWN as FALSE), and where it was UNKNOWN for the
    columns with any: converted many columns at a time, as one polars call per column cost seconds
    on the few rows an import re-evaluates against thousands of territories."""
    members: dict[str, np.ndarray] = {}
    unknowns: dict[str, np.ndarray] = {}
    if results is None:
        return members, unknowns
    step = max(1, CONVERTED_AT_ONCE // max(results.height, 1))
    nulls = dict(zip(results.columns, results.null_count().row(0), strict=True))
    for start in range(0, results.width, step):
        names = results.columns[start : start + step]
        true = results.select(pl.col(names).fill_null(False)).to_numpy().astype(bool, copy=False)
        members.update({name: true[:, k] for k, name in enumerate(names)})
        if with_nulls := [name for name in names if nulls[name]]:
            unknown = results.select(pl.col(with_nulls).is_null()).to_numpy().astype(bool, copy=False)
            unknowns.update({name: unknown[:, k] for k, name in enumerate(with_nulls)})
    return members, unknowns


def _distinct_values(frame: pl.DataFrame, fields: list[str]) -> tuple[pl.DataFrame, np.ndarray] | None:
    """The distinct combinations of `fields` and each row's combination, when there are few.

    A rule's result depends only on the fields it reads, so sibling rules are evaluated once per
    distinct combination (a few thousand ZIP and state pairs) rather than once per account.
    """
    if not fields:
        return None
    keys, row_key = distinct_rows(frame, fields)
    return None if keys.height * 4 > frame.height else (keys, row_key)
