"""`territory_for` (one account, plain Python) gives the same answers as the bulk polars engine."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from territorial.engine import membership
from territorial.engine.assign import assign
from territorial.engine.compiled import CompiledPlan
from territorial.engine.single import TerritoryFinder
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.accounts import type_accounts
from territorial.io.plan_file import parse_plan
from territorial.io.tables import RawTable


@pytest.mark.parametrize("deduplicate_from", [0, 10**9], ids=["distinct-values", "row-by-row"])
@pytest.mark.parametrize(("territories", "seed"), [(40, 3), (400, 11)])
def test_single_account_answers_equal_bulk_rows(
    territories: int, seed: int, deduplicate_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both bulk strategies (rules on distinct field values, or on every row) must agree.
    monkeypatch.setattr(membership, "DEDUPLICATE_FROM_ROWS", deduplicate_from)
    plan = parse_plan(generate_plan(territories, seed))
    accounts = generate_accounts(1500, seed)
    book = type_accounts(RawTable(accounts, "<generated>", is_csv=False), plan.fields)
    compiled = CompiledPlan(plan)
    bulk = assign(compiled, book, np.ones(len(book)), 0).rows
    finder = TerritoryFinder(compiled)
    expected = {
        (r["account_id"], r["layer"]): (r["territory_id"], r["overlaps"], r["tie"], r["rep_id"])
        for r in bulk.iter_rows(named=True)
    }
    seen = 0
    for account in accounts.to_dicts():
        for layer, answer in finder.territory_for(account).items():
            key = (account["account_id"], layer)
            if answer.territory_id is None and layer != "primary":
                assert key not in expected
                continue
            territory, overlaps, tie, rep = expected[key]
            assert answer.territory_id == territory
            assert ";".join(answer.overlaps) == overlaps
            assert answer.tie == tie
            assert rep is None or rep in answer.candidate_reps
            if len(answer.candidate_reps) == 1:
                assert rep == answer.candidate_reps[0]
            seen += 1
    assert seen == bulk.height
    assert bulk.filter(pl.col("overlaps") != "").height > 0  # the data exercises resolution
