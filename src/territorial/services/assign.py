"""Assigning accounts to territories: a book and a plan given as files, or the workspace's accounts
and a stored plan with the run kept; validating a plan and explaining one account."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.assignment import RESULT_COLUMNS, Assignment
from territorial.domain.book import AccountBook
from territorial.domain.explanation import Explanation
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID, FieldType
from territorial.domain.plan import PRIMARY, Plan
from territorial.domain.reps import OWNER_NAME, Rep, owners_by_name
from territorial.engine.assign import assign
from territorial.engine.checks import check_plan, schema_from_plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.exceptions import EXCEPTION_LISTS, exception_lists
from territorial.engine.explain import explain
from territorial.engine.membership import evaluate_membership
from territorial.engine.overlaps import overlap_pairs
from territorial.engine.records import evaluation_frame
from territorial.engine.rep_books import rep_books
from territorial.engine.workload import account_workload
from territorial.errors import BadInput, Location, Problem
from territorial.evaluate.drift import SEGMENT, figure_rows
from territorial.io.accounts import read_accounts
from territorial.io.reps import read_reps
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.plans import resolve_plan, stored_plan
from territorial.services.potential import account_potential, potential_fields
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import active_reps, load_accounts, open_pipeline
from territorial.store.baselines import RUN

# The files `assign --exceptions DIR` writes, one per list: checked with its other outputs.
EXCEPTION_FILES = tuple(f"{name}.csv" for name in EXCEPTION_LISTS)


@dataclass
class AssignRun:
    plan: Plan
    book: AccountBook
    assignment: Assignment
    warnings: list[Problem]


@dataclass(frozen=True)
class Checked:
    """A plan and an accounts file read, and the plan checked against the accounts' fields."""

    plan: Plan
    book: AccountBook
    warnings: list[Problem]
    folder: Path  # where the plan's own files (models) are found


def load_checked(
    plan_ref: str | int | Path,
    accounts_path: str | Path,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    workspace: WorkspaceStore | None = None,
    *,
    also: Collection[str] = (),
    option: str = "--plan",
) -> Checked:
    """`plan_ref` is a plan file or a stored plan's id (services.plans.plan_reference): a stored
    plan with an accounts file is a file run, nothing stored. Only the columns the plan reads are
    loaded, and the fields `also` names (`explain --account-name` looks accounts up by name).
    Errors name `option`, which gave the plan."""
    progress(f"Reading the plan {plan_ref}", None)
    resolved = resolve_plan(workspace, plan_ref, option)
    plan = resolved.plan
    progress(f"Reading accounts from {accounts_path}", None)
    needed = CompiledPlan(plan).fields | ({plan.workload} if plan.workload else set())
    needed |= potential_fields(plan, resolved.folder) | set(also)
    book = read_accounts(accounts_path, plan.fields, needed, plan.null_words, mapping)
    used_types, _notes = schema_from_plan(plan)
    for key in book.without_values() - set(plan.fields):
        if key in used_types:  # an empty column takes the type its rules use, not "string"
            book = book.retype(key, used_types[key])
    progress("Checking rules against the account fields", None)
    warnings = book.notes + check_plan(plan, book.schema, book.field_names, book.read_as_text)
    return Checked(plan, book, warnings, resolved.folder)


def _owners_named(
    book: AccountBook, reps: list[Rep] | None, source: str
) -> tuple[AccountBook, list[Problem]]:
    """A report names each account's owner (owner_name) instead of giving its id: the accounts
    without an owner_id take the --reps rep of that name, as `import` takes the workspace's."""
    if OWNER_NAME not in book.columns:
        return book, []
    ids = book.columns.get(OWNER_ID)
    current = book.frame.get_column(ids) if ids is not None else None
    names = book.frame.get_column(book.columns[OWNER_NAME])
    where = Location(book.file, None, None, book.columns[OWNER_NAME])
    if reps is None:
        missing = names.is_not_null() & (current.is_null() if current is not None else True)
        if not missing.any():
            return book, []
        return book, [
            Problem(
                where,
                f"{int(missing.sum()):,} accounts name their owner but give no owner_id; "
                "give --reps to find the owners by name (until then they count as having none)",
            )
        ]
    known = pl.DataFrame(
        [(r.rep_id, r.name, r.email) for r in reps],
        schema={"rep_id": pl.String, "name": pl.String, "email": pl.String},
        orient="row",
    )
    owner, unmatched, ambiguous = owners_by_name(current, names, known)
    unmatched = {**unmatched, **{f"{name} (several reps)": n for name, n in ambiguous.items()}}
    column = ids or OWNER_ID
    frame = book.frame.with_columns(owner.alias(column))
    book = replace(
        book,
        frame=frame,
        columns={**book.columns, OWNER_ID: column},
        schema={**book.schema, OWNER_ID: FieldType.STRING},
    )
    if not unmatched:
        return book, []
    shown = ", ".join(f"{name} ({n:,})" for name, n in list(unmatched.items())[:5])
    total = sum(unmatched.values())
    return book, [Problem(where, f"{total:,} accounts name an owner who is no rep in {source}: {shown}")]


def with_reps_file(
    checked: Checked, reps_path: str | Path | None, mapping: str | Path | None
) -> tuple[Plan, AccountBook, list[Problem]]:
    """The plan and accounts as a reps file (read once) leaves them: inactive reps out of their
    territories, and owners named in the accounts (a report's owner_name) found among the reps."""
    reps = read_reps(reps_path, mapping) if reps_path is not None else None
    return with_reps(checked, reps, str(reps_path))


def with_reps(
    checked: Checked, reps: list[Rep] | None, source: str
) -> tuple[Plan, AccountBook, list[Problem]]:
    """with_reps_file for reps already read (from `source`)."""
    plan, warnings = checked.plan, list(checked.warnings)
    if reps is not None:
        plan, rep_warnings = apply_reps(plan, {rep.rep_id: rep.active for rep in reps}, source)
        warnings += rep_warnings
    book, owner_warnings = _owners_named(checked.book, reps, source)
    return plan, book, warnings + owner_warnings


def apply_reps(plan: Plan, active: dict[str, bool], source: str) -> tuple[Plan, list[Problem]]:
    """Every plan rep must be known (`active` maps rep_id → active); inactive reps are taken out of
    their territories, which may leave a territory vacant."""
    errors, warnings = [], []
    territories = []
    for t in plan.territories:
        missing = [r for r in t.reps if r not in active]
        if missing:
            errors.append(
                Problem(
                    Location(plan.file, t.line, None, t.id), f"reps not in {source}: {', '.join(missing)}"
                )
            )
        inactive = [r for r in t.reps if active.get(r) is False]
        if inactive:
            warnings.append(
                Problem(
                    Location(plan.file, t.line, None, t.id),
                    f"inactive reps get no accounts here: {', '.join(inactive)}",
                )
            )
        territories.append(replace(t, reps=tuple(r for r in t.reps if active.get(r))))
    if errors:
        raise BadInput(errors)
    return replace(plan, territories=tuple(territories)), warnings


def account_figures(
    plan: Plan, book: AccountBook, workload: pl.DataFrame | None, warnings: list[Problem]
) -> pl.DataFrame:
    """account_id, workload, potential[, segment]: `workload` as stored (account_id, workload), else as
    the plan computes it; `segment` when the accounts carry one. What KPIs read, and what an activation
    or a run sums by territory and keeps for `drift`."""
    ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
    potential = account_potential(plan, book, Path.cwd(), warnings)
    frame = pl.DataFrame({ACCOUNT_ID: ids, "potential": potential})
    if SEGMENT in book.columns:
        frame = frame.with_columns(
            book.frame.get_column(book.columns[SEGMENT]).cast(pl.String).alias(SEGMENT)
        )
    if workload is None:
        computed, _null = account_workload(plan, book)
        return frame.with_columns(pl.Series("workload", computed, dtype=pl.Float64))
    return frame.join(workload, on=ACCOUNT_ID, how="left")


def assign_files(
    plan_ref: str | int | Path,
    accounts_path: str | Path,
    reps_path: str | Path | None = None,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    workspace: WorkspaceStore | None = None,
) -> AssignRun:
    """Read, check and assign; `progress` hears each step's name, for progress displays. With
    `mapping`, the accounts and reps files are read as `import` reads them. `plan_ref` may name
    a stored plan (with `workspace`): the accounts still come from the file, and nothing is stored."""
    checked = load_checked(plan_ref, accounts_path, progress, mapping, workspace)
    plan, book, warnings = with_reps_file(checked, reps_path, mapping)
    result = assign_book(plan, book, checked.folder, warnings, progress)
    return AssignRun(plan, book, result, warnings)


def assign_book(
    plan: Plan,
    book: AccountBook,
    folder: Path,
    warnings: list[Problem],
    progress: Progress,
    pipeline: pl.DataFrame | None = None,
) -> Assignment:
    """The checked book assigned, each territory's and rep's potential summed (a model file is found
    in `folder`; warnings about potential are added to `warnings`) and, when given (account_id,
    value), each rep's open pipeline."""
    workload, null_workload = account_workload(plan, book)
    progress(f"Assigning {len(book):,} accounts to {len(plan.territories):,} territories", None)
    result = assign(CompiledPlan(plan), book, workload, null_workload)
    return with_figures(plan, book, result, folder, warnings, progress, pipeline)


def with_figures(
    plan: Plan,
    book: AccountBook,
    result: Assignment,
    folder: Path,
    warnings: list[Problem],
    progress: Progress,
    pipeline: pl.DataFrame | None = None,
) -> Assignment:
    """An assignment of `book` with its figures: each territory's and rep's potential and each rep's
    book (and open pipeline, when given), as assign_book gives them."""
    by_account = None
    if plan.potential is not None:
        progress("Working out each account's potential", None)
        potential = account_potential(plan, book, folder, warnings)
        by_account = pl.DataFrame(
            {"account_id": book.frame.get_column(book.columns["account_id"]), "value": potential}
        )
        result.territories = with_potential(result, by_account)
        result.account_potential = by_account
    result.reps = rep_books(plan, result.rows, by_account, pipeline)
    return result


def with_potential(result: Assignment, by_account: pl.DataFrame) -> pl.DataFrame:
    """The territory summary with each territory's summed account potential (account_id, value)."""
    sums = (
        result.rows.select("account_id", "territory_id")
        .filter(pl.col("territory_id").is_not_null())
        .join(by_account, on="account_id", how="left")
        .group_by("territory_id")
        .agg(pl.col("value").sum().alias("potential"))
    )
    summary = result.territories.drop("potential", strict=False)
    return summary.join(sums, on="territory_id", how="left", maintain_order="left").with_columns(
        pl.col("potential").fill_null(0.0)
    )


def assignment_exceptions(plan: Plan, book: AccountBook, result: Assignment) -> dict[str, pl.DataFrame]:
    """The exception lists (engine.exceptions) of an assignment of `book`."""
    compiled = CompiledPlan(plan)
    frame = evaluation_frame(book.frame, book.columns, book.schema, compiled.fields)
    missed = evaluate_membership(compiled, frame).skipped_on_null
    fields = sorted(compiled.fields)
    ids = book.frame.get_column(book.columns["account_id"])
    values = book.frame.select(pl.col(book.columns[f]).alias(f) for f in fields if f in book.columns)
    empty = (
        values.with_columns(ids.alias("account_id"))
        .filter(pl.Series(missed))
        .select(
            "account_id",
            pl.concat_list(
                pl.when(pl.col(f).is_null()).then(pl.lit(f)) for f in fields if f in values.columns
            )
            .list.drop_nulls()
            .list.join(";")
            .alias("empty_fields")
            if values.width
            else pl.lit("").alias("empty_fields"),
        )
    )
    return exception_lists(result, empty)


@dataclass
class Validation:
    plan: Plan
    warnings: list[Problem]
    overlaps: pl.DataFrame | None  # pairs of territories matching the same accounts
    skipped_on_null: int | None
    unknown_by_territory: pl.DataFrame | None
    unassigned: int | None = None  # accounts that match no primary territory (with accounts only)


def validate_files(
    plan_ref: str | int | Path,
    accounts_path: str | Path | None = None,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    workspace: WorkspaceStore | None = None,
) -> Validation:
    """Check a plan (a file, or a stored plan's id with `workspace`), against an accounts file's
    fields when given one."""
    if accounts_path is None:
        plan = resolve_plan(workspace, plan_ref).plan
        schema, notes = schema_from_plan(plan)
        warnings = notes + check_plan(plan, schema)
        return Validation(plan, warnings, None, None, None)
    checked = load_checked(plan_ref, accounts_path, progress, mapping, workspace)
    plan, book, warnings = checked.plan, checked.book, checked.warnings
    compiled = CompiledPlan(plan)
    progress(f"Finding overlaps among {len(book):,} accounts", None)
    frame = evaluation_frame(book.frame, book.columns, book.schema, compiled.fields)
    membership = evaluate_membership(compiled, frame)
    unknown = pl.DataFrame(
        {"territory_id": [t.id for t in plan.territories], "null_skipped": membership.unknown}
    ).filter(pl.col("null_skipped") > 0)
    rows, territories = membership.pairs()
    primary = np.array([t.layer == PRIMARY for t in plan.territories], bool)
    placed = np.unique(rows[primary[territories]]).size if rows.size else 0
    return Validation(
        plan,
        warnings,
        overlap_pairs(compiled, membership),
        int(membership.skipped_on_null.sum()),
        unknown,
        len(book) - placed,
    )


@dataclass
class AccountExplained:
    explanation: Explanation
    warnings: list[Problem]  # inactive reps taken out of their territories, among others


@dataclass(frozen=True)
class AccountRef:
    """Which account to explain: by its id, or by its name when `by_name`."""

    text: str
    by_name: bool = False

    def record_in(self, book: AccountBook) -> dict[str, object]:
        account_id = account_id_named(book, self.text) if self.by_name else self.text
        return account_record(book, account_id)


def explain_account(
    plan_path: str | int | Path,
    accounts_path: str | Path,
    account: str | AccountRef,
    reps_path: str | Path | None = None,
    progress: Progress = silent,
    workspace: WorkspaceStore | None = None,
    mapping: str | Path | None = None,
) -> AccountExplained:
    """One account of a file (an id, or an AccountRef) walked through a plan file; a reps file
    applies as it does to `assign`, so an inactive rep is not named as the owner of a territory that
    `assign` leaves vacant."""
    ref = _ref(account)
    by_name = ("name",) if ref.by_name else ()
    checked = load_checked(plan_path, accounts_path, progress, mapping, workspace, also=by_name)
    plan, book, warnings = with_reps_file(checked, reps_path, mapping)
    return AccountExplained(explain(CompiledPlan(plan), ref.record_in(book)), warnings)


def explain_stored(
    workspace: WorkspaceStore, plan_id: int, account: str | AccountRef, progress: Progress = silent
) -> AccountExplained:
    """One of the workspace's accounts walked through a stored plan, with the workspace's reps
    applied as `assign --plan ID` applies them."""
    plan, book, warnings = load_stored(workspace, plan_id, progress)
    return AccountExplained(explain(CompiledPlan(plan), _ref(account).record_in(book)), warnings)


def _ref(account: str | AccountRef) -> AccountRef:
    return account if isinstance(account, AccountRef) else AccountRef(account)


def load_stored(
    workspace: WorkspaceStore, plan_id: int, progress: Progress = silent
) -> tuple[Plan, AccountBook, list[Problem]]:
    """A stored plan checked against the workspace's accounts, with the workspace's reps applied as
    a reps file would be: every plan rep must exist, inactive ones leave their territories."""
    with workspace.unit_of_work() as uow:
        return stored_in(uow, plan_id, progress)


def stored_in(
    uow: UnitOfWork, plan_id: int, progress: Progress = silent
) -> tuple[Plan, AccountBook, list[Problem]]:
    """`load_stored` inside a unit of work that is already open (an activation reads and writes in one)."""
    progress(f"Reading plan {plan_id}", None)
    return _book_in(uow, stored_plan(uow, plan_id), progress)


def load_workspace_book(
    workspace: WorkspaceStore, plan: Plan, progress: Progress = silent
) -> tuple[Plan, AccountBook, list[Problem]]:
    """load_stored for a plan already read (a stored plan, or a plan file)."""
    with workspace.unit_of_work() as uow:
        return _book_in(uow, plan, progress)


def _book_in(uow: UnitOfWork, plan: Plan, progress: Progress) -> tuple[Plan, AccountBook, list[Problem]]:
    progress("Reading the workspace's accounts", None)
    book = load_accounts(uow, plan.fields, plan.null_words)
    reps = active_reps(uow)
    warnings = check_plan(plan, book.schema, book.field_names)
    if reps is not None:
        plan, rep_warnings = apply_reps(plan, reps, "the workspace's reps")
        warnings += rep_warnings
    return plan, book, warnings


def account_id_named(book: AccountBook, name: str) -> str:
    """The id of the one account called `name` (ignoring case and surrounding spaces)."""
    if "name" not in book.columns:
        raise BadInput.at("the accounts have no name column to look the account up by", book.file)
    names = book.frame.get_column(book.columns["name"]).cast(pl.String).str.strip_chars().str.to_lowercase()
    ids = book.frame.get_column(book.columns["account_id"]).filter(names == name.strip().lower())
    if ids.len() == 0:
        raise BadInput.at(
            f"no account named {name!r} (`territorial account find` searches names)",
            book.file,
            subject="name",
        )
    if ids.len() > 1:
        listed = ", ".join(sorted(ids.cast(pl.String).to_list())[:10])
        raise BadInput.at(
            f"{ids.len()} accounts are named {name!r} ({listed}); give --account ID",
            book.file,
            subject="name",
        )
    return str(ids[0])


def account_record(book: AccountBook, account_id: str) -> dict[str, object]:
    """An account's fields by its id (ignoring case when no id matches exactly)."""
    ids = book.frame.get_column(book.columns["account_id"])
    found = (ids == account_id).arg_true()
    if found.len() == 0:
        found = (ids.str.to_lowercase() == account_id.lower()).arg_true()
    if found.len() == 0:
        raise BadInput.at(f"no account with account_id {account_id!r}", book.file, None, None, "account_id")
    row = book.frame.row(int(found[0]), named=True)
    return {key: row[column] for key, column in book.columns.items()}


@dataclass
class StoredRun:
    run_id: int
    plan: Plan
    book: AccountBook
    assignment: Assignment
    warnings: list[Problem]


def assign_plan(
    workspace: WorkspaceStore, ctx: Context, plan_id: int, progress: Progress = silent
) -> StoredRun:
    """Assign the workspace's accounts to a stored plan and keep the run and its results. The
    workspace's reps apply as a reps file would: every plan rep must exist, inactive ones get nothing."""
    may_write(ctx.principal, "assign plans")
    started = ctx.now()
    plan, book, warnings = load_stored(workspace, plan_id, progress)
    with workspace.unit_of_work() as uow:
        pipeline = open_pipeline(uow)
    # A stored plan names its kept files by their full path; a file it could not keep is found from here.
    result = assign_book(plan, book, Path.cwd(), warnings, progress, pipeline)
    progress(f"Storing {result.rows.height:,} results", None)
    rows = result.rows.select(
        *[c for c in RESULT_COLUMNS if c != "reason"],
        pl.Series("reason_id", result.reason_index, dtype=pl.Int64),
    )
    primary = result.rows.filter(pl.col("layer") == PRIMARY).select(ACCOUNT_ID, "workload")
    figures = account_figures(plan, book, primary, [])
    with workspace.unit_of_work(write=True, lock="assign") as uow:
        counts = (result.accounts, result.unassigned, result.ties)
        run_id = uow.runs.add(plan_id, started, *counts, result.reason_texts.to_list(), rows, ctx.actor)
        # What `drift --run` compares today's figures with: the territories as this run made them.
        uow.baselines.save(RUN, run_id, figure_rows(result.rows, figures))
        uow.runs.finish(run_id, ctx.now())
    return StoredRun(run_id, plan, book, result, warnings)


def run_results(workspace: WorkspaceStore, run_id: int) -> pl.DataFrame:
    """A stored run's rows, as `territorial assign` wrote them."""
    with workspace.unit_of_work() as uow:
        rows = uow.runs.results(run_id)
    if rows is None:
        raise BadInput.at(f"no assignment run with id {run_id}", "--run")
    layer_rank = pl.when(pl.col("layer") == "primary").then(0).otherwise(1)
    return rows.sort([pl.col("account_id"), layer_rank, pl.col("layer")]).select(RESULT_COLUMNS)
