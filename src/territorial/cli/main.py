"""Entry point of the `territorial` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from territorial.cli import render
from territorial.errors import BadInput
from territorial.io.output import write_table, write_text
from territorial.services import assign as assign_service

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Sales territory management.")
generate_app = typer.Typer(no_args_is_help=True, help="Generate realistic sample data.")
app.add_typer(generate_app, name="generate")

err = Console(stderr=True)
T = TypeVar("T")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def run(step: Callable[[], T]) -> T:
    """Run a command body, turning bad input into exit 2 and anything unexpected into exit 1."""
    try:
        return step()
    except BadInput as problem:
        err.print(f"[red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, BrokenPipeError):
        raise
    except Exception as unexpected:
        err.print(
            f"[red]internal error:[/red] {type(unexpected).__name__}: {escape(str(unexpected))}",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


PlanArg = Annotated[Path, typer.Argument(help="Plan YAML file.")]
AccountsOpt = Annotated[Path, typer.Option("--accounts", help="Accounts CSV or Parquet.")]


@app.command()
def assign(
    plan: PlanArg,
    accounts: AccountsOpt,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, name, email, active.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Result file (.csv or .parquet); stdout if left out.")
    ] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Write the per-territory summary here.")
    ] = None,
) -> None:
    """Assign every account to its territory and rep, with overlaps, ties and reasons."""

    def body() -> None:
        with err.status("Starting…") as status:
            result = assign_service.assign_files(plan, accounts, reps, stage=lambda s: status.update(f"{s}…"))
            status.update(f"Writing {result.assignment.rows.height:,} rows…")
            write_table(result.assignment.rows, out)
            if summary is not None:
                write_table(result.assignment.territories, summary)
        render.warnings(err, result.warnings)
        render.assignment_summary(err, result.assignment)
        if out is not None:
            err.print(f"wrote {result.assignment.rows.height:,} rows to {out}")

    run(body)


@app.command()
def explain(
    plan: PlanArg,
    accounts: AccountsOpt,
    account: Annotated[str, typer.Option("--account", help="The account_id to explain.")],
) -> None:
    """Walk the plan for one account: each rule's result, why, and how the winner was chosen."""

    def body() -> None:
        with err.status("Starting…") as status:
            result = assign_service.explain_account(
                plan, accounts, account, stage=lambda s: status.update(f"{s}…")
            )
        render.explanation(Console(), result)

    run(body)


@app.command()
def validate(
    plan: PlanArg,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Check against this file too.")] = None,
) -> None:
    """Check a plan (and its fields against an accounts file); list overlaps and warnings."""

    def body() -> None:
        with err.status("Starting…") as status:
            result = assign_service.validate_files(plan, accounts, stage=lambda s: status.update(f"{s}…"))
        console = Console()
        render.warnings(console, result.warnings)
        console.print(
            f"[green]ok[/green]: {render.counted(len(result.plan.territories), 'territory')} in "
            f"{render.counted(len(result.plan.layers), 'layer')} ({', '.join(result.plan.layers)})"
        )
        if result.overlaps is not None:
            if result.overlaps.height:
                console.print(f"{result.overlaps.height} pairs of territories match the same accounts:")
                for row in result.overlaps.head(50).iter_rows(named=True):
                    console.print(
                        f"  {row['layer']}: {row['territory_a']} & {row['territory_b']}: "
                        f"{render.counted(row['accounts'], 'account')}",
                        highlight=False,
                    )
            else:
                console.print("no overlapping territories")
        if result.skipped_on_null:
            console.print(
                f"[yellow]{render.counted(result.skipped_on_null, 'account')} missed at least one territory "
                "only because a field was empty (the rule was UNKNOWN)[/yellow]"
            )

    run(body)


@generate_app.command("accounts")
def generate_accounts(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of accounts.")],
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic account book on real US ZIP codes."""

    def body() -> None:
        from territorial.generate.accounts import generate_accounts as make

        with err.status(f"Generating {n:,} accounts…"):
            write_table(make(n, seed), out)
        err.print(f"wrote {n:,} accounts to {out}")

    run(body)


@generate_app.command("plan")
def generate_plan(
    territories: Annotated[
        int,
        typer.Option("--territories", min=10, max=50_000, help="About how many territories (10 to 50,000)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="YAML file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic three-level plan with named accounts and two overlay layers."""

    def body() -> None:
        from territorial.generate.plan import generate_plan as make

        write_text(make(territories, seed), out)
        err.print(f"wrote a plan to {out}")

    run(body)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path("demo-output"),
) -> None:
    """Generate a plan and an account book around real companies, assign, and explain one account."""

    def body() -> None:
        from territorial.cli.demo import run_demo

        run_demo(out, Console(), err)

    run(body)


def main() -> None:
    try:
        app(prog_name="territorial")
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
