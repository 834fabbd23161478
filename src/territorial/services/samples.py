"""Realistic sample data for trying Territorial: an account book on real US ZIP codes, a plan
that fits it, inbound leads and a pipeline of opportunities."""

from __future__ import annotations

from pathlib import Path

from territorial.errors import BadInput
from territorial.generate.accounts import generate_accounts
from territorial.generate.leads import generate_leads
from territorial.generate.opportunities import generate_opportunities
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text
from territorial.io.tables import read_table


def write_sample_accounts(n: int, seed: int, out: str | Path) -> None:
    write_table(generate_accounts(n, seed), out)


def write_sample_plan(territories: int, seed: int, out: str | Path) -> None:
    write_text(generate_plan(territories, seed), out)


def write_sample_leads(accounts: int, leads: int, seed: int, out: str | Path) -> None:
    """`leads` inbound leads, most of them from the `accounts` accounts that `seed` generates."""
    write_table(generate_leads(generate_accounts(accounts, seed), leads, seed), out)


def write_sample_opportunities(
    accounts: str | Path, seed: int, out: str | Path, history_out: str | Path
) -> int:
    """A pipeline for the accounts file's accounts (account_id, name, employees, owner_id) and its
    history; the number of opportunities written."""
    book = read_table(accounts, ["account_id", "name", "employees", "owner_id"])
    missing = [c for c in ("account_id", "name", "employees", "owner_id") if c not in book.frame.columns]
    if missing:
        raise BadInput.at(
            f"the accounts file needs the columns {', '.join(missing)} (as generate accounts writes them)",
            book.file,
            1 if book.is_csv else None,
            subject="--accounts",
        )
    pipeline = generate_opportunities(book.frame, seed)
    write_table(pipeline.opportunities, out)
    write_table(pipeline.history, history_out)
    return pipeline.opportunities.height
