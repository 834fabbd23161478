"""Rich renderings of lead routing: the batch summary, a lead's decision path, the fairness report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.domain.leads import Outcome, Routed

if TYPE_CHECKING:
    from territorial.domain.stored import StoredDecision

MAX_FAIRNESS_ROWS = 60
CRM_OUTCOMES = (Outcome.OWNED, Outcome.SKIPPED)


def batch_summary(console: Console, decisions: Sequence[Routed]) -> None:
    counts = Counter(d.outcome for d in decisions if not d.already_routed)
    kept = sum(d.already_routed for d in decisions)
    table = Table(title=f"Routed {len(decisions) - kept:,} leads")
    table.add_column("decision")
    table.add_column("leads", justify="right")
    table.add_column("meaning")
    meaning = {
        Outcome.MATCHED: "to the owner of the lead's account",
        Outcome.ROUTED: "to a territory rep by weighted round robin",
        Outcome.DUPLICATE: "same email within the window: same rep again",
        Outcome.NURTURE: "disqualified: in the nurture queue, not sent to a rep",
        Outcome.FALLBACK: "no rep could take it: territory manager or fallback queue",
        Outcome.OWNED: "the CRM already gives it to a rep who takes leads: kept",
        Outcome.SKIPPED: "converted, or a customer or opportunity in the CRM: not routed",
    }
    for outcome in Outcome:
        if outcome in CRM_OUTCOMES and not counts.get(outcome):
            continue  # only files that carry the CRM's owner or conversion can have these
        table.add_row(outcome.value, f"{counts.get(outcome, 0):,}", meaning[outcome])
    if kept:
        table.add_row("already routed", f"{kept:,}", "routed before: kept its stored decision")
    console.print(table)
    strangers = sorted(
        {
            step.inputs.removeprefix("owner ")
            for d in decisions
            if not d.already_routed
            for step in d.path
            if step.step == "CRM owner" and step.outcome.startswith("not a rep")
        }
    )
    if strangers:
        shown = ", ".join(escape(name) for name in strangers[:5]) + (", …" if len(strangers) > 5 else "")
        console.print(
            f"[yellow]{len(strangers):,} CRM owner{'' if len(strangers) == 1 else 's'} of these leads "
            f"{'is' if len(strangers) == 1 else 'are'} no rep here[/yellow] ({shown}): their leads were "
            "routed as unowned. Import those users as reps (active: no for people who left) if their "
            "leads should stay theirs.",
            highlight=False,
        )


def unused_columns(console: Console, unused: Sequence[str], read: Sequence[str], mapped: bool) -> None:
    """Name the file's columns routing never looked at: a state column under a name no rule reads
    sends leads to the fallback queue with no other sign."""
    if not unused:
        return
    console.print(
        f"[yellow]{len(unused):,} column{'' if len(unused) == 1 else 's'} of the leads file "
        f"{'is' if len(unused) == 1 else 'are'} not used by routing:[/yellow] "
        + ", ".join(escape(name) for name in unused),
        highlight=False,
    )
    # With --mapping given, the way out is a column the mapping does not know: rename it (or add it
    # to a mapping file); without, a CRM export most likely wants --mapping.
    hint = (
        "rename a column to one of these"
        if mapped
        else "give --mapping for a CRM export, or rename a column to one of these"
    )
    console.print("routing reads " + ", ".join(escape(name) for name in read) + "; " + hint, highlight=False)


def decision_path(console: Console, decision: StoredDecision) -> None:
    who = decision.rep_id or (f"queue {decision.queue}" if decision.queue else "nobody")
    console.print(
        f"[bold]lead {escape(decision.lead_id)}[/bold] on {decision.lead_day.isoformat()}: "
        f"[bold]{decision.decision}[/bold] → {escape(who)}"
        + (f" (territory {escape(decision.territory_id)})" if decision.territory_id else ""),
        highlight=False,
    )
    console.print(
        f"routing run {decision.route_run_id}, plan {escape(decision.plan_name)}, "
        f"from {escape(decision.source)}",
        highlight=False,
    )
    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("inputs", overflow="fold")
    table.add_column("outcome", overflow="fold")
    for number, step in enumerate(decision.path, start=1):
        table.add_row(str(number), step["step"], escape(step["inputs"]), escape(step["outcome"]))
    console.print(table)
    console.print(f"reason: {escape(decision.reason)}", highlight=False, soft_wrap=True)


def fairness(console: Console, report: pl.DataFrame, period: str) -> None:
    table = Table(title=f"Round-robin fairness, {period}")
    for name in ("territory", "rep", "weight share", "leads", "lead share", "vs share", "expected value"):
        table.add_column(name, justify="left" if name in ("territory", "rep") else "right")
    for row in report.head(MAX_FAIRNESS_ROWS).iter_rows(named=True):
        table.add_row(
            escape(row["territory_id"]),
            escape(row["rep_id"]),
            f"{row['weight_share']:.1%}",
            f"{row['leads']:,}",
            f"{row['lead_share']:.1%}",
            f"{row['leads_vs_share']:+.1f}",
            f"{row['expected_value']:,.2f}",
        )
    console.print(table)
    if report.height > MAX_FAIRNESS_ROWS:
        console.print(f"… {report.height - MAX_FAIRNESS_ROWS:,} more rows; --out writes them all")
    if report.height == 0:
        console.print("no leads were shared by round robin in this period")
