"""Use case: how many reps the workload needs, by segment and region, and what N more or fewer
reps would do to balance and compactness."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.fields import OWNER_ID, canonical
from territorial.domain.work_index import PRESET as WORK_INDEX
from territorial.errors import BadInput
from territorial.geo.zips import zip_attributes
from territorial.io.balance_inputs import zip_field
from territorial.optimize.balance import balance
from territorial.optimize.capacity import Headcount, Scenario, headcount, scenario
from territorial.optimize.feasibility import Infeasible
from territorial.optimize.problem import Rules, Territories
from territorial.progress import Progress, silent
from territorial.services.balance import WORKLOAD, BalanceOptions, Inputs, read_inputs
from territorial.services.unit_of_work import WorkspaceStore

SEGMENT, REGION = "segment", "region"


@dataclass
class CapacityRequest:
    """What `territorial capacity` is asked, option by option."""

    accounts: Path | None = None
    from_workspace: bool = False
    workspace: WorkspaceStore | None = None
    plan: str | None = None
    workload: str | None = None  # hours a year per account; default: the plan's, else the work index
    work_index: Path | None = None
    reps: Path | None = None
    hours_per_rep: float = 1600.0
    utilisation: float = 0.8
    by: list[str] = field(default_factory=list)
    what_if_reps: str | None = None  # "12", "+2" or "-1"
    tolerance: float = 0.05
    time_limit: float = 60.0
    seed: int = 0
    mapping: str | None = None  # the accounts and reps files read as `import` reads them
    skip_unlocated: bool = False  # with --what-if-reps: leave out the accounts nothing locates


@dataclass
class CapacityRun:
    headcount: Headcount
    workload: str
    scenarios: list[Scenario]
    notes: list[str]
    unlocated: pl.DataFrame | None = None  # the accounts --skip-unlocated left out, with why


def plan_capacity(request: CapacityRequest, progress: Progress = silent) -> CapacityRun:
    """Read the accounts and workload, count the reps each group needs, and run the what-if."""
    _check(request)
    progress("Reading the accounts", None)
    inputs = read_inputs(balance_options(request), need_territories=False, default_workload=WORK_INDEX)
    owners = _owners(inputs)
    hours = inputs.units.metrics[WORKLOAD]
    result = headcount(_groups(inputs, request.by), hours, owners, request.hours_per_rep, request.utilisation)
    notes: list[str] = []
    scenarios: list[Scenario] = []
    if request.what_if_reps is not None:
        scenarios = _what_if(request, inputs, result, owners, notes, progress)
    return CapacityRun(result, inputs.workload, scenarios, notes, inputs.unlocated)


def balance_options(request: CapacityRequest) -> BalanceOptions:
    """The accounts, reps and workload read as `balance` reads them. Only the what-if balances,
    so only it needs every account's place: the headcount keeps an account nothing locates."""
    return BalanceOptions(
        accounts=request.accounts,
        from_workspace=request.from_workspace,
        workspace=request.workspace,
        plan=request.plan,
        workload=request.workload,
        work_index=request.work_index,
        reps=request.reps,
        mapping=request.mapping,
        skip_unlocated=request.skip_unlocated,
        need_locations=request.what_if_reps is not None,
        command="capacity --what-if-reps",
    )


def _check(request: CapacityRequest) -> None:
    if (request.accounts is None) == (not request.from_workspace):
        raise BadInput.at("give either --accounts FILE or --workspace", "capacity")
    if not request.hours_per_rep > 0:
        raise BadInput.at("--hours-per-rep must be a positive number of hours a year", "--hours-per-rep")
    if not 0 < request.utilisation <= 1:
        raise BadInput.at("--utilisation must be above 0 and at most 1, such as 0.8", "--utilisation")
    if not 0 <= request.tolerance < 1:
        raise BadInput.at("--tolerance must be at least 0 and below 1, such as 0.05", "--tolerance")
    if request.time_limit <= 0:
        raise BadInput.at("--time-limit must be positive", "--time-limit")
    if request.skip_unlocated and request.what_if_reps is None:
        raise BadInput.at(
            "--skip-unlocated goes with --what-if-reps: only the what-if balance needs each account's "
            "place, and the headcount counts every account",
            "--skip-unlocated",
        )


def _owners(inputs: Inputs) -> list[str | None] | None:
    """Each account's current rep: its owner_id, kept only when that rep is an active rep (when the
    reps are known); None when the accounts carry no owners."""
    book = inputs.book
    if OWNER_ID not in book.columns:
        return None
    owners: list[str | None] = book.frame.get_column(book.columns[OWNER_ID]).cast(pl.String).to_list()
    if inputs.reps_known and inputs.territories is not None:
        active = set(inputs.territories.rep_ids)
        owners = [o if o in active else None for o in owners]
    return owners


def _groups(inputs: Inputs, by: list[str]) -> pl.DataFrame:
    """One column per --by name: an account field; with the work index, `segment` is the segment it
    used (the segment field's value, or the employee band); without a region field, `region` is the
    Census region of the account's ZIP."""
    book = inputs.book
    columns = []
    for name in by:
        key = canonical(name)
        if key == SEGMENT and inputs.segments is not None:
            columns.append(pl.Series(key, inputs.segments, dtype=pl.String))
        elif key in book.columns:
            columns.append(book.frame.get_column(book.columns[key]).cast(pl.String).alias(key))
        elif key == REGION and zip_field(book) is not None:
            columns.append(_census_regions(book.frame.get_column(book.columns[zip_field(book) or ""])))
        else:
            close = difflib.get_close_matches(key, list(book.columns), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise BadInput.at(f"unknown field '{name}'{hint}", book.file, book.header_line, None, "--by")
    if len({c.name for c in columns}) != len(columns):
        raise BadInput.at("a column is named twice", "--by")
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def _census_regions(codes: pl.Series) -> pl.Series:
    return zip_attributes(codes, "census_region").get_column("census_region").alias(REGION)


def parse_what_if(text: str, today: int) -> int:
    """'12' -> 12 reps; '+2' / '-1' -> today's reps plus or minus."""
    value = text.strip()
    try:
        number = int(value)
    except ValueError:
        raise BadInput.at(f"expected N, +N or -N reps, got {text!r}", "--what-if-reps") from None
    reps = today + number if value[:1] in "+-" else number
    if reps < 1:
        raise BadInput.at(f"the what-if needs at least 1 rep, got {reps}", "--what-if-reps")
    return reps


def _what_if(
    request: CapacityRequest,
    inputs: Inputs,
    result: Headcount,
    owners: list[str | None] | None,
    notes: list[str],
    progress: Progress,
) -> list[Scenario]:
    """The current book (when every account has an owner), and balances with today's number of reps
    and with the what-if number, into open territories centred on their accounts."""
    today = result.current_reps or result.pooled_reps
    if not result.current_reps:
        notes.append(f"no current owners: today's headcount is taken as the {today} reps the workload needs")
    target = parse_what_if(request.what_if_reps or "", today)
    units = replace(
        inputs.units,
        metrics={WORKLOAD: inputs.units.metrics[WORKLOAD]},
        current=None,
        locked=None,
        skills=None,
    )
    scenarios = []
    if owners is not None and all(o is not None for o in owners):
        names = sorted({o for o in owners if o is not None})
        index = {o: j for j, o in enumerate(names)}
        labels = np.array([index[o] for o in owners if o is not None], dtype=np.int64)
        scenarios.append(
            scenario("current book", units, labels, len(names), request.hours_per_rep, request.tolerance)
        )
    elif owners is not None:
        missing = sum(o is None for o in owners)
        notes.append(f"{missing:,} accounts have no current rep, so the current book is not scored")
    rules = Rules(
        tolerances={WORKLOAD: request.tolerance},
        workload=WORKLOAD,
        seed=request.seed,
        time_limit=request.time_limit,
    )
    for reps in dict.fromkeys([today, target]):
        progress(f"Balancing {len(units):,} accounts among {reps} reps", None)
        change = f" ({reps - today:+d})" if reps != today else ""
        try:
            alignment = balance(units, Territories.unnamed(reps), rules)
        except Infeasible as why:
            notes.append(f"{reps} reps{change} cannot be balanced: {why.problems[0].message}")
            continue
        scenarios.append(
            scenario(
                f"balanced, {reps} reps{change}",
                units,
                alignment.territory,
                reps,
                request.hours_per_rep,
                request.tolerance,
            )
        )
    return scenarios
