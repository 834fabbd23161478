"""Rich renderings of results for the terminal (stderr, so stdout can carry CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.domain.assignment import Assignment
from territorial.domain.explanation import Explanation
from territorial.domain.plan import PRIMARY
from territorial.errors import Problem
from territorial.services.assign import Validation
from territorial.services.compare import Comparison
from territorial.services.imports import ImportReport
from territorial.services.reevaluation import Reevaluated
from territorial.services.runs import RunShown
from territorial.services.scoring import PotentialReport, TrainReport
from territorial.services.undo import Undone

MAX_TERRITORY_ROWS = 40
# Past MAX_TERRITORY_ROWS, every territory with no accounts is listed however many there are; the
# largest fill the rest of the table, and at least this many of them are shown beside the empty ones.
MIN_LARGEST_SHOWN = 10


def counted(n: int, noun: str) -> str:
    """`1 account`, `2 accounts`."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural}"


def warnings(console: Console, problems: Sequence[Problem]) -> None:
    for p in problems:
        console.print(f"[yellow]warning[/yellow] {escape(str(p))}", highlight=False, soft_wrap=True)


def assignment_summary(console: Console, result: Assignment) -> None:
    terr, left_out = territories_shown(result.territories)
    has_potential = "potential" in terr.columns  # only when the plan sets `potential:`
    table = Table(title="Assignment by territory", show_lines=False)
    for name, justify in [
        ("layer", "left"),
        ("territory", "left"),
        ("reps", "left"),
        ("accounts", "right"),
        ("workload", "right"),
        *([("potential", "right")] if has_potential else []),
        ("overlapping", "right"),
        ("ties", "right"),
        ("null-skipped", "right"),
    ]:
        # Territory ids and reps wrap inside their cells rather than being cut off.
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in terr.iter_rows(named=True):
        reps = escape(row["reps"]) if row["reps"] else "[red]vacant[/red]"
        table.add_row(
            row["layer"],
            row["territory_id"],
            reps,
            f"{row['accounts']:,}",
            f"{row['workload']:,.0f}",
            *([f"{row['potential']:,.0f}"] if has_potential else []),
            f"{row['overlapping']:,}",
            f"{row['ties']:,}",
            f"{row['null_skipped']:,}",
        )
    console.print(table)
    if left_out:
        console.print(
            f"… {counted(left_out, 'more territory')} not shown (shown: the largest of each layer and "
            "every empty one; --summary FILE lists all)"
        )
    overlapping = int(result.rows.filter(pl.col("overlaps") != "").height)
    console.print(
        f"accounts: {result.accounts:,}   unassigned (primary): {result.unassigned:,}   "
        f"rows with overlaps: {overlapping:,}   ties: {result.ties:,}   "
        f"vacant territories: {len(result.vacant):,}",
        highlight=False,
    )
    if result.vacant:
        more = " …" if len(result.vacant) > 20 else ""
        console.print(f"vacant: {', '.join(result.vacant[:20])}{more}", highlight=False)
    if result.skipped_on_null:
        console.print(
            f"[yellow]{counted(result.skipped_on_null, 'account')} missed at least one territory only "
            "because a field was empty (the rule was UNKNOWN); `territorial explain` shows which[/yellow]"
        )
    if result.null_workload:
        console.print(
            f"[yellow]{counted(result.null_workload, 'account')} with an empty workload, "
            "counted as 0[/yellow]"
        )
    if result.ties:
        console.print("[yellow]ties were decided by plan order: set a priority to decide them[/yellow]")


def territories_shown(territories: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The territories the summary lists, and how many it leaves out. Every one when they fit; past
    MAX_TERRITORY_ROWS, the largest of each layer (primary first) and every empty one, which is
    exactly what a planner must see: one whose reps won no account, or whose rule matches none. A
    parent without reps whose children took all its accounts is not empty: it is how the plan is
    drawn."""
    if territories.height <= MAX_TERRITORY_ROWS:
        return territories, 0
    ordered = territories.sort(
        [pl.col("layer") != PRIMARY, "layer", "accounts"],
        descending=[False, False, True],
        maintain_order=True,
    ).with_row_index("_row")
    won = ordered.get_column("accounts") > 0
    empty = ~won & ((ordered.get_column("reps") != "") | (ordered.get_column("members") == 0))
    largest = max(MAX_TERRITORY_ROWS - int(empty.sum()), MIN_LARGEST_SHOWN)
    # Each layer's largest, then each layer's second largest, and so on: an overlay of a few large
    # territories is not crowded out by a primary layer of hundreds.
    picked = (
        ordered.filter(won)
        .with_columns(pl.int_range(pl.len()).over("layer").alias("_rank"))
        .sort("_rank", "_row")
        .head(largest)
        .get_column("_row")
    )
    shown = ordered.filter(empty | ordered.get_column("_row").is_in(picked.to_list())).drop("_row")
    return shown, territories.height - shown.height


def rep_books(console: Console, books: pl.DataFrame) -> None:
    """Each rep's book per layer, then the reps left with no accounts."""
    if books.is_empty():
        return
    extra = [name for name in ("potential", "pipeline") if name in books.columns]
    table = Table(title="Assignment by rep", show_lines=False)
    for name in ("layer", "rep", "territories", "accounts", "workload", *extra):
        justify = "left" if name in ("layer", "rep", "territories") else "right"
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in books.head(MAX_TERRITORY_ROWS).iter_rows(named=True):
        table.add_row(
            row["layer"],
            escape(row["rep_id"]),
            escape(row["territories"]),
            f"{row['accounts']:,}",
            f"{row['workload']:,.0f}",
            *(f"{row[name]:,.0f}" for name in extra),
        )
    console.print(table)
    if books.height > MAX_TERRITORY_ROWS:
        console.print(f"… {books.height - MAX_TERRITORY_ROWS:,} more reps")
    empty = books.filter(pl.col("accounts") == 0).get_column("rep_id").unique(maintain_order=True)
    if empty.len():
        console.print(f"[yellow]reps with no accounts: {escape(', '.join(empty.to_list()))}[/yellow]")


def explanation(console: Console, result: Explanation) -> None:
    console.print(f"[bold]Account {escape(result.account_id)}[/bold]")
    for visit in result.visits:
        indent = "  " * (visit.depth + 1)
        colour = {"TRUE": "green", "FALSE": "red", "UNKNOWN": "yellow"}[visit.result]
        rule = escape(visit.rule) if visit.rule is not None else "(no rule)"
        console.print(
            f"{indent}{visit.territory_id}: {rule} → [{colour}]{visit.result}[/{colour}]", highlight=False
        )
        for reason in visit.because:
            console.print(f"{indent}    {escape(reason)}", highlight=False)
    console.print("[bold]Resolution[/bold]")
    for line in result.resolution:
        console.print(f"  {escape(line)}", highlight=False)
    if result.live:
        console.print("[bold]Live assignment[/bold]")
        for line in result.live:
            console.print(f"  {escape(line)}", highlight=False)


def validation(console: Console, result: Validation) -> None:
    warnings(console, result.warnings)
    verdict = (
        f"[yellow]{counted(result.unassigned, 'account')} unassigned[/yellow] (no primary territory matches)"
        if result.unassigned
        else "[green]ok[/green]"
    )
    console.print(
        f"{verdict}: {counted(len(result.plan.territories), 'territory')} in "
        f"{counted(len(result.plan.layers), 'layer')} ({', '.join(result.plan.layers)})"
    )
    if result.overlaps is not None:
        if result.overlaps.height:
            console.print(f"{result.overlaps.height} pairs of territories match the same accounts:")
            for row in result.overlaps.head(50).iter_rows(named=True):
                console.print(
                    f"  {row['layer']}: {row['territory_a']} & {row['territory_b']}: "
                    f"{counted(row['accounts'], 'account')}",
                    highlight=False,
                )
        else:
            console.print("no overlapping territories")
    if result.skipped_on_null:
        console.print(
            f"[yellow]{counted(result.skipped_on_null, 'account')} missed at least one territory "
            "only because a field was empty (the rule was UNKNOWN)[/yellow]"
        )
    if result.plan.checks:  # validate reads the plan; only `plan check` assigns it to run them
        console.print(
            f"the plan has {counted(len(result.plan.checks), 'check')}: `territorial plan check` runs them",
            highlight=False,
        )


def plans(console: Console, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        console.print("no plans yet; `territorial plan add PLAN.yaml` stores one")
        return
    table = Table(title="Plans")
    for name in ("plan_id", "name", "file_name", "state", "effective", "created_at"):
        table.add_column(name, overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console.print(table)


def undone(console: Console, done: Undone, undid: int | None) -> None:
    """What `import undo` or `deactivate` did, kept as an import of its own."""
    what = f"undo of import {undid}" if undid is not None else "deactivate"
    parts = [f"{done.deactivated:,} {done.entity.value} marked inactive"]
    if done.already_inactive:
        shown = ", ".join(done.already_inactive[:10])
        more = f" and {len(done.already_inactive) - 10:,} more" if len(done.already_inactive) > 10 else ""
        parts.append(f"already inactive: {shown}{more}")
    if undid is not None:
        parts.append(f"{done.restored:,} values set back")
        if done.kept:
            parts.append(f"{done.kept:,} values kept as a later import changed them")
        if done.left_active:
            shown = ", ".join(done.left_active[:10])
            more = f" and {len(done.left_active) - 10:,} more" if len(done.left_active) > 10 else ""
            parts.append(
                f"{len(done.left_active):,} {done.entity.value} it created left active as a later "
                f"import changed them: {shown}{more} (`territorial deactivate {done.entity.value} "
                "ID...` takes them out)"
            )
        if done.custom_kept:
            parts.append(f"{done.custom_kept:,} custom-field changes kept (re-import the earlier file)")
    console.print(f"import {done.import_id} ({what}): " + "; ".join(parts) + "; nothing deleted")
    live_changes(console, done.live)


# How many accounts whose CRM owner is outside their pool an import names.
DRIFT_SHOWN = 10


def live_changes(console: Console, live: Reevaluated | None) -> None:
    """What an import of accounts changed in the live assignment while a plan is active, and the
    accounts whose new CRM owner is outside their pool (their live rep stays)."""
    if live is None:
        return
    console.print(
        f"live assignment: {counted(live.accounts, 'account')} re-evaluated, "
        f"{counted(live.changed, 'row')} changed territory or rep",
        highlight=False,
    )
    if live.drift:
        shown = ", ".join(
            f"{escape(d.account_id)} (CRM {escape(d.crm_owner_id or '')}, live {escape(d.rep_id or 'none')} "
            f"in {escape(d.territory_id or 'no territory')})"
            for d in live.drift[:DRIFT_SHOWN]
        )
        more = f" and {len(live.drift) - DRIFT_SHOWN:,} more" if len(live.drift) > DRIFT_SHOWN else ""
        console.print(
            f"[yellow]{counted(len(live.drift), 'account')}: the CRM owner is a rep outside the pool, so "
            f"the live rep stays (the next delta export sets it back): {shown}{more}[/yellow]",
            highlight=False,
        )


def runs(console: Console, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        console.print("no assignment runs yet; `territorial assign --plan ID` makes one")
        return
    table = Table(title="Assignment runs")
    for name in frame.columns:
        table.add_column(
            name, overflow="fold", justify="right" if frame.schema[name].is_integer() else "left"
        )
    for row in frame.iter_rows():
        table.add_row(
            *(
                "" if v is None else escape(f"{v:%Y-%m-%d %H:%M}" if name == "started_at" else str(v))
                for name, v in zip(frame.columns, row, strict=True)
            )
        )
    console.print(table)


def run_shown(console: Console, shown: RunShown) -> None:
    info = shown.info
    plan = f"plan {info.plan_id}" + (f" ({escape(shown.plan_name)})" if shown.plan_name else "")
    console.print(
        f"run {info.run_id}: {plan}, {info.started_at:%Y-%m-%d %H:%M}"
        + (f" by {escape(info.actor)}" if info.actor else "")
        + f"; {info.accounts:,} accounts, {info.unassigned:,} unassigned, {info.ties:,} ties",
        highlight=False,
    )
    table = Table(title=f"Run {info.run_id} by territory and rep")
    for name in ("layer", "territory", "rep", "accounts", "workload"):
        table.add_column(
            name, overflow="fold", justify="right" if name in ("accounts", "workload") else "left"
        )
    for row in shown.by_territory.iter_rows(named=True):
        territory = (
            escape(row["territory_id"]) if row["territory_id"] is not None else "[red]unassigned[/red]"
        )
        rep = (
            escape(row["rep_id"])
            if row["rep_id"] is not None
            else ("[red]vacant[/red]" if row["territory_id"] else "")
        )
        table.add_row(row["layer"], territory, rep, f"{row['accounts']:,}", f"{row['workload']:,.0f}")
    console.print(table)


def found_accounts(console: Console, frame: pl.DataFrame, text: str) -> None:
    if frame.height == 0:
        console.print(f"no active account's name or website holds {escape(repr(text))}", highlight=False)
        return
    table = Table(title=f"Accounts matching {escape(repr(text))}")
    for name in frame.columns:
        table.add_column(name, overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    console.print(table)


def import_report(console: Console, report: ImportReport) -> None:
    console.print(
        f"import {report.import_id}: {counted(report.rows_read, 'row')} read from {escape(report.file)}; "
        f"{report.inserted:,} new, {report.updated:,} changed, {report.unchanged:,} unchanged"
        + (f", {report.deactivated:,} marked inactive" if report.deactivated else "")
        + (f", {report.rejected:,} rejected" if report.rejected else ""),
        highlight=False,
    )
    live_changes(console, report.live)
    warnings(console, report.warnings)
    if report.normalized_cells:
        console.print(
            f"{counted(report.normalized_cells, 'value')} normalised (countries, states, ZIPs, ...)"
        )
    for left in report.left:  # roster reps it set inactive: each one a `rep leave` today
        console.print(
            f"{escape(left.change.event())} (set inactive): {counted(left.changed, 'live row')} moved"
            + "".join(f"; {escape(line)}" for line in left.vacant),
            highlight=False,
        )
    if report.null_words:
        columns = ", ".join(f"{column} {n:,}" for column, n in report.null_words.items())
        console.print(
            f"{counted(sum(report.null_words.values()), 'cell')} read as empty for holding a null word "
            f"(N/A, -, null...) in a column of numbers, dates or booleans: {escape(columns)}",
            highlight=False,
        )
    if report.rejects_file is not None:
        console.print(f"[yellow]rejected rows and why: {escape(str(report.rejects_file))}[/yellow]")
    if report.footer_rows:
        console.print(f"skipped {counted(report.footer_rows, 'footer line')} of a report (Grand Totals, ...)")
    if report.core_fields == 0:
        console.print(
            f"[yellow]warning: no {report.entity.value} field but the id was filled from this file "
            "(every other column is kept as a custom field); give --mapping salesforce, hubspot or a "
            "mapping file[/yellow]"
        )
    if report.owner_names_unmatched:
        names = sorted(report.owner_names_unmatched.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{escape(name)} ({n:,})" for name, n in names[:5])
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        total = sum(report.owner_names_unmatched.values())
        console.print(
            f"[yellow]warning: {counted(total, 'account')} {'names' if total == 1 else 'name'} an "
            f"owner who is no rep in the workspace (import reps first): {shown}{more}; "
            f"{'its' if total == 1 else 'their'} owner_id is empty[/yellow]"
        )
    if report.owner_names_ambiguous:
        names = sorted(report.owner_names_ambiguous.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{escape(name)} ({n:,})" for name, n in names)
        console.print(
            f"[yellow]warning: {counted(sum(report.owner_names_ambiguous.values()), 'account')} name an "
            f"owner several reps answer to, not guessed (their owner_id is empty): {shown}[/yellow]"
        )
    if report.ignored_columns:
        console.print(
            "columns not imported (the mapping does not use them): "
            + escape(", ".join(report.ignored_columns))
        )
    # Said only when the import had to locate accounts: a file with every coordinate has no news.
    if report.location is not None and report.location["coordinates"] < sum(report.location.values()):
        console.print(located_accounts(report.location, report.unlocated_ids), highlight=False)
    if report.unrecognized.height:
        shown = ", ".join(
            f"{column} {value!r} ({rows:,})"
            for column, value, rows in report.unrecognized.head(8).iter_rows()
        )
        console.print(f"[yellow]kept as given, not recognised: {escape(shown)}[/yellow]")


def located_accounts(counts: dict[str, int], unlocated_ids: list[str]) -> str:
    """`accounts located: 5,601 by coordinates, 0 by ZIP code, 400 by city and state; 12 not
    located: A-1, ... and 2 more`."""
    text = (
        f"accounts located: {counts['coordinates']:,} by coordinates, {counts['zip']:,} by ZIP code, "
        f"{counts['city_state']:,} by city and state"
    )
    missing = counts["unlocated"]
    if missing:
        more = f" and {missing - len(unlocated_ids):,} more" if missing > len(unlocated_ids) else ""
        text += f"; [yellow]{missing:,} not located: {escape(', '.join(unlocated_ids))}{more}[/yellow]"
    return text


def training(console: Console, report: TrainReport, out: Path) -> None:
    console.print(
        f"model {report.version} ({report.estimator}) trained on {report.rows:,} rows, "
        f"{report.positives:,} converted; saved to {escape(str(out))}",
        highlight=False,
    )
    console.print(
        f"cross-validated ROC AUC {report.roc_auc:.4f}   PR AUC {report.pr_auc:.4f}", highlight=False
    )
    if report.too_good is not None:
        console.print(f"[yellow]warning[/yellow]: {escape(report.too_good)}", highlight=False)
    over_time = report.time_validation
    if over_time is not None:
        console.print(
            f"over time ROC AUC {over_time.roc_auc:.4f}: trained on the {over_time.trained:,} rows with "
            f"{escape(over_time.column)} up to {over_time.last_trained}, tested on the {over_time.tested:,} "
            "newer ones",
            highlight=False,
        )
    if report.excluded:
        console.print(f"excluded: {escape(', '.join(report.excluded))}")
    console.print(f"features used: {escape(', '.join(report.features))}", highlight=False)
    for column, why in report.why_dropped.items():
        console.print(f"not used: {escape(column)}: {escape(why)}", highlight=False)
    _figures(console, "Calibration (out-of-fold)", report.calibration)
    if report.grades.height:
        # The title stays short: rich wraps a long one over the table's width in a narrow terminal.
        _figures(console, "Grades (out-of-fold)", report.grades)
        console.print(GRADES_MEANING, highlight=False)
    if report.thresholds.height:
        _figures(console, "Suggested fit_threshold (leads scoring below it go to nurture)", report.thresholds)


GRADES_MEANING = (
    "grades: A is the top 10% of the history's scores, B the next 20%, C the next 30%, D the rest"
)


def _figures(console: Console, title: str, frame: pl.DataFrame) -> None:
    """A table of figures: fractions with three decimals, the rest as they are."""
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, justify="right")
    for row in frame.iter_rows():
        table.add_row(
            *(f"{v:.3f}" if isinstance(v, float) else "" if v is None else escape(str(v)) for v in row)
        )
    console.print(table)


def telling_columns(console: Console, telling: Sequence[str]) -> None:
    """Warn of columns that alone tell converted from lost: a model that reads the outcome scores
    the history perfectly and new leads, which do not have it yet, badly."""
    if telling:
        console.print(
            f"[yellow]warning[/yellow]: {', '.join(escape(name) for name in telling)} alone "
            f"tell{'s' if len(telling) == 1 else ''} converted leads from lost ones: such columns are "
            "usually filled in after the outcome (a status, or details known only for customers), so "
            "new leads will not score as the history does; leave them out with --exclude-columns",
            highlight=False,
        )


def no_signal(console: Console, warning: str | None) -> None:
    if warning is not None:
        console.print(
            f"[yellow]warning[/yellow]: {escape(warning)}; saved because of --force", highlight=False
        )


def potential_training(console: Console, report: PotentialReport, out: Path) -> None:
    console.print(
        f"potential model {report.version} ({report.estimator}) trained on {report.rows:,} rows "
        f"(average {escape(report.target)} {report.target_mean:,.2f}); saved to {escape(str(out))}",
        highlight=False,
    )
    console.print(
        f"cross-validated R² {report.r2:.4f}   mean absolute error {report.mae:,.2f}   ("
        + ", ".join(f"{name} R² {r2:.4f}" for name, r2 in report.candidate_r2.items())
        + ")",
        highlight=False,
    )
    console.print(f"features: {escape(', '.join(report.features))}", highlight=False)
    if report.excluded:
        console.print(f"excluded: {escape(', '.join(report.excluded))}", highlight=False)
    if report.dropped:
        console.print(f"not used (identifier or constant): {escape(', '.join(report.dropped))}")


def comparison(console: Console, result: Comparison) -> None:
    """`plan compare`: the moves by from/to territory and rep, each rep's gains and losses,
    continuity and balance."""
    a, b = result.plan_a, result.plan_b
    console.print(
        f"[bold]Plan {a} → plan {b}[/bold]: {result.movers.height:,} moving rows "
        "(an account in a layer whose territory or rep changes)",
        highlight=False,
    )
    if result.moves.height:
        table = Table(title="Moves")
        for name in ("layer", "from territory", "from rep", "to territory", "to rep", "accounts"):
            table.add_column(name, justify="right" if name == "accounts" else "left", overflow="fold")
        for row in result.moves.head(MAX_TERRITORY_ROWS).iter_rows(named=True):
            table.add_row(
                row["layer"],
                *(escape(row[k] or "-") for k in ("from_territory", "from_rep", "to_territory", "to_rep")),
                f"{row['accounts']:,}",
            )
        console.print(table)
        if result.moves.height > MAX_TERRITORY_ROWS:
            console.print(f"… {result.moves.height - MAX_TERRITORY_ROWS:,} more moves")
    if result.reps.height:
        table = Table(title="Gains and losses by rep")
        columns = ["layer", "rep", f"accounts in {a}", f"accounts in {b}", "gained", "lost"]
        columns += ["workload +/-", "potential +/-", "pipeline +/-"]
        for name in columns:
            table.add_column(name, justify="left" if name in ("layer", "rep") else "right", overflow="fold")
        for row in result.reps.head(MAX_TERRITORY_ROWS).iter_rows(named=True):
            table.add_row(
                row["layer"],
                escape(row["rep_id"]),
                *(f"{row[k]:,}" for k in ("accounts_a", "accounts_b", "gained", "lost")),
                *(
                    f"+{row[f + '_gained']:,.0f} / -{row[f + '_lost']:,.0f}"
                    for f in ("workload", "potential", "pipeline")
                ),
            )
        console.print(table)
        if result.reps.height > MAX_TERRITORY_ROWS:
            console.print(f"… {result.reps.height - MAX_TERRITORY_ROWS:,} more reps")
    continuity = (
        "n/a (no account has a primary rep in plan {a})"
        if result.continuity is None
        else f"{result.continuity:.1%}"
    )
    console.print(
        f"continuity: {continuity} of the accounts with a primary rep keep that rep", highlight=False
    )
    for plan_id, balance in ((a, result.balance_a), (b, result.balance_b)):
        figures = (
            "no workload"
            if balance.cv is None or balance.max_over_mean is None
            else f"CV {balance.cv:.3f}, max/mean {balance.max_over_mean:.3f}"
        )
        console.print(
            f"balance in plan {plan_id}: {figures} over {counted(balance.reps, 'rep')} "
            f"(workload as plan {b} defines it)",
            highlight=False,
        )
