"""`generate accounts`, `generate plan` and `generate opportunities`: realistic sample data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territorial.cli.app import check_outputs, err, group, handled
from territorial.services.samples import write_sample_accounts, write_sample_opportunities, write_sample_plan

generate_app = group("generate", "Generate realistic sample data.")


@generate_app.command("accounts")
@handled
def generate_accounts(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of accounts.")],
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic account book on real US ZIP codes."""
    with err.status(f"Generating {n:,} accounts…"):
        write_sample_accounts(n, seed, out)
    err.print(f"wrote {n:,} accounts to {out}")


@generate_app.command("plan")
@handled
def generate_plan(
    territories: Annotated[
        int,
        typer.Option("--territories", min=10, max=50_000, help="About how many territories (10 to 50,000)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="YAML file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic three-level plan with named accounts and two overlay layers."""
    write_sample_plan(territories, seed, out)
    err.print(f"wrote a plan to {out}")


@generate_app.command("opportunities")
@handled
def generate_opportunities(
    accounts: Annotated[
        Path, typer.Option("--accounts", help="The account book to sell to, as generate accounts writes it.")
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet file of opportunities to write.")],
    history_out: Annotated[
        Path | None,
        typer.Option(
            "--history-out",
            help="File for each opportunity's stage, amount and expected close history "
            "(default: beside --out, named opportunity_history).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Two years of pipeline for an account book, with each deal's stage and close-day history; import
    both (import opportunities, import opportunity_history)."""
    history = history_out or out.with_name(f"opportunity_history{out.suffix}")
    if history_out is None:  # the default file is checked as --history-out is
        check_outputs({"out": out, "history_out": history, "accounts": accounts})
    with err.status("Generating opportunities…"):
        count = write_sample_opportunities(accounts, seed, out, history)
    err.print(f"wrote {count:,} opportunities to {out} and their history to {history}")
