"""`territorial plan impact A B`: the expected bookings difference between two plans, its bootstrap
interval, and where the selling effort moves, in words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import console as out_console
from territorial.cli.app import context_of, err, handled, workspace_of
from territorial.cli.coverage import write_all
from territorial.cli.plans import PlanId, plan_app
from territorial.cli.progress import stage_bar
from territorial.cli.render import counted, warnings
from territorial.errors import BadInput
from territorial.services.impact import ACCOUNT, BY, DEFAULT_SEED, TERRITORY, ImpactReport, plan_impact
from territorial.services.plans import stored_plan_id

TOP = 3  # territories listed as gaining and as losing the most expected bookings


@plan_app.command("impact")
@handled
def plan_impact_command(
    ctx: typer.Context,
    plan_a: PlanId,
    plan_b: Annotated[str, typer.Argument(help="The plan to estimate against it: an id, or `active`.")],
    seed: Annotated[
        int, typer.Option("--seed", help=f"Seed of the bootstrap over accounts (default {DEFAULT_SEED}).")
    ] = DEFAULT_SEED,
    potential: Annotated[
        str | None,
        typer.Option(
            "--potential", help="An account number field to read potential from (default: the plan's)."
        ),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option(
            "--segment", help="The account field with one response curve per value (default segment)."
        ),
    ] = None,
    default_curves: Annotated[
        bool,
        typer.Option("--default-curves", help="Use the default curves even where history could fit one."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the figures here (.csv, .parquet or .xlsx).")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="What --out holds a row for: territory (the default) or account.")
    ] = TERRITORY,
) -> None:
    """The expected bookings of plan B minus plan A (B as activating it now would make it): each
    account's baseline times its segment's ADBUDG response to the effort its rep can give it, with a
    bootstrap interval over accounts, and where the effort moves."""
    wanted = by.strip().lower()
    if wanted not in BY:
        raise BadInput.at(f"--by is territory or account, not '{by}'", "--by")
    workspace = workspace_of(ctx)
    a, b = stored_plan_id(workspace, plan_a, "PLAN_A"), stored_plan_id(workspace, plan_b, "PLAN_B")
    with stage_bar(err) as progress:
        report = plan_impact(
            workspace, context_of(ctx), a, b, seed, potential, segment, not default_curves, progress
        )
    console = out_console()
    warnings(console, report.warnings)
    _summary(console, report)
    _segments(console, report)
    _explanation(console, report)
    frame = report.accounts if wanted == ACCOUNT else report.territories
    write_all([(out, frame, "accounts" if wanted == ACCOUNT else "territories")])


def _money(value: float, signed: bool = False) -> str:
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def _summary(console: Console, report: ImpactReport) -> None:
    console.print(
        f"[bold]Expected bookings per year, plan {report.plan_b} against plan {report.plan_a}[/bold]",
        highlight=False,
    )
    console.print(f"plan {report.plan_a}: {_money(report.expected_a)}", highlight=False)
    console.print(f"plan {report.plan_b}: {_money(report.expected_b)}", highlight=False)
    console.print(
        f"difference (B - A): {_money(report.difference, True)}, {report.interval:.0%} interval "
        f"[{_money(report.low, True)}, {_money(report.high, True)}] "
        f"({report.resamples} resamples of the accounts, seed {report.seed})",
        highlight=False,
        markup=False,
    )
    console.print(
        "The interval covers only which accounts the book happens to hold: it does not cover the choice "
        "of response model or its parameters.",
        highlight=False,
    )
    console.print(f"baseline: {escape(report.baseline)}", highlight=False)
    for note in report.notes:
        console.print(f"note: {escape(note)}", highlight=False)


def _segments(console: Console, report: ImpactReport) -> None:
    figures = {row[0]: row for row in report.by_segment.iter_rows()}
    table = Table(title="response by segment: c + (b - c) · e^g / (d + e^g), e the effort index")
    for header in ("segment", "accounts", "booked", "c", "b", "d", "g", "curve", "difference"):
        table.add_column(header, justify="left" if header in ("segment", "curve") else "right")
    for model in report.segments:
        r = model.response
        difference = figures[model.segment][4] if model.segment in figures else 0.0
        table.add_row(
            escape(model.segment),
            f"{model.accounts:,}",
            f"{model.booked:,}",
            f"{r.floor:.2f}",
            f"{r.ceiling:.2f}",
            f"{r.half:.2f}",
            f"{r.shape:.2f}",
            f"fitted on {model.accounts:,}" if model.fitted else "default",
            _money(difference, True),
        )
    console.print(table)


def _explanation(console: Console, report: ImpactReport) -> None:
    """Where the effort moves, in words: from saturated accounts to under-covered ones, and the
    territories gaining and losing the most."""
    shifts = report.shifts
    if not shifts:
        console.print("No account's selling effort changes: the plans give the same expected bookings.")
        return
    for shift in shifts:
        verb, band, share = (
            ("gain", f"under-covered (below {report.under_covered:g})", shift.under_covered)
            if shift.gains
            else ("lose", f"saturated (above {report.saturated:g})", shift.saturated)
        )
        console.print(
            f"{counted(shift.accounts, 'account')} {verb + 's' if shift.accounts == 1 else verb} selling "
            f"effort: median {shift.effort_before:.2f} → {shift.effort_after:.2f} of a fair share, "
            f"{share:.0%} of them {band} in plan {report.plan_a}; expected bookings "
            f"{_money(shift.expected_change, True)}.",
            highlight=False,
        )
    net = sum(shift.expected_change for shift in shifts)
    if net > 0:
        console.print(
            "Net gain: the effort moved earns more where it goes than it cost where it left, since "
            "accounts near saturation give up little when they lose effort.",
            highlight=False,
        )
    elif net < 0:
        console.print(
            "Net loss: the accounts losing effort respond to it more than those gaining it (they are "
            "further from saturation, or hold more baseline).",
            highlight=False,
        )
    ranked = report.territories.filter(report.territories.get_column("difference") != 0)
    gaining = ranked.filter(ranked.get_column("difference") > 0).sort(
        ["difference", "territory_id"], descending=[True, False]
    )
    losing = ranked.filter(ranked.get_column("difference") < 0).sort(["difference", "territory_id"])
    for words, part in (("gaining", gaining), ("losing", losing)):
        if part.is_empty():
            continue
        listed = ", ".join(
            f"{escape(str(row['territory_id']))} {_money(row['difference'], True)} "
            f"(effort {_effort(row['effort_a'])} → {_effort(row['effort_b'])})"
            for row in part.head(TOP).iter_rows(named=True)
        )
        console.print(f"territories {words} the most: {listed}", highlight=False)


def _effort(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
