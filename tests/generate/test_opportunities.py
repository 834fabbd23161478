"""The sample pipeline: a known process, its history consistent with each deal's state."""

from __future__ import annotations

import polars as pl

from territorial.generate.accounts import generate_accounts
from territorial.generate.opportunities import PIPELINE_AS_OF, STAGES, WON, generate_opportunities


def test_the_pipeline_repeats_for_a_seed_and_its_history_ends_in_each_deals_state() -> None:
    accounts = generate_accounts(600, 3)
    pipeline = generate_opportunities(accounts, 3)
    again = generate_opportunities(accounts, 3)
    assert pipeline.opportunities.equals(again.opportunities) and pipeline.history.equals(again.history)
    deals, history = pipeline.opportunities, pipeline.history
    assert deals.height > 100
    assert deals.get_column("opportunity_id").is_unique().all()
    last = history.sort("opportunity_id", "changed", "history_id").group_by("opportunity_id").last()
    joined = deals.join(last, on="opportunity_id", suffix="_last")
    assert (joined.get_column("stage") == joined.get_column("stage_last")).all()
    assert (joined.get_column("amount") == joined.get_column("amount_last")).all()
    assert history.get_column("changed").max() <= PIPELINE_AS_OF
    closed = deals.filter(pl.col("is_closed"))
    assert (closed.get_column("closed") >= closed.get_column("created")).all()
    assert set(deals.filter(~pl.col("is_closed")).get_column("stage")) <= set(STAGES)
    assert (deals.get_column("won") == (deals.get_column("stage") == WON)).all()
    # Each deal's rep is its account's owner.
    owners = deals.join(accounts.select("account_id", "owner_id"), on="account_id")
    assert owners.filter(pl.col("rep_id").ne_missing(pl.col("owner_id"))).is_empty()
    # About 29% of closed deals are won (ADVANCE); a wide band, as 600 accounts hold few deals.
    assert 0.18 < closed.get_column("won").mean() < 0.40  # type: ignore[operator]
