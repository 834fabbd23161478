"""Shared helpers: build plans and account books in memory from text and rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from territorial.engine.assign import Assignment, assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.io.accounts import AccountBook, type_accounts
from territorial.io.plan_file import parse_plan
from territorial.io.tables import RawTable


def book_of(rows: list[dict[str, Any]], declared: dict[str, Any] | None = None) -> AccountBook:
    """An account book from row dicts, typed as a CSV would be (every value given as text)."""
    frame = pl.DataFrame(
        [{k: (None if v is None else str(v)) for k, v in row.items()} for row in rows],
        schema={k: pl.String for k in rows[0]},
    )
    return type_accounts(RawTable(frame, "<test>", is_csv=False), declared or {})


def run_plan(plan_text: str, rows: list[dict[str, Any]]) -> Assignment:
    plan = parse_plan(plan_text, "plan.yaml")
    book = book_of(rows, plan.fields)
    check_plan(plan, book.schema)
    workload = (
        book.frame.get_column(book.columns[plan.workload]).cast(pl.Float64).fill_null(0.0).to_numpy()
        if plan.workload
        else np.ones(len(book))
    )
    return assign(CompiledPlan(plan), book, workload, 0)


def winners(result: Assignment, layer: str = "primary") -> dict[str, str | None]:
    rows = result.rows.filter(pl.col("layer") == layer)
    return dict(
        zip(rows.get_column("account_id").to_list(), rows.get_column("territory_id").to_list(), strict=True)
    )


@pytest.fixture
def example_plan() -> str:
    return EXAMPLE_PLAN


EXAMPLE_PLAN = """\
name: FY27 North America
fields: {employees: number, annual_revenue: number, postal_code: string, strategic: boolean}
territories:
  - id: AMER
    rule: country IN ('US', 'CA')
    children:
      - id: AMER-EAST
        rule: state IN ('NY', 'NJ', 'MA', 'CT')
        reps: [rep-001]
        children:
          - id: AMER-EAST-HC
            name: East Healthcare
            rule: industry = 'Healthcare' AND employees >= 1000
            priority: 10
            reps: [rep-002, rep-003]
  - id: NAMED
    rule: strategic = TRUE OR account_id IN ('A-17', 'A-99')
    priority: 100
    reps: [rep-900]
  - id: SEC-OVERLAY
    layer: security
    rule: products LIKE '%security%'
    reps: [rep-500]
"""
