"""Sample inbound leads for an account book: most from its companies, as web forms spell them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from territorial.generate.accounts import generate_accounts

FROM_ACCOUNTS_SHARE = 0.8  # the rest come from companies that are not accounts yet
WORK_EMAIL_SHARE = 0.6
REPEAT_SHARE = 0.05  # people who fill in the form twice
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
FIRST_DAY = date(2026, 3, 2)
DAYS = 30
_LEAD_COLUMNS = ("postal_code", "industry", "employees", "country", "state")


def as_typed(rng: np.random.Generator, name: str) -> str:
    """A company name as someone types it: a dropped letter, another suffix, 'The', or unchanged."""
    kind = int(rng.integers(4))
    if kind == 0 and len(name) > 6:
        position = int(rng.integers(1, len(name) - 1))
        return name[:position] + name[position + 1 :]
    if kind == 1:
        return f"{name.removesuffix(' Inc.').removesuffix(' LLC')} Corp"
    if kind == 2:
        return f"The {name}"
    return name


def generate_leads(accounts: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """n leads over a month from FIRST_DAY: lead_id, email, company, country, state, postal_code,
    industry, employees, created. Same accounts and seed, same leads."""
    rng = np.random.default_rng(seed)
    known = min(int(n * FROM_ACCOUNTS_SHARE), accounts.height)
    sources = accounts[np.sort(rng.choice(accounts.height, size=known, replace=False))]
    newcomers = (
        generate_accounts(4 * (n - known) + 10, seed + 1)
        .filter(~pl.col("name").is_in(accounts["name"].implode()))
        .head(n - known)
    )
    people = pl.concat(
        [
            sources.select("name", "website", *_LEAD_COLUMNS),
            newcomers.select("name", "website", *_LEAD_COLUMNS),
        ]
    )
    companies, emails = [], []
    for number, (name, website) in enumerate(people.select("name", "website").iter_rows()):
        companies.append(as_typed(rng, name) if number < known else name)
        domain = website if website and rng.random() < WORK_EMAIL_SHARE else str(rng.choice(FREE_MAIL))
        emails.append(f"person{number}@{domain}")
    for index in rng.choice(len(emails), size=int(len(emails) * REPEAT_SHARE), replace=False):
        emails[index] = emails[int(rng.integers(len(emails)))]
    order = rng.permutation(people.height)
    created = [FIRST_DAY + timedelta(days=int(day)) for day in rng.integers(0, DAYS, people.height)]
    return (
        people.with_columns(
            pl.Series("company", companies), pl.Series("email", emails), pl.Series("created", created)
        )[order]
        .with_row_index("number")
        .select(
            pl.format("L{}", pl.col("number").cast(pl.String).str.zfill(7)).alias("lead_id"),
            "email",
            "company",
            *_LEAD_COLUMNS,
            "created",
        )
    )
