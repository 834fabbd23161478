"""Use case: balance accounts or units among reps, from files, into an alignment and a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, DEFAULT_NULLS, OWNER_ID, FieldType, canonical
from territorial.domain.plan import Plan
from territorial.domain.reps import Rep, parse_skills
from territorial.domain.work_index import PRESET as WORK_INDEX
from territorial.domain.work_index import WorkIndex, segment_key
from territorial.engine.records import evaluation_frame
from territorial.errors import BadInput
from territorial.geo.cities import load_cities
from territorial.geo.counties import all_counties, nearest_counties, neighbour_pairs
from territorial.geo.distance import haversine_km
from territorial.io.accounts import read_accounts
from territorial.io.balance_inputs import (
    coordinates,
    county_codes,
    leave_out_unlocated,
    location_report,
    read_edges,
    read_units,
    zip_field,
)
from territorial.io.reps import read_reps
from territorial.io.work_index import read_work_index
from territorial.optimize import adjacency as unit_adjacency
from territorial.optimize.balance import Alignment, balance
from territorial.optimize.balance.continuity import FORMULA as MOVE_PENALTY_FORMULA
from territorial.optimize.balance.continuity import default_move_penalty
from territorial.optimize.names import territory_names
from territorial.optimize.problem import DEFAULT_AIM, NONE, Rules, Territories, Units, targets
from territorial.progress import Progress, silent
from territorial.rules.arithmetic import numeric_expression
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.to_polars import compile_rule
from territorial.rules.types import check_rule
from territorial.services.plans import ResolvedPlan, resolve_plan
from territorial.services.potential import account_potential
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import load_accounts

WORKLOAD = "workload"
# The number of units, asked for by name: `count`, or `@count` when a column is named count.
COUNT = "count"
COUNT_ALWAYS = "@count"
# Older spellings of the count, kept (with a warning) only where the file has no such column.
DEPRECATED_COUNT_NAMES = ("accounts", "units")
# Number columns that place a unit rather than measure it: never the default workload.
COORDINATE_NAMES = ("id", "x", "y", "lat", "lon", "latitude", "longitude")
DEFAULT_TOLERANCE = 0.05
POTENTIAL = "potential"
ADJACENCY_KINDS = ("county", "delaunay", "knn")
WORKSPACE_REPS = "workspace reps"


@dataclass
class BalanceOptions:
    """What `territorial balance` is asked, option by option."""

    accounts: Path | None = None
    units: Path | None = None
    edges: Path | None = None
    workload: str | None = None
    reps: Path | None = None
    k: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    contiguous: bool = False
    max_moves: float | None = None
    move_penalty: float | None = None
    lock: str | None = None
    time_limit: float = 60.0
    seed: int = 0
    best_effort: bool = False  # return the closest alignment when tolerance cannot be met
    aim: float = DEFAULT_AIM  # share of each tolerance aimed inside: lower is more even, higher more compact
    from_workspace: bool = False  # the workspace's accounts, reps and current owners
    workspace: WorkspaceStore | None = None  # for --workspace and a stored --plan ID
    plan: str | None = None  # a stored plan's id, or a plan file: its workload and potential
    adjacency: str | None = None  # county, delaunay, knn, or an edges file
    work_index: Path | None = None  # YAML overriding the work-index table
    skip_unlocated: bool = False  # leave out the accounts nothing locates, instead of refusing
    # Whether every account needs a place: capacity's headcount reads none (an unlocated account
    # is kept, at no place), only its what-if balance does.
    need_locations: bool = True
    command: str = "balance"  # the command whose --skip-unlocated the refusal names
    geojson: bool = False  # a map is asked for: the units must be on lat,lon
    mapping: str | None = (
        None  # salesforce, hubspot or a mapping file: accounts and reps read as import reads them
    )
    # Only these of the workspace's active reps (a roster change's recommendation: the roster's).
    only_reps: frozenset[str] | None = None


@dataclass
class Inputs:
    """Everything read for a balance, before balancing."""

    book: AccountBook
    plan: Plan | None
    units: Units  # with workload and metrics, adjacency, current territories and locks
    territories: Territories | None  # None when neither reps nor --k were asked for
    workload: str  # what the workload is: an expression, a field, or "work-index"
    segments: list[str] | None  # each account's work-index segment, when the preset was used
    reps_known: bool  # the reps came from a file or the workspace (not --k)
    sources: dict[str, MetricSource] = field(default_factory=dict)  # what each balanced metric is
    warnings: list[str] = field(default_factory=list)
    location: dict[str, Any] = field(default_factory=dict)  # how many were located how; who was not
    unlocated: pl.DataFrame | None = None  # the rows left out by --skip-unlocated, with why
    rep_names: dict[str, str] = field(default_factory=dict)  # rep_id -> name, where reps have one
    # Accounts whose current owner is no rep of this balance: they change rep whatever the answer.
    elsewhere: np.ndarray | None = None


@dataclass(frozen=True)
class MetricSource:
    """What a balanced metric was read as: a `column` of the file, an `expression` over its
    columns, the `count` of units, the plan's potential `model`, or the `workload`."""

    kind: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"source": self.kind, "from": self.text}


@dataclass
class BalanceRun:
    units: Units
    territories: Territories
    alignment: Alignment
    table: pl.DataFrame  # id, territory_id, rep_id, moved; sorted by id
    report: dict[str, Any]
    inputs: Inputs | None = None
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # each territory's name (optimize.names)


def parse_share(text: str, option: str, what: str = "a share such as 0.1 or 10%") -> float:
    """'0.1' or '10%' -> 0.1, as planners write shares in Excel."""
    value = text.strip()
    try:
        return float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise BadInput.at(f"{value!r} is not {what}", option) from None


def parse_metric(text: str) -> tuple[str, float]:
    """'workload=0.05' -> ('workload', 0.05); also accepts '5%'."""
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise BadInput.at(f"expected NAME=TOLERANCE such as workload=0.05, got {text!r}", "--metric")
    value = value.strip()
    tolerance = parse_share(value, "--metric", "a tolerance such as 0.05 or 5%")
    if not 0 <= tolerance < 1:
        raise BadInput.at(f"the tolerance must be at least 0 and below 1, got {value}", "--metric")
    return name.strip(), tolerance


def balance_files(request: BalanceOptions, progress: Progress = silent) -> BalanceRun:
    """Read the inputs, balance, and build the alignment table and the report."""
    _check_request(request)
    progress("Reading inputs", 0.0)
    inputs = read_inputs(request)
    units, territories = inputs.units, inputs.territories
    assert territories is not None
    rules = Rules(
        tolerances={name: tol for name, tol in _metric_names(request).items()},
        workload=WORKLOAD,
        contiguous=request.contiguous,
        max_moves=request.max_moves,
        move_penalty=request.move_penalty,
        seed=request.seed,
        time_limit=request.time_limit,
        best_effort=request.best_effort,
        aim=request.aim,
    )
    rules, penalty = _with_move_penalty(request, units, territories, rules)
    alignment = balance(units, territories, rules, progress)
    names = territory_names(
        territories.ids,
        [inputs.rep_names.get(rep) if rep is not None else None for rep in territories.rep_ids],
        alignment.territory,
        units.xy if units.geographic else None,
        load_cities() if units.geographic else None,
    )
    table = alignment_table(units, territories, alignment, names, inputs.elsewhere)
    result = report(units, territories, alignment, request, names)
    result["totals"]["move_penalty"] = penalty
    # Current owners who are none of the reps: their accounts change rep whatever the answer.
    result["totals"]["owner_not_a_rep"] = 0 if inputs.elsewhere is None else int(inputs.elsewhere.sum())
    result["totals"]["workload"] = inputs.workload
    # The compactness weight: each unit's distance counts as much as its workload.
    result["totals"]["weight"] = inputs.workload
    result["metrics"] = {name: source.as_dict() for name, source in inputs.sources.items()}
    warnings = [*inputs.warnings, *_answer_warnings(units, territories, alignment, request.contiguous)]
    result["warnings"] = warnings
    result["location"] = inputs.location
    return BalanceRun(units, territories, alignment, table, result, inputs, warnings, names)


def _with_move_penalty(
    request: BalanceOptions, units: Units, territories: Territories, rules: Rules
) -> tuple[Rules, dict[str, Any]]:
    """The rules with the move penalty they run under, and how the report describes it: the
    --move-penalty given, none under a --max-moves budget, else the default when current owners
    are known (continuity by default), else none."""
    if request.move_penalty is not None:
        return rules, {"value": request.move_penalty, "source": "--move-penalty"}
    if request.max_moves is not None:
        return rules, {"value": 0.0, "source": "off: --max-moves sets a budget instead"}
    value = default_move_penalty(units, territories, rules)
    if value is None:
        return rules, {"value": 0.0, "source": f"off: no {units.noun} has a current rep"}
    return replace(rules, move_penalty=value), {
        "value": _round(value),
        "source": "default",
        "formula": MOVE_PENALTY_FORMULA.format(noun=units.noun),
    }


def _answer_warnings(
    units: Units, territories: Territories, alignment: Alignment, contiguous: bool
) -> list[str]:
    """What the summary warns of in the answer: territories outside their tolerance (only with
    --best-effort), the units that alone exceed a territory's band, territories in pieces when
    --contiguous was asked, and balanced metrics that are 0 everywhere."""
    warnings = []
    k = len(territories)
    outside = [territories.ids[j] for j in np.flatnonzero(~alignment.within)]
    if outside:
        why = "the time limit was reached" if alignment.time_limit_hit else "the closest alignment found"
        warnings.append(f"{_count(len(outside), k)} outside their tolerance: {_listed(outside)} ({why})")
        warnings += _oversized(units, territories, alignment)
    if contiguous:
        broken = [territories.ids[j] for j in np.flatnonzero(~alignment.contiguous)]
        if broken:
            warnings.append(f"{_count(len(broken), k)} not contiguous: {_listed(broken)}")
    for name in alignment.tolerances:
        if not units.metrics[name].any():
            warnings.append(f"{name} is 0 for every {units.noun}: there is nothing of it to balance")
    return warnings


def _count(number: int, k: int) -> str:
    return f"{number} of {k} territories {'is' if number == 1 else 'are'}"


def _listed(ids: list[str], shown: int = 10) -> str:
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _oversized(units: Units, territories: Territories, alignment: Alignment) -> list[str]:
    """The units --best-effort left alone in a territory, being too large to share one within
    tolerance, and the target the other territories were balanced to instead."""
    if not alignment.alone:
        return []
    names = list(alignment.tolerances)
    all_names, even = targets(units, territories)  # the targets asked for: a share of everything
    columns = [all_names.index(name) for name in names]  # all_names is alignment.metrics
    even = even[:, columns]
    parts = []
    for j, members in alignment.alone:
        share = alignment.totals[j, columns] / np.where(even[j] > 0, even[j], np.inf)
        metric = int(np.argmax(share))
        who = " and ".join(units.ids[i] for i in members)
        parts.append(f"{territories.ids[j]} {who} ({share[metric]:.0%} of its {names[metric]} target)")
    one = len(alignment.alone) == 1
    found = [
        f"{len(alignment.alone)} {'territory holds' if one else 'territories hold'} only {units.noun}s too "
        f"large to share a territory within tolerance: {_listed(parts)}; nothing else is in "
        f"{'it' if one else 'them'}"
    ]
    alone = {j for j, _ in alignment.alone}
    rest = [j for j in range(len(territories)) if j not in alone]
    if rest:
        given = alignment.targets[rest][:, columns].sum(axis=0)
        asked = even[rest].sum(axis=0)
        ratio = given / np.where(asked > 0, asked, np.inf)
        m = int(np.argmax(np.abs(ratio - 1)))
        found.append(
            f"the other {len(rest)} territories are balanced on what is left: their {names[m]} targets are "
            f"{ratio[m]:.0%} of the ones asked"
        )
    return found


def _check_request(request: BalanceOptions) -> None:
    sources = [request.accounts is not None, request.units is not None, request.from_workspace]
    if sum(sources) != 1:
        raise BadInput.at("give one of --accounts FILE, --units FILE or --workspace", "balance")
    if request.edges is not None and request.units is None:
        raise BadInput.at("--edges goes with --units", "--edges")
    if request.edges is not None and request.adjacency is not None:
        raise BadInput.at("give --edges or --adjacency, not both", "--adjacency")
    kind = (request.adjacency or "").strip().lower()
    if request.adjacency is not None and kind not in ADJACENCY_KINDS and not Path(request.adjacency).exists():
        close = get_close_matches(kind, ADJACENCY_KINDS, n=1, cutoff=0.6)
        raise BadInput.at(
            f"'{request.adjacency}' is none of {', '.join(ADJACENCY_KINDS)} and no edges file"
            + (f"; did you mean {close[0]}?" if close else ""),
            "--adjacency",
        )
    if request.reps is not None and request.k is not None:
        raise BadInput.at("give either --reps FILE or --k N", "balance")
    if request.reps is None and request.k is None and not request.from_workspace:
        raise BadInput.at("give either --reps FILE or --k N", "balance")
    if request.k is not None and request.k < 1:
        raise BadInput.at("--k must be at least 1", "--k")
    if request.max_moves is not None and request.move_penalty is not None:
        raise BadInput.at("give --max-moves or --move-penalty, not both", "--max-moves")
    if request.max_moves is not None and not 0 <= request.max_moves <= 1:
        raise BadInput.at("--max-moves is a share of accounts between 0 and 1, such as 0.02", "--max-moves")
    if request.move_penalty is not None and request.move_penalty < 0:
        raise BadInput.at("--move-penalty must not be negative", "--move-penalty")
    if request.time_limit <= 0:
        raise BadInput.at("--time-limit must be positive", "--time-limit")
    if not 0 < request.aim <= 1:
        raise BadInput.at(
            f"--aim is a share of each tolerance above 0 and at most 1, such as 0.4, got {request.aim:g}",
            "--aim",
        )


def _metric_names(request: BalanceOptions) -> dict[str, float]:
    return dict(request.metrics) if request.metrics else {WORKLOAD: DEFAULT_TOLERANCE}


def read_inputs(
    request: BalanceOptions, need_territories: bool = True, default_workload: str | None = None
) -> Inputs:
    """Accounts (a file or the workspace) or units, reps, the plan, the workload and the other
    metrics, adjacency, current owners and locks: everything `balance` needs. The workload is
    --workload, else the plan's, else `default_workload`, else 1 per account."""
    resolved = _plan(request)
    plan = resolved.plan if resolved is not None else None
    book, noun, id_key = _book(request, plan)
    located, geographic = coordinates(
        book, allow_xy=request.units is not None, required=request.need_locations
    )
    if request.geojson and not geographic:
        raise BadInput.at(
            "--geojson draws maps in longitude and latitude; these units are on x,y (give lat,lon)",
            book.file,
            book.header_line,
        )
    location = location_report(book, id_key, located)
    from_file = request.accounts or request.units
    unlocated = None
    if request.need_locations:
        book, located, unlocated = leave_out_unlocated(
            book, id_key, noun, located, request.skip_unlocated, from_file, request.command
        )
    xy = located.points()
    ids = book.frame.get_column(book.columns[id_key]).to_list()
    territories, reps_known, rep_names = None, False, {}
    if request.k is not None:
        territories = Territories.unnamed(request.k)
    elif request.reps is not None or request.from_workspace:
        reps = _reps(request, geographic, required=need_territories)
        if reps is not None:
            territories, reps_known = Territories.from_reps(reps, geographic), True
            rep_names = {rep.rep_id: rep.name for rep in reps if rep.name}
    workload_text = request.workload or (plan.workload if plan is not None and plan.workload else None)
    if workload_text is None:
        workload_text = default_workload or ("1" if request.units is None else _first_activity(book))
    segments = None
    if workload_text.strip().lower() == WORK_INDEX:
        index = read_work_index(request.work_index)
        segments = work_index_segments(book, index)
        home_km = _owner_home_km(book, xy, geographic, territories)
        workload = index.hours(segments, home_km)
        workload_text = WORK_INDEX
    else:
        if request.work_index is not None:
            raise BadInput.at("--work-index goes with --workload work-index", "--work-index")
        workload = _evaluate(book, workload_text, "--workload")
    metrics = {WORKLOAD: workload}
    sources: dict[str, MetricSource] = {}
    warnings: list[str] = []
    for name in _metric_names(request):
        if name == WORKLOAD:
            sources[name] = MetricSource(WORKLOAD, workload_text)
            continue
        source, warning = metric_source(name, book, plan, noun)
        sources[name] = source
        warnings += [warning] if warning else []
        if source.kind == COUNT:
            metrics[name] = np.ones(book.frame.height)
        elif source.kind == "model":
            assert plan is not None
            assert resolved is not None
            metrics[name] = account_potential(plan, book, resolved.folder).to_numpy()
        elif source.kind == "column":
            metrics[name] = _column(book, source.text)
        else:
            metrics[name] = _evaluate(book, source.text, "--metric")
    skills = None
    if "skills" in book.columns:
        skills = [parse_skills(s) for s in book.frame.get_column(book.columns["skills"]).to_list()]
    units = Units(
        ids=ids,
        xy=xy,
        geographic=geographic,
        metrics=metrics,
        edges=_edges(request, ids),
        skills=skills,
        noun=noun,
        source=book.file,
        zone=_zones(book, ids),
    )
    units = replace(units, edges=_adjacency(request, units, book))
    elsewhere = None
    if territories is not None:
        units = _with_current_and_locks(request, units, book, territories)
        if reps_known:
            elsewhere, warning = _owned_elsewhere(units, book)
            warnings += [warning] if warning else []
    return Inputs(
        book,
        plan,
        units,
        territories,
        workload_text,
        segments,
        reps_known,
        sources,
        warnings,
        location,
        unlocated,
        rep_names,
        elsewhere,
    )


def default_unlocated_path(request: BalanceOptions) -> Path:
    """Where --skip-unlocated writes what it leaves out: <accounts name>.unlocated.csv here, as
    `import --skip-invalid` writes <input name>.rejects.csv."""
    source = request.accounts or request.units
    return Path.cwd() / f"{Path(source).stem if source is not None else 'accounts'}.unlocated.csv"


def input_files(request: BalanceOptions) -> list[Path]:
    """The files a balance reads, which none of its outputs may overwrite."""
    named = [request.accounts, request.units, request.edges, request.reps, request.work_index]
    for text in (request.plan, request.adjacency):
        if text is not None and Path(text).is_file():
            named.append(Path(text))
    return [path for path in named if path is not None]


def metric_source(
    name: str, book: AccountBook, plan: Plan | None, noun: str
) -> tuple[MetricSource, str | None]:
    """What `--metric NAME=…` balances, and a warning when the name is read in a deprecated way.
    A column of that name is always that column; `count` (or `@count`, whatever the columns) is the
    number of units; `accounts` or `units` with no such column still mean the count, with a
    warning; `potential` may be the plan's potential; anything else is an expression over the
    columns (an unknown name is refused with the closest column names)."""
    text = name.strip()
    key = canonical(text)
    if key == COUNT_ALWAYS:
        return MetricSource(COUNT, f"the number of {noun}s"), None
    if key in book.columns:
        return MetricSource("column", book.columns[key]), None
    if _is_model_potential(text, book, plan):
        return MetricSource("model", "the plan's potential model"), None
    if key == COUNT:
        return MetricSource(COUNT, f"the number of {noun}s"), None
    if key in DEPRECATED_COUNT_NAMES:
        warning = (
            f"--metric {text}: there is no {text} column, so this balances the number of {noun}s; "
            f"that reading of {text!r} is deprecated: write --metric count=… (or @count=…)"
        )
        return MetricSource(COUNT, f"the number of {noun}s"), warning
    expression = _metric_expression(text, book, plan)
    if canonical(expression) in book.columns:  # the plan's potential field
        return MetricSource("column", book.columns[canonical(expression)]), None
    return MetricSource("expression", expression), None


def _zones(book: AccountBook, ids: list[str]) -> np.ndarray | None:
    """Each account's ZIP: the optimizer groups large books by it (accounts with none stay single)."""
    key = zip_field(book)
    if key is None:
        return None
    codes = book.frame.get_column(book.columns[key]).cast(pl.String).to_list()
    # An account without a ZIP gets a zone of its own, so it is never lumped with the others.
    zones = [code or f"\x00{account}" for code, account in zip(codes, ids, strict=True)]
    return np.asarray(zones, dtype=object)


def _plan(request: BalanceOptions) -> ResolvedPlan | None:
    return resolve_plan(request.workspace, request.plan) if request.plan is not None else None


def _book(request: BalanceOptions, plan: Plan | None) -> tuple[AccountBook, str, str]:
    declared = dict(plan.fields) if plan is not None else {}
    null_words = plan.null_words if plan is not None else DEFAULT_NULLS
    if request.from_workspace:
        if request.workspace is None:
            raise BadInput.at("--workspace needs a workspace database", "--workspace")
        with request.workspace.unit_of_work() as uow:
            book = load_accounts(uow, declared, null_words)
        if len(book) == 0:
            raise BadInput.at("the workspace has no active accounts; `territorial import accounts` first")
        return book, "account", ACCOUNT_ID
    if request.accounts is not None:
        book = read_accounts(request.accounts, declared, null_words=null_words, mapping=request.mapping)
        return book, "account", ACCOUNT_ID
    assert request.units is not None
    return read_units(request.units), "unit", "id"


def _first_activity(book: AccountBook) -> str:
    """A units file's default workload: its `workload` column, else its first number column that
    is not an id or a coordinate."""
    if book.schema.get(WORKLOAD) is FieldType.NUMBER:
        return WORKLOAD
    activities = [k for k, t in book.schema.items() if t is FieldType.NUMBER and k not in COORDINATE_NAMES]
    if not activities:
        raise BadInput.at(
            "the units file has no activity (number) column besides its id and coordinates", book.file, 1
        )
    return activities[0]


def _is_model_potential(name: str, book: AccountBook, plan: Plan | None) -> bool:
    """`--metric potential=...` when the plan's potential is a trained model's output."""
    return (
        name.strip().lower() == POTENTIAL
        and POTENTIAL not in book.columns
        and plan is not None
        and plan.potential is not None
        and plan.potential.model is not None
    )


def _metric_expression(name: str, book: AccountBook, plan: Plan | None) -> str:
    """A metric names a column or an expression; `potential` may also mean the plan's potential."""
    if name.strip().lower() != POTENTIAL or POTENTIAL in book.columns:
        return name
    if plan is None or plan.potential is None:
        return name
    assert plan.potential.field is not None  # a model's potential is handled by the caller
    return plan.potential.field


def _reps(request: BalanceOptions, geographic: bool, required: bool) -> list[Rep] | None:
    """The active reps, from --reps or the workspace; each with a home when one was given."""
    if request.reps is not None:
        source, reps = str(request.reps), read_reps(request.reps, request.mapping)
    else:
        assert request.workspace is not None
        with request.workspace.unit_of_work() as uow:
            source, reps = WORKSPACE_REPS, uow.reps.list()
    active = [
        rep for rep in reps if rep.active and (request.only_reps is None or rep.rep_id in request.only_reps)
    ]
    if not active:
        if request.reps is not None:
            raise BadInput.at("no active reps", source)
        if not required:
            return None
        raise BadInput.at(
            "the workspace has no active reps: `territorial import reps` first, or give --reps FILE or --k N",
            "--workspace",
        )
    if geographic:
        for rep in active:
            if rep.home is None and rep.home_postal_code is not None:
                raise BadInput.at(
                    f"unknown US ZIP code {rep.home_postal_code!r}: "
                    "give the rep's latitude and longitude instead",
                    source,
                    rep.line,
                    None,
                    "home_postal_code",
                )
    return active


def work_index_segments(book: AccountBook, index: WorkIndex) -> list[str]:
    """Each account's work-index segment: its segment field, else its employee count's band."""
    field_key = canonical(index.segment_field)
    by_employees = None
    if "employees" in book.columns and book.schema["employees"] is FieldType.NUMBER:
        counts = book.frame.get_column(book.columns["employees"]).cast(pl.Float64).fill_null(np.nan)
        by_employees = index.segment_by_employees(counts.to_numpy())
    if field_key not in book.columns:
        if by_employees is None:
            raise BadInput.at(
                f"the work index needs a {index.segment_field} column or an employees column",
                book.file,
                book.header_line,
            )
        return by_employees
    given = book.frame.get_column(book.columns[field_key]).cast(pl.String).to_list()
    segments = [
        segment_key(v) if v is not None else (by_employees[row] if by_employees is not None else "")
        for row, v in enumerate(given)
    ]
    row = index.unknown_segment(segments)
    if row is not None:
        value = given[row]
        what = f"unknown segment {value!r}" if value is not None else "the segment is empty"
        raise BadInput.at(
            f"{what}: the work index knows {', '.join(sorted(index.segments))} "
            "(add it with --work-index FILE)",
            book.file,
            book.line_of(row),
            None,
            book.columns[field_key],
        )
    return segments


def _owner_home_km(
    book: AccountBook, xy: np.ndarray, geographic: bool, territories: Territories | None
) -> np.ndarray:
    """Each account's distance to its current owner's home (NaN when either is unknown)."""
    km = np.full(len(book), np.nan)
    if not geographic or territories is None or OWNER_ID not in book.columns:
        return km
    position = {rep: j for j, rep in enumerate(territories.rep_ids) if rep is not None}
    owners = book.frame.get_column(book.columns[OWNER_ID]).cast(pl.String).to_list()
    rows = np.array([i for i, o in enumerate(owners) if o in position], dtype=np.int64)
    if rows.size:
        homes = territories.home[[position[owners[i]] for i in rows]]
        km[rows] = haversine_km(xy[rows, 0], xy[rows, 1], homes[:, 0], homes[:, 1])
    return km


def _edges(request: BalanceOptions, ids: list[str]) -> np.ndarray | None:
    if request.edges is not None:
        return read_edges(request.edges, ids)
    adjacency = request.adjacency
    if adjacency is not None and adjacency.strip().lower() not in ADJACENCY_KINDS:
        return read_edges(adjacency, ids)
    return None


def _adjacency(request: BalanceOptions, units: Units, book: AccountBook) -> np.ndarray | None:
    """--adjacency county, knn or delaunay (the default) over the units' places."""
    kind = (request.adjacency or "").strip().lower()
    if kind == "knn":
        return unit_adjacency.knn_edges(units.flat())
    if kind != "county":
        return units.edges
    if not units.geographic:
        raise BadInput.at("--adjacency county needs lat,lon or US ZIP codes", book.file)
    codes = county_codes(book)
    missing = [row for row, code in enumerate(codes) if code is None]
    if missing:  # a PO-box ZIP, an unknown ZIP or only coordinates: the nearest ZIP's county
        found = nearest_counties(units.xy[missing, 0], units.xy[missing, 1])
        for row, code in zip(missing, found, strict=True):
            codes[row] = code
    every = all_counties(c for c in codes if c is not None)
    index = {code: i for i, code in enumerate(every)}
    region = np.array([index[c] for c in codes if c is not None], dtype=np.int64)
    return unit_adjacency.region_edges(units.flat(), region, neighbour_pairs(every), len(every))


def _column(book: AccountBook, name: str) -> np.ndarray:
    """A number column's values, read as it is (whatever its name), NULL as 0."""
    key = canonical(name)
    if book.schema.get(key) is not FieldType.NUMBER:
        raise BadInput.at(
            f"--metric {name}: the column {name} holds text, not numbers",
            book.file,
            book.header_line,
            None,
            name,
        )
    return _evaluate(book, name, "--metric", pl.col(key))


def _evaluate(book: AccountBook, text: str, option: str, expression: pl.Expr | None = None) -> np.ndarray:
    """A numeric expression per row (`text` parsed, unless the expression is given); NULL counts
    as 0; a negative value is bad input."""
    if expression is None:
        try:
            expression = numeric_expression(text, book.schema, book.field_names)
        except RuleError as err:
            raise BadInput.at(f"{text!r}: {err.message}", option) from None
    frame = book.frame.rename({v: k for k, v in book.columns.items()})
    # with_columns, not select: a constant such as "1" must give a value on every row.
    column = frame.with_columns(expression.alias("__value")).get_column("__value").cast(pl.Float64)
    values = column.fill_nan(None).fill_null(0.0).to_numpy()
    negative = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if negative.size:
        row = int(negative[0])
        raise BadInput.at(
            f"{text} must be a non-negative number, got {values[row]:g} ({negative.size} such rows)",
            book.file,
            book.line_of(row),
            None,
            text,
        )
    return np.asarray(values, dtype=np.float64)


def _owned_elsewhere(units: Units, book: AccountBook) -> tuple[np.ndarray | None, str | None]:
    """Which units have a current owner (owner_id, or territory_id for units) that is none of the
    reps, and the warning that says so: they change rep whatever the answer, so they count as
    moved, and a reps file whose ids do not match the owners' is the likely cause."""
    key = OWNER_ID if units.noun == "account" else "territory_id"
    if key not in book.columns:
        return None, None
    owners = book.frame.get_column(book.columns[key]).cast(pl.String)
    given = owners.is_not_null().to_numpy() & (owners.str.strip_chars() != "").fill_null(False).to_numpy()
    elsewhere = given & (units.current_or_none() == NONE)
    if not elsewhere.any():
        return elsewhere, None
    first = int(np.flatnonzero(elsewhere)[0])
    unknown = sorted(set(owners.filter(pl.Series(elsewhere)).to_list()))
    where = f"; the first on {book.file} line {book.line_of(first)}" if book.file else ""
    return elsewhere, (
        f"{int(elsewhere.sum()):,} {units.noun}s are owned by none of the active reps ({key} "
        f"{_listed(unknown, 5)}{where}): they count as moved; check that the reps' ids are the "
        f"ones {key} uses, unless those reps have left"
    )


def _with_current_and_locks(
    request: BalanceOptions, units: Units, book: AccountBook, territories: Territories
) -> Units:
    """Each unit's current territory (owner_id for accounts, territory_id for units, when it
    names one of the reps) and the locks of --lock."""
    current = np.full(len(units), NONE, dtype=np.int64)
    key = OWNER_ID if units.noun == "account" else "territory_id"
    if key in book.columns:
        position = {t: j for j, t in enumerate(territories.ids)}
        owners = book.frame.get_column(book.columns[key]).cast(pl.String).to_list()
        current = np.array([position.get(o, NONE) if o is not None else NONE for o in owners], dtype=np.int64)
    locked = None
    if request.lock:
        matches = _lock_matches(book, request.lock)
        homeless = np.flatnonzero(matches & (current == NONE))
        if homeless.size:
            row = int(homeless[0])
            raise BadInput.at(
                f"--lock matches {units.noun} {units.ids[row]}, which has no current rep to stay with "
                f"({homeless.size} such {units.noun}s)",
                book.file,
                book.line_of(row),
                None,
                key,
            )
        locked = np.where(matches, current, NONE)
    return replace(units, current=current if np.any(current != NONE) else None, locked=locked)


def _lock_matches(book: AccountBook, text: str) -> np.ndarray:
    try:
        rule = parse_rule(text)
        check_rule(rule, book.schema, book.field_names)
    except RuleError as err:
        raise BadInput.at(f"{text!r}: {err.message}", "--lock") from None
    frame = evaluation_frame(book.frame, book.columns, book.schema, book.schema)
    matched = frame.select(compile_rule(rule).fill_null(False).alias("m")).to_series()
    return np.asarray(matched.to_numpy(), dtype=bool)


def alignment_table(
    units: Units,
    territories: Territories,
    alignment: Alignment,
    names: Sequence[str],
    elsewhere: np.ndarray | None = None,
) -> pl.DataFrame:
    """id, territory_id, rep_id, moved, territory_name: one row per unit, sorted by id. The name
    came last (#17), so that files read by column position keep working."""
    labels = alignment.territory
    return pl.DataFrame(
        {
            "id": units.ids,
            "territory_id": [territories.ids[j] for j in labels],
            "rep_id": [territories.rep_ids[j] for j in labels],
            "moved": alignment.moved if elsewhere is None else alignment.moved | elsewhere,
            "territory_name": [names[j] for j in labels],
        },
        schema={
            "id": pl.String,
            "territory_id": pl.String,
            "rep_id": pl.String,
            "moved": pl.Boolean,
            "territory_name": pl.String,
        },
    ).sort("id")


def report(
    units: Units,
    territories: Territories,
    alignment: Alignment,
    request: BalanceOptions,
    names: Sequence[str],
) -> dict[str, Any]:
    """The report: every territory's metrics against target, and the totals with the bound."""
    a = alignment
    distance_unit = "km" if units.geographic else "units"
    counts = np.bincount(a.territory, minlength=len(territories))
    rows = []
    for j, territory_id in enumerate(territories.ids):
        metrics = {}
        for col, name in enumerate(a.metrics):
            metrics[name] = {
                "value": _round(a.totals[j, col]),
                "target": _round(a.targets[j, col]),
                "deviation": _round(a.deviation[j, col]),
                **({"tolerance": a.tolerances[name]} if name in a.tolerances else {}),
            }
        rows.append(
            {
                "territory_id": territory_id,
                "name": names[j],
                "rep_id": territories.rep_ids[j],
                "capacity": float(territories.capacity[j]),
                units.noun + "s": int(counts[j]),
                "metrics": metrics,
                "within_tolerance": bool(a.within[j]),
                "contiguous": bool(a.contiguous[j]),
                f"compactness_{distance_unit}": _round(a.compactness[j]),
            }
        )
    workload = units.metrics[WORKLOAD]
    moved_workload = float(workload[a.moved].sum()) / float(workload.sum()) if workload.sum() > 0 else 0.0
    totals = {
        units.noun + "s": len(units),
        "territories": len(territories),
        "within_tolerance": int(a.within.sum()),
        "contiguous": int(a.contiguous.sum()),
        "moved": a.moves,
        "moved_share": _round(a.moves / a.movable) if a.movable else 0.0,
        "moved_workload_share": _round(moved_workload),
        "min_moves_lp": None if a.min_moves is None else _round(a.min_moves),
        "min_moves_whole_units": None if a.min_moves_whole is None else _round(a.min_moves_whole),
        "cost": _round(a.cost),
        "bound": _round(a.bound),
        "gap": _round(a.gap),
        "bound_note": "LP lower bound on the cost for the final territory centres",
        "aim": request.aim,
        "seed": request.seed,
        "seconds": round(a.seconds, 3),
        "time_limit_hit": a.time_limit_hit,
    }
    return {"territories": rows, "totals": totals}


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")
