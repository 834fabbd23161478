"""Sample leads: reproducible, mostly from the account book, with repeat visitors."""

from __future__ import annotations

import polars as pl

from territorial.generate.accounts import generate_accounts
from territorial.generate.leads import FIRST_DAY, generate_leads


def test_the_same_seed_gives_the_same_leads_byte_for_byte() -> None:
    accounts = generate_accounts(2_000, 5)
    first = generate_leads(accounts, 500, 9)
    assert first.write_csv() == generate_leads(accounts, 500, 9).write_csv()
    assert first.write_csv() != generate_leads(accounts, 500, 10).write_csv()


def test_leads_come_mostly_from_accounts_and_some_repeat() -> None:
    accounts = generate_accounts(2_000, 5)
    leads = generate_leads(accounts, 1_000, 9)
    assert leads.height == 1_000 and leads["lead_id"].n_unique() == 1_000
    assert leads.columns[:3] == ["lead_id", "email", "company"]
    states = set(accounts["state"].to_list())
    assert leads["state"].is_in(list(states)).mean() > 0.7  # type: ignore[operator]
    assert 0.9 < leads["email"].n_unique() / leads.height < 1.0
    assert leads["created"].min() >= FIRST_DAY  # type: ignore[operator]
    domains = leads["email"].str.split("@").list.get(1)
    assert domains.is_in(accounts["website"].implode()).mean() > 0.3  # type: ignore[operator]
    assert leads.filter(pl.col("company").is_null()).height == 0
