"""Realistic sample data for trying Territorial: an account book on real US ZIP codes, a plan
that fits it, and inbound leads."""

from __future__ import annotations

from pathlib import Path

from territorial.generate.accounts import generate_accounts
from territorial.generate.leads import generate_leads
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text


def write_sample_accounts(n: int, seed: int, out: str | Path) -> None:
    write_table(generate_accounts(n, seed), out)


def write_sample_plan(territories: int, seed: int, out: str | Path) -> None:
    write_text(generate_plan(territories, seed), out)


def write_sample_leads(accounts: int, leads: int, seed: int, out: str | Path) -> None:
    """`leads` inbound leads, most of them from the `accounts` accounts that `seed` generates."""
    write_table(generate_leads(generate_accounts(accounts, seed), leads, seed), out)
