"""Use case: a draft plan whose rules reproduce a balance's alignment, in the fields the accounts
have; checked by assigning the accounts with it, as `territorial assign` will, before it is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, FieldType, canonical
from territorial.domain.plan import PRIMARY
from territorial.engine.checks import check_plan
from territorial.errors import BadInput, Location, Problem
from territorial.io.balance_inputs import zip_field
from territorial.io.plan_file import parse_plan
from territorial.io.plan_writer import DraftEntry, draft_plan_yaml
from territorial.optimize.plan_draft import (
    DraftTerritory,
    SegmentField,
    draft_header,
    draft_rule,
    draft_summary,
    draft_with_fewest_exceptions,
)
from territorial.progress import silent
from territorial.rules.arithmetic import fields_in
from territorial.services.assign import assign_book
from territorial.services.balance import BalanceRun, Inputs

# Account fields that can split a ZIP among territories: the skill an account needs, its segment.
SEGMENT_FIELDS = ("skills", "segment")
STATE_FIELD = "state"
DRAFT = "--plan-out draft"
MISPLACED_SHOWN = 10


def draft_plan(run: BalanceRun, name: str | None = None) -> str:
    """A plan (called `name`, else the balance's draft) whose rules put every account in its
    territory of the alignment (see plan_draft), by state, ZIP code and account id as far as the
    accounts have them; the accounts are assigned with it first, and an account it puts elsewhere is
    bad input naming it."""
    inputs = run.inputs
    if inputs is None or inputs.units.noun != "account":
        raise BadInput.at("--plan-out needs accounts (--accounts or --workspace), not units", "--plan-out")
    book = inputs.book
    zip_key = _text_field(book, zip_field(book))
    state_key = _text_field(book, STATE_FIELD)
    territories = run.territories
    territory_of = [territories.ids[j] for j in run.alignment.territory]
    workload, notes = _plan_workload(inputs)
    try:
        drafted, segments, choice = draft_with_fewest_exceptions(
            run.units.ids,
            _values(book, zip_key),
            territory_of,
            list(zip(territories.ids, territories.rep_ids, strict=True)),
            _segment_candidates(book),
            _values(book, state_key),
        )
        segment_field = segments.field if segments is not None else None
        text = draft_plan_text(
            drafted,
            zip_key,
            segment_field,
            workload,
            [*notes, *choice],
            state_field=state_key,
            names=dict(zip(territories.ids, run.names, strict=True)),
            plan_name=name,
        )
    except ValueError as err:  # ids a plan cannot write: control characters, or equal ignoring case
        raise BadInput.at(str(err), book.file, subject="--plan-out") from None
    check_draft(text, book, territory_of)
    return text


def draft_plan_text(
    drafted: Sequence[DraftTerritory],
    zip_field: str | None,
    segment_field: str | None = None,
    workload: str | None = None,
    notes: Sequence[str] = (),
    state_field: str | None = None,
    names: Mapping[str, str] | None = None,
    plan_name: str | None = None,
) -> str:
    """The draft plan file for drafted territories: their rules as trees, written out by io."""
    entries = [
        DraftEntry(
            t.id,
            t.rep_id,
            draft_summary(t, segment_field),
            draft_rule(t, zip_field, segment_field, state_field),
            (names or {}).get(t.id),
        )
        for t in drafted
    ]
    used_state = state_field if any(t.states for t in drafted) else None
    string_fields = [f for f in (used_state, zip_field, segment_field) if f is not None]
    header = draft_header(drafted, segment_field, notes)
    if plan_name is None:
        return draft_plan_yaml(header, entries, string_fields, workload=workload)
    return draft_plan_yaml(header, entries, string_fields, plan_name, workload)


def check_draft(text: str, book: AccountBook, territory_of: Sequence[str]) -> None:
    """Assign the book with the draft plan as `territorial assign` would; each account must land in
    `territory_of` its row, or the draft is refused naming the first that do not (nothing is written)."""
    plan = parse_plan(text, DRAFT)
    check_plan(plan, book.schema, book.field_names)
    result = assign_book(plan, book, Path.cwd(), [], silent)
    landed = result.rows.filter(pl.col("layer") == PRIMARY).select("account_id", "territory_id")
    ids = book.frame.get_column(book.columns[ACCOUNT_ID])
    expected = pl.DataFrame({"account_id": ids, "aligned": list(territory_of)}).with_row_index("row")
    wrong = (
        expected.join(landed, on="account_id", how="left", maintain_order="left")
        .filter(pl.col("territory_id").is_null() | (pl.col("territory_id") != pl.col("aligned")))
        .sort("row")
    )
    if wrong.height == 0:
        return
    problems = [
        Problem(
            Location(book.file, book.line_of(row) if book.header_line else None, None, account),
            f"the draft plan puts account {account} in {landed_in or 'no territory'}, the alignment in "
            f"{aligned}; nothing was written (please report this with the accounts file)",
        )
        for row, account, aligned, landed_in in wrong.head(MISPLACED_SHOWN).iter_rows()
    ]
    raise BadInput(problems, wrong.height)


def _text_field(book: AccountBook, key: str | None) -> str | None:
    """`key` when the book has it as text: a plan compares a ZIP or state as text."""
    return key if key is not None and book.schema.get(key) is FieldType.STRING else None


def _values(book: AccountBook, key: str | None) -> list[str | None] | None:
    if key is None:
        return None
    values: list[str | None] = book.frame.get_column(book.columns[key]).cast(pl.String).to_list()
    return values


def _segment_candidates(book: AccountBook) -> list[SegmentField]:
    """The book's text columns among SEGMENT_FIELDS, each account's value as text."""
    return [
        SegmentField(name, book.frame.get_column(book.columns[name]).cast(pl.String).to_list())
        for name in SEGMENT_FIELDS
        if name in book.columns and book.schema.get(name) is FieldType.STRING
    ]


def _plan_workload(inputs: Inputs) -> tuple[str | None, list[str]]:
    """The plan's workload key: the balance's workload when it is one field."""
    text = inputs.workload.strip()
    key = canonical(text)
    if key in inputs.book.columns and fields_in(text) == {key}:
        return key, []
    if text == "1":
        return None, []
    return None, [f"The alignment was balanced on the workload {text}; a plan's workload must be one field."]
