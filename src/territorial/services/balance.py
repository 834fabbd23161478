"""Use case: balance accounts or units among reps, from files, into an alignment and a report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from territorial.domain.fields import ACCOUNT_ID, OWNER_ID, FieldType
from territorial.engine.records import evaluation_frame
from territorial.errors import BadInput
from territorial.io.accounts import AccountBook, read_accounts
from territorial.io.balance_inputs import (
    coordinates,
    read_balance_reps,
    read_edges,
    read_units,
    skills_of,
)
from territorial.optimize.balance import Alignment, balance
from territorial.optimize.problem import NONE, Rules, Territories, Units
from territorial.rules.arithmetic import numeric_expression
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.to_polars import compile_rule
from territorial.rules.types import check_rule

Progress = Callable[[str, float], None]

WORKLOAD = "workload"
COUNT_NAMES = ("accounts", "units", "count")
DEFAULT_TOLERANCE = 0.05


@dataclass
class BalanceRequest:
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


@dataclass
class BalanceRun:
    units: Units
    territories: Territories
    alignment: Alignment
    table: pl.DataFrame  # id, territory_id, rep_id, moved; sorted by id
    report: dict[str, Any]


def _silent(_stage: str, _fraction: float) -> None:
    return None


def parse_metric(text: str) -> tuple[str, float]:
    """'workload=0.05' -> ('workload', 0.05); also accepts '5%'."""
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise BadInput.at(f"expected NAME=TOLERANCE such as workload=0.05, got {text!r}", "--metric")
    value = value.strip()
    try:
        tolerance = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise BadInput.at(f"{value!r} is not a tolerance such as 0.05 or 5%", "--metric") from None
    if not 0 <= tolerance < 1:
        raise BadInput.at(f"the tolerance must be at least 0 and below 1, got {value}", "--metric")
    return name.strip(), tolerance


def balance_files(request: BalanceRequest, progress: Progress = _silent) -> BalanceRun:
    """Read the inputs, balance, and build the alignment table and the report."""
    _check_request(request)
    progress("Reading inputs", 0.0)
    units, book = _read_units(request)
    territories = _territories(request, units.geographic)
    units = _with_current_and_locks(request, units, book, territories)
    rules = Rules(
        tolerances={name: tol for name, tol in _metric_names(request).items()},
        workload=WORKLOAD,
        contiguous=request.contiguous,
        max_moves=request.max_moves,
        move_penalty=request.move_penalty,
        seed=request.seed,
        time_limit=request.time_limit,
    )
    alignment = balance(units, territories, rules, progress)
    table = alignment_table(units, territories, alignment)
    return BalanceRun(units, territories, alignment, table, report(units, territories, alignment, request))


def _check_request(request: BalanceRequest) -> None:
    if (request.accounts is None) == (request.units is None):
        raise BadInput.at("give either --accounts FILE or --units FILE", "balance")
    if request.edges is not None and request.units is None:
        raise BadInput.at("--edges goes with --units", "--edges")
    if (request.reps is None) == (request.k is None):
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


def _metric_names(request: BalanceRequest) -> dict[str, float]:
    return dict(request.metrics) if request.metrics else {WORKLOAD: DEFAULT_TOLERANCE}


def _read_units(request: BalanceRequest) -> tuple[Units, AccountBook]:
    if request.accounts is not None:
        book = read_accounts(request.accounts)
        noun, id_key = "account", ACCOUNT_ID
        default_workload = "1"
    else:
        assert request.units is not None
        book = read_units(request.units)
        noun, id_key = "unit", "id"
        activities = [
            k for k, t in book.schema.items() if t is FieldType.NUMBER and k not in ("x", "y", "lat", "lon")
        ]
        if not activities:
            raise BadInput.at("the units file has no activity (number) column", book.file, 1)
        default_workload = activities[0]
    xy, geographic = coordinates(book, allow_xy=request.units is not None)
    ids = book.frame.get_column(book.columns[id_key]).to_list()
    metrics = {WORKLOAD: _evaluate(book, request.workload or default_workload, "--workload")}
    for name in _metric_names(request):
        if name == WORKLOAD:
            continue
        if name.lower() in COUNT_NAMES:
            metrics[name] = np.ones(book.frame.height)
        else:
            metrics[name] = _evaluate(book, name, "--metric")
    edges = read_edges(request.edges, ids) if request.edges is not None else None
    skills = None
    if "skills" in book.columns:
        skills = [skills_of(s) for s in book.frame.get_column(book.columns["skills"]).to_list()]
    units = Units(
        ids=ids,
        xy=xy,
        geographic=geographic,
        metrics=metrics,
        edges=edges,
        skills=skills,
        noun=noun,
        source=book.file,
    )
    return units, book


def _evaluate(book: AccountBook, text: str, option: str) -> np.ndarray:
    """A numeric expression per row; NULL counts as 0; a negative value is bad input."""
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
            book.raw.line_of(row),
            None,
            text,
        )
    return np.asarray(values, dtype=np.float64)


def _territories(request: BalanceRequest, geographic: bool) -> Territories:
    if request.k is not None:
        return Territories.unnamed(request.k)
    assert request.reps is not None
    reps = read_balance_reps(request.reps, geographic)
    return Territories(
        ids=list(reps.rep_ids),
        rep_ids=list(reps.rep_ids),
        home=reps.home,
        capacity=reps.capacity,
        skills=reps.skills,
    )


def _with_current_and_locks(
    request: BalanceRequest, units: Units, book: AccountBook, territories: Territories
) -> Units:
    """Each unit's current territory (owner_id for accounts, territory_id for units, when it
    names one of the reps) and the locks of --lock."""
    current = np.full(len(units), NONE, dtype=np.int64)
    key = OWNER_ID if request.accounts is not None else "territory_id"
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
                book.raw.line_of(row),
                None,
                key,
            )
        locked = np.where(matches, current, NONE)
    return Units(
        ids=units.ids,
        xy=units.xy,
        geographic=units.geographic,
        metrics=units.metrics,
        edges=units.edges,
        skills=units.skills,
        current=current if np.any(current != NONE) else None,
        locked=locked,
        noun=units.noun,
        source=units.source,
    )


def _lock_matches(book: AccountBook, text: str) -> np.ndarray:
    try:
        rule = parse_rule(text)
        check_rule(rule, book.schema, book.field_names)
    except RuleError as err:
        raise BadInput.at(f"{text!r}: {err.message}", "--lock") from None
    frame = evaluation_frame(book.frame, book.columns, book.schema, book.schema)
    matched = frame.select(compile_rule(rule).fill_null(False).alias("m")).to_series()
    return np.asarray(matched.to_numpy(), dtype=bool)


def alignment_table(units: Units, territories: Territories, alignment: Alignment) -> pl.DataFrame:
    """id, territory_id, rep_id, moved: one row per unit, sorted by id."""
    labels = alignment.territory
    return pl.DataFrame(
        {
            "id": units.ids,
            "territory_id": [territories.ids[j] for j in labels],
            "rep_id": [territories.rep_ids[j] for j in labels],
            "moved": alignment.moved,
        },
        schema={"id": pl.String, "territory_id": pl.String, "rep_id": pl.String, "moved": pl.Boolean},
    ).sort("id")


def report(
    units: Units, territories: Territories, alignment: Alignment, request: BalanceRequest
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
        "cost": _round(a.cost),
        "bound": _round(a.bound),
        "gap": _round(a.gap),
        "bound_note": "LP lower bound on the cost for the final territory centres",
        "seed": request.seed,
        "seconds": round(a.seconds, 3),
    }
    return {"territories": rows, "totals": totals}


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")
