"""`territorial balance`: a progress bar while it runs, then a summary table and the files asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from territorial.cli.app import MappingOption, app, err, handled, workspace_of
from territorial.cli.progress import stage_bar
from territorial.cli.render import counted
from territorial.errors import BadInput
from territorial.io.output import check_writable, write_table, write_text
from territorial.services.balance import (
    BalanceOptions,
    BalanceRun,
    balance_files,
    default_unlocated_path,
    input_files,
    parse_metric,
    parse_share,
)
from territorial.services.draft_plan import draft_plan
from territorial.services.territory_map import territory_map

MAX_TERRITORY_ROWS = 40


PlanRefOpt = Annotated[
    str | None,
    typer.Option("--plan", help="A stored plan's id, or a plan file: its workload (and potential) apply."),
]
WorkIndexOpt = Annotated[
    Path | None,
    typer.Option("--work-index", help="YAML overriding the work-index table (with --workload work-index)."),
]

SkipUnlocatedOpt = Annotated[
    bool,
    typer.Option(
        "--skip-unlocated",
        help="Leave out the accounts with no lat,lon, no known US ZIP and no known city and state, "
        "and write them, with why, to --unlocated-out; without it they are refused (exit 2).",
    ),
]
UnlocatedOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--unlocated-out",
        help="Where --skip-unlocated writes the accounts it leaves out (default: <accounts name>"
        ".unlocated.csv in the current folder).",
    ),
]


def refuse_unlocated_out_alone(skip_unlocated: bool, unlocated_out: Path | None) -> None:
    if unlocated_out is not None and not skip_unlocated:
        raise BadInput.at("--unlocated-out goes with --skip-unlocated", "--unlocated-out")


def write_unlocated(err: Console, left_out: pl.DataFrame | None, path: Path | None, noun: str) -> None:
    """The accounts --skip-unlocated left out, as their file has them with why, and where they went."""
    if path is None or left_out is None:
        return
    write_table(left_out, path)
    err.print(f"left out {counted(left_out.height, noun)} that could not be located: see {path}")


@app.command()
@handled
def balance(
    ctx: typer.Context,
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts", help="Accounts CSV or Parquet (lat,lon, a ZIP column, or city and state)."
        ),
    ] = None,
    units: Annotated[
        Path | None, typer.Option("--units", help="Units CSV: id, x,y or lat,lon, activity columns.")
    ] = None,
    from_workspace: Annotated[
        bool,
        typer.Option("--workspace", help="The workspace's accounts, reps and current owners."),
    ] = False,
    plan: PlanRefOpt = None,
    edges: Annotated[Path | None, typer.Option("--edges", help="Unit adjacency CSV: a,b.")] = None,
    adjacency: Annotated[
        str | None,
        typer.Option(
            "--adjacency",
            help="county (bundled Census county borders), delaunay (the default), knn, or an a,b edges CSV.",
        ),
    ] = None,
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            help="Numeric expression over fields, e.g. employees * 2, or work-index; default: the plan's.",
        ),
    ] = None,
    work_index: WorkIndexOpt = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, lat,lon home, capacity, skills.")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="Number of territories, without reps.")] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="NAME=TOLERANCE to balance, repeatable (default workload=0.05). NAME is workload, a "
            "column (always that column), an expression, or count (the number of units; @count beside a "
            "count column).",
        ),
    ] = None,
    contiguous: Annotated[bool, typer.Option("--contiguous", help="Keep every territory connected.")] = False,
    max_moves: Annotated[
        str | None,
        typer.Option("--max-moves", help="Share of accounts that may change rep, e.g. 0.02 or 2%."),
    ] = None,
    move_penalty: Annotated[
        float | None, typer.Option("--move-penalty", help="Cost of one move, in workload × distance.")
    ] = None,
    lock: Annotated[
        str | None, typer.Option("--lock", help="Rule: matching accounts stay with their rep.")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds.")] = 60.0,
    best_effort: Annotated[
        bool,
        typer.Option(
            "--best-effort",
            help="When the tolerances cannot all be met, write the closest alignment (exit 0, with a "
            "warning) instead of refusing (exit 2).",
        ),
    ] = False,
    aim: Annotated[
        float | None,
        typer.Option(
            "--aim",
            help="Share of each tolerance to aim inside (default 0.4: ±5% asked gives about ±2%). Higher "
            "gives more compact territories, lower more even ones; 1 uses the whole band.",
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Draws the extra location starts: the same seed, the same alignment."),
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="alignment.csv (id, territory_id, rep_id, moved, territory_name); stdout if left out.",
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="report.json with per-territory figures.")
    ] = None,
    plan_out: Annotated[
        Path | None,
        typer.Option(
            "--plan-out",
            help="plan.yaml: a draft plan whose rules give the alignment (by state, ZIP code, then account "
            "id), checked by assigning the accounts with it before it is written.",
        ),
    ] = None,
    geojson: Annotated[
        Path | None,
        typer.Option(
            "--geojson",
            help="territories.geojson: a map, per territory its accounts (MultiPoint) and their outline "
            "(convex hull), with its figures. Needs lat,lon places (not x,y).",
        ),
    ] = None,
    skip_unlocated: SkipUnlocatedOpt = False,
    unlocated_out: UnlocatedOutOpt = None,
    mapping: MappingOption = None,
) -> None:
    """Balance accounts or units among reps: equal workload (and other metrics) within tolerance,
    compact, optionally contiguous, with a lower bound that shows how close to the best it is."""
    request = BalanceOptions(
        accounts=accounts,
        units=units,
        edges=edges,
        workload=workload,
        reps=reps,
        k=k,
        metrics=dict(parse_metric(m) for m in metric or []),
        contiguous=contiguous,
        max_moves=None if max_moves is None else parse_share(max_moves, "--max-moves"),
        move_penalty=move_penalty,
        lock=lock,
        time_limit=time_limit,
        best_effort=best_effort,
        seed=seed,
        from_workspace=from_workspace,
        workspace=workspace_of(ctx),
        plan=plan,
        adjacency=adjacency,
        work_index=work_index,
        skip_unlocated=skip_unlocated,
        geojson=geojson is not None,
        mapping=mapping,
    )
    if aim is not None:  # left out, the options' own default (the optimizer's) holds
        request.aim = aim
    refuse_unlocated_out_alone(skip_unlocated, unlocated_out)
    run_balance(request, out, report, err, plan_out, geojson, unlocated_out)


def run_balance(
    request: BalanceOptions,
    out: Path | None,
    report_path: Path | None,
    err: Console,
    plan_out: Path | None = None,
    geojson: Path | None = None,
    unlocated_out: Path | None = None,
) -> None:
    if plan_out is not None and request.units is not None:  # refused before the search, not after
        raise BadInput.at("--plan-out needs accounts (--accounts or --workspace), not units", "--plan-out")
    if request.skip_unlocated:
        unlocated_out = unlocated_out or default_unlocated_path(request)
    check_writable(out, report_path, plan_out, geojson, unlocated_out, inputs=input_files(request))
    with stage_bar(err) as progress:
        result = balance_files(request, progress)
    plan_text = draft_plan(result) if plan_out is not None else None
    map_text = territory_map(result) if geojson is not None else None
    write_table(result.table, out)
    if report_path is not None:
        write_text(json.dumps(result.report, indent=2) + "\n", report_path)
    if plan_out is not None and plan_text is not None:
        write_text(plan_text, plan_out)
    if geojson is not None and map_text is not None:
        write_text(map_text, geojson)
    summary(err, result)
    if out is not None:
        err.print(f"wrote {result.table.height:,} rows to {out}")
    if report_path is not None:
        err.print(f"wrote the report to {report_path}")
    if plan_out is not None:
        err.print(
            f"wrote a draft plan to {plan_out}: assigning the accounts with it reproduces the alignment"
        )
    if geojson is not None:
        err.print(f"wrote a map of the territories to {geojson}")
    left_out = result.inputs.unlocated if result.inputs is not None else None
    write_unlocated(err, left_out, unlocated_out, result.units.noun)


def summary(console: Console, result: BalanceRun) -> None:
    a, territories = result.alignment, result.territories
    balanced = [m for m in a.metrics if m in a.tolerances]
    table = Table(title="Balance by territory")
    table.add_column("territory", overflow="fold")
    named = any(n != t for n, t in zip(result.names, territories.ids, strict=False))
    if named:  # a name that is only the id again says nothing
        table.add_column("name", overflow="fold")
    table.add_column("rep", overflow="fold")
    table.add_column(result.units.noun + "s", justify="right")
    for name in balanced:
        table.add_column(f"{name} (±{a.tolerances[name]:.0%})", justify="right")
    table.add_column("contiguous", justify="center")
    table.add_column("compactness", justify="right")
    counts = np.bincount(a.territory, minlength=len(territories))
    worst = np.argsort(-np.abs(a.deviation).max(axis=1), kind="stable")[:MAX_TERRITORY_ROWS]
    for j in sorted(worst.tolist()):
        cells = []
        for name in balanced:
            col = a.metrics.index(name)
            dev = a.deviation[j, col]
            style = "red" if abs(dev) > a.tolerances[name] + 1e-9 else "green"
            cells.append(f"[{style}]{a.totals[j, col]:,.4g} ({dev:+.1%})[/{style}]")
        table.add_row(
            territories.ids[j],
            *([result.names[j]] if named else []),
            territories.rep_ids[j] or "",
            f"{counts[j]:,}",
            *cells,
            "yes" if a.contiguous[j] else "[red]no[/red]",
            f"{a.compactness[j]:,.1f}",
        )
    console.print(table)
    if len(territories) > MAX_TERRITORY_ROWS:
        console.print(f"(the {MAX_TERRITORY_ROWS} territories furthest from target of {len(territories):,})")
    k = len(territories)
    moved = f"; moved {a.moves:,} of {a.movable:,} ({a.moves / a.movable:.1%}" if a.movable else ""
    if a.movable:
        fewest = a.min_moves_whole if a.min_moves_whole is not None else a.min_moves
        moved += f"; the fewest possible {max(fewest, 0.0) + 0.0:,.0f})" if fewest is not None else ")"
        penalty = result.report["totals"].get("move_penalty", {})
        if penalty.get("source") == "default":
            unit = "km" if result.units.geographic else "distance"
            moved += (
                f"; each move cost {penalty['value']:,.0f} workload × {unit} (the default move penalty: "
                f"95% of {result.units.noun}s cost less where they are, so only the worst placed move "
                "for compactness alone; --move-penalty 0 turns it off)"
            )
    console.print(
        f"{int(a.within.sum())}/{k} within tolerance, {int(a.contiguous.sum())}/{k} contiguous{moved}; "
        f"cost {a.cost:,.6g}, bound {a.bound:,.6g}, gap {a.gap:.2%}; {a.seconds:.1f} s",
        highlight=False,
    )
    for warning in result.warnings:
        console.print(f"[red]warning:[/red] {warning}", highlight=False)
