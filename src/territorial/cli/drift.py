"""`territorial drift`: today's territories against the assignment as it was made, CRM owners moved
outside the pool, and the rebalance to run when figures drifted past the threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import CHECK_FAILED, app, console, context_of, err, handled, workspace_of
from territorial.cli.coverage import write_all
from territorial.cli.render import counted, warnings
from territorial.services.drift import drift

SHOWN = 20  # figures and segment counts listed in the terminal; --out writes every figure
NO_REPS = "(the workspace has no reps: give them in a file, or import them)"
SHOWN_OWNERS = 5  # accounts whose CRM owner is not the live rep; --owners-out writes them all


@app.command("drift")
@handled
def drift_command(
    ctx: typer.Context,
    run: Annotated[
        int | None,
        typer.Option("--run", help="Compare with a stored run (default: the active plan's activation)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", help="How far workload or potential may move: 0.10 is ±10% (the default)."
        ),
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 3 when a territory drifted past the threshold.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every territory's figures to this file.")
    ] = None,
    owners_out: Annotated[
        Path | None,
        typer.Option("--owners-out", help="Write the accounts whose CRM owner is not their live rep here."),
    ] = None,
) -> None:
    """How far each territory's workload, potential, account and segment counts moved since the
    activation (or run), the accounts whose CRM owner is a rep outside the pool, and the rebalance
    to run past the threshold."""
    with err.status("Computing drift…") as status:
        report = drift(
            workspace_of(ctx), context_of(ctx), run, threshold, progress=lambda s, _f: status.update(f"{s}…")
        )
    out_console = console()
    out_console.print(
        f"[bold]Drift since {escape(report.described)}[/bold], threshold ±{report.threshold:.0%}",
        highlight=False,
    )
    warnings(out_console, report.warnings)
    moved = report.moved
    if moved.is_empty():
        out_console.print("no territory's accounts, workload or potential changed", highlight=False)
    else:
        more = moved.height - SHOWN
        table = Table(title=f"the {SHOWN} figures that moved most, of {moved.height:,}" if more > 0 else None)
        for header in ("territory", "measure", "then", "now", "change", ""):
            table.add_column(header, justify="left" if header in ("territory", "measure") else "right")
        for t, m, then, now, change, past in moved.head(SHOWN).iter_rows():
            table.add_row(
                escape(t),
                m,
                f"{then:,.0f}",
                f"{now:,.0f}",
                "new" if change is None else f"{change:+.1%}",
                "[red]past threshold[/red]" if past else "",
            )
        out_console.print(table)
    segments = report.segments_moved
    for t, m, then, now, _c, _p in segments.head(SHOWN).iter_rows():
        out_console.print(f"{escape(t)}: {escape(m)} accounts {then:,.0f} → {now:,.0f}", highlight=False)
    if segments.height > SHOWN:
        out_console.print(f"… {segments.height - SHOWN:,} more segment counts changed", highlight=False)
    changes = report.workload_changes
    if changes.height:
        out_console.print(
            f"workload changed in {changes.height:,} territories since then (a workload change moves nobody)",
            highlight=False,
        )
    if report.owners:
        shown = [
            f"{escape(o.account_id)} (CRM {escape(o.crm_owner_id or '—')}, live {escape(o.rep_id or '—')}"
            f" in {escape(o.territory_id or '—')})"
            for o in report.owners[:SHOWN_OWNERS]
        ]
        more = len(report.owners) - len(shown)
        out_console.print(
            f"{counted(len(report.owners), 'account')}: the CRM owner is not the live rep, who stays "
            "(the next delta export sets the CRM back): "
            + ", ".join(shown)
            + (f", … {more:,} more (--owners-out writes them all)" if more > 0 else ""),
            highlight=False,
        )
    command = report.rebalance
    if command is None:
        out_console.print(f"no territory drifted past ±{report.threshold:.0%}: no rebalance needed")
    else:
        out_console.print(
            f"{counted(report.drifted.height, 'territory figure')} drifted past ±{report.threshold:.0%}; "
            f"a rebalance is recommended:\n  {command}" + ("" if report.has_reps else f"\n{NO_REPS}"),
            highlight=False,
        )
    write_all([(out, report.table, "rows"), (owners_out, report.owners_table, "accounts")])
    if command is not None and fail_on_drift:
        raise typer.Exit(CHECK_FAILED)
