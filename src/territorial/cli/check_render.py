"""A failed plan check as `plan check` and `plan activate` show it: the check, its rule as written,
and each failed row with the figures its rule reads."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from territorial.domain.plan import PRIMARY
from territorial.domain.plan_checks import COUNTS, CheckOutcome, CheckOver

# Failed rows listed per check; a check failing on every territory of a large plan lists the first.
MAX_FAILED_ROWS = 20


def failures(out: Console, outcome: CheckOutcome) -> None:
    """The failed check, its rule as written, and each failed row with the figures the rule reads."""
    check = outcome.check
    out.print(
        f"[red]FAIL[/red] {escape(check.name)} (over {check.over}, line {check.line}): "
        f"{escape(check.source.text)}",
        highlight=False,
    )
    for row in outcome.failed.head(MAX_FAILED_ROWS).iter_rows(named=True):
        # Every column the rule reads, its text ones too: a row failing `layer != 'primary'` shows why.
        figures = ", ".join(f"{name} {_figure(name, row[name])}" for name in check.reads)
        line = f"  {_row_name(check.over, row)}: {figures + ' ' if figures else ''}→ {row['verdict']}"
        out.print(escape(line), highlight=False)
    if outcome.failed.height > MAX_FAILED_ROWS:
        out.print(f"  … and {outcome.failed.height - MAX_FAILED_ROWS:,} more", highlight=False)


def _row_name(over: CheckOver, row: dict[str, object]) -> str:
    if over is CheckOver.PLAN:
        return "the plan"
    name = str(row["territory_id"] if over is CheckOver.TERRITORY else row["rep_id"])
    return name if row["layer"] == PRIMARY else f"{name} ({row['layer']})"


def _figure(name: str, value: object) -> str:
    """A figure as the failure shows it: empty (NULL), text quoted as a rule writes it, TRUE or
    FALSE, a count, or a number without trailing zeros."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if name in COUNTS:
        return f"{int(value):,}"  # type: ignore[call-overload]
    return f"{float(value):,.6f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
