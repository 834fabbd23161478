"""Lead-to-account matching: precision and recall on the frozen set, then fit and match time at scale.

Run: .venv/bin/python benchmarks/match_bench.py [accounts] [leads]  (defaults 1,000,000 and 10,000)
"""

import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from territorial.generate.accounts import generate_accounts
from territorial.generate.leads import as_typed
from territorial.routing.match import AccountMatcher

EVAL_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "matching"
ACCOUNTS_SEED = 7
LEADS_SEED = 11
OUTSIDERS_SEED = 13
MATCHING_SHARE = 0.8  # the rest of the leads come from companies that are not accounts
MATCH_SECONDS_TARGET = 10.0
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com")


def frozen_set_quality() -> tuple[float, float]:
    accounts = pl.read_csv(EVAL_SET / "accounts.csv", infer_schema=False)
    leads = pl.read_csv(EVAL_SET / "leads.csv", infer_schema=False)
    joined = leads.join(AccountMatcher().fit(accounts).match(leads), on="lead_id")
    correct = int((joined["account_id"] == joined["expected_account_id"]).fill_null(False).sum())
    return (
        correct / int(joined["account_id"].is_not_null().sum()),
        correct / int(joined["expected_account_id"].is_not_null().sum()),
    )


def derived_leads(accounts: pl.DataFrame, size: int) -> pl.DataFrame:
    """Leads from accounts (name variants, half with a work email) and from companies that are not."""
    rng = np.random.default_rng(LEADS_SEED)
    matching = int(size * MATCHING_SHARE)
    sources = accounts[np.sort(rng.choice(accounts.height, size=matching, replace=False))]
    companies, emails = [], []
    for name, website in sources.select("name", "website").iter_rows():
        companies.append(as_typed(rng, name))
        work_email = rng.random() < 0.5 and website
        emails.append(f"lead@{website}" if work_email else f"lead@{rng.choice(FREE_MAIL)}")
    # Generated names repeat across seeds; only names no account has make outsiders.
    outsiders = (
        generate_accounts(10 * (size - matching), OUTSIDERS_SEED)
        .filter(~pl.col("name").is_in(accounts["name"].implode()))
        .head(size - matching)
    )
    return pl.DataFrame(
        {
            "lead_id": [f"L{number:06d}" for number in range(size)],
            "company": companies + outsiders["name"].to_list(),
            "email": emails + [f"lead@{rng.choice(FREE_MAIL)}"] * outsiders.height,
            "country": ["US"] * size,
            "state": sources["state"].to_list() + outsiders["state"].to_list(),
            "source_account_id": sources["account_id"].to_list() + [None] * outsiders.height,
        }
    )


def main() -> None:
    account_count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    lead_count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    print(f"cores: {os.cpu_count()}")
    precision, recall = frozen_set_quality()
    print(f"frozen set: precision {precision:.4f}, recall {recall:.4f}")

    accounts = generate_accounts(account_count, ACCOUNTS_SEED)
    leads = derived_leads(accounts, lead_count)
    started = time.perf_counter()
    matcher = AccountMatcher().fit(accounts)
    fitted = time.perf_counter()
    matched = matcher.match(leads)
    finished = time.perf_counter()
    joined = leads.join(matched, on="lead_id")
    from_accounts = joined.filter(pl.col("source_account_id").is_not_null())
    found = int((from_accounts["account_id"] == from_accounts["source_account_id"]).fill_null(False).sum())
    outsiders = joined.filter(pl.col("source_account_id").is_null())
    outsiders_matched = int(outsiders["account_id"].is_not_null().sum())
    print(f"fit {account_count:,} accounts: {fitted - started:.2f} s")
    match_seconds = finished - fitted
    verdict = "met" if match_seconds <= MATCH_SECONDS_TARGET else "MISSED"
    print(
        f"match {lead_count:,} leads: {match_seconds:.2f} s (target {MATCH_SECONDS_TARGET:.0f} s, {verdict})"
    )
    print(f"leads from accounts matched to their account: {found / from_accounts.height:.4f}")
    print(f"leads from other companies given an account: {outsiders_matched / max(outsiders.height, 1):.4f}")


if __name__ == "__main__":
    main()
