"""Each account's potential as the plan's `potential:` key defines it: a number field or a model's output."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import canonical
from territorial.domain.plan import Plan, Potential
from territorial.errors import BadInput, Location, Problem
from territorial.services.scoring import load_potential_model

if TYPE_CHECKING:  # scikit-learn loads only when the plan uses a potential model
    from territorial.scoring.potential import PotentialModel

POTENTIAL = "potential"


def field_potential(plan: Plan, book: AccountBook, field: str) -> pl.Series:
    """Each account's potential read from the account number field `field` (`--potential FIELD`)
    instead of the plan's, in the book's row order."""
    if field not in book.columns:
        known = ", ".join(sorted(book.columns))
        raise BadInput.at(f"the accounts have no field '{field}'; they have {known}", "--potential")
    try:
        return account_potential(replace(plan, potential=Potential(field, None, 0)), book)
    except BadInput as problem:
        raise BadInput.at(problem.problems[0].message, "--potential") from None


def potential_fields(plan: Plan, base_dir: str | Path | None = None) -> set[str]:
    """The account fields (canonical names) that the plan's potential reads: its field, or the
    fields its model was trained on."""
    if plan.potential is None:
        return set()
    if plan.potential.field is not None:
        return {plan.potential.field}
    return {canonical(f.source) for f in potential_model(plan, base_dir).features_}


def potential_model(plan: Plan, base_dir: str | Path | None = None) -> PotentialModel:
    """The plan's potential model. Its path is relative to `base_dir`: the plan file's folder, or
    the working directory (None) for a stored plan. A missing or broken file is bad input that
    names the plan's line and the model file."""
    assert plan.potential is not None and plan.potential.model is not None
    path = Path(plan.potential.model)
    if not path.is_absolute():
        path = Path(base_dir or ".") / path
    try:
        return load_potential_model(path)
    except BadInput as err:
        why = "; ".join(p.message for p in err.problems)
        raise _at_plan(plan, f"the potential model {path}: {why}") from None


def account_potential(
    plan: Plan,
    accounts: AccountBook | pl.DataFrame,
    base_dir: str | Path | None = None,
    warnings: list[Problem] | None = None,
) -> pl.Series:
    """Each account's potential, in the accounts' row order, as a Float64 series named "potential".

    With a field, empty values count as 0 and `warnings` (when given) hears how many there were;
    with a model, its predictions, never below 0. A plan without `potential:` gives all zeros."""
    height = accounts.height if isinstance(accounts, pl.DataFrame) else len(accounts)
    if plan.potential is None:
        return pl.Series(POTENTIAL, np.zeros(height), pl.Float64)
    columns = _columns_by_field(accounts)
    frame = accounts if isinstance(accounts, pl.DataFrame) else accounts.frame
    if plan.potential.field is not None:
        field = plan.potential.field
        if field not in columns:
            raise _at_plan(plan, f"the accounts have no field '{field}' for potential")
        values = frame.get_column(columns[field])
        if not values.dtype.is_numeric():
            raise _at_plan(plan, f"potential must name a number field; {field} holds {values.dtype}")
        values = values.cast(pl.Float64)
        if (values < 0).any():
            negative = int((values < 0).sum())
            raise _at_plan(plan, f"potential must not be negative; {field} has {negative} negative values")
        empty = values.null_count()
        if empty and warnings is not None:
            warnings.append(
                Problem(
                    Location(plan.file, plan.potential.line, None, POTENTIAL),
                    f"{empty:,} accounts have no {field}; their potential counts as 0",
                )
            )
        return values.fill_null(0.0).fill_nan(0.0).alias(POTENTIAL)
    model = potential_model(plan, base_dir)
    needed = list(dict.fromkeys(f.source for f in model.features_))  # a date column feeds two features
    missing = [name for name in needed if canonical(name) not in columns]
    if missing:
        raise _at_plan(
            plan,
            f"the potential model {plan.potential.model} needs account fields the accounts do not have: "
            + ", ".join(missing),
        )
    inputs = frame.select(pl.col(columns[canonical(name)]).alias(name) for name in needed)
    predicted = np.maximum(model.predict(inputs), 0.0)  # a deal is never worth less than nothing
    return pl.Series(POTENTIAL, predicted, pl.Float64)


def _columns_by_field(accounts: AccountBook | pl.DataFrame) -> dict[str, str]:
    """Canonical field name -> column name."""
    if isinstance(accounts, AccountBook):
        return dict(accounts.columns)
    return {canonical(name): name for name in accounts.columns}


def _at_plan(plan: Plan, message: str) -> BadInput:
    line = plan.potential.line if plan.potential is not None else None
    return BadInput([Problem(Location(plan.file, line, None, POTENTIAL), message)])
