"""Penetration index, untapped accounts, coverage gaps and drift on hand-made frames with known answers."""

from __future__ import annotations

import polars as pl
import pytest

from territorial.evaluate.drift import drift_table, territory_figures
from territorial.evaluate.gaps import area_gaps, market_gaps, uncovered_accounts
from territorial.evaluate.penetration import penetration_index, untapped_accounts

# EAST holds A1 (r1) and A2 (r1); WEST holds A3 with no rep; A4's primary row has no territory and
# A5 has no primary row at all (only an overlay).
PLACEMENT = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "layer": ["primary", "primary", "primary", "primary", "overlay"],
        "territory_id": ["EAST", "EAST", "WEST", None, "SPEC"],
        "rep_id": ["r1", "r1", None, None, "r9"],
    }
)
ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "workload": [1.0, 3.0, 2.0, 5.0, 1.0],
        "potential": [100.0, 300.0, 600.0, 50.0, 20.0],
        "segment": ["SMB", "ENT", "ENT", "SMB", "SMB"],
        "area": ["10001", "10001", "94103", "73301", None],
    }
)


def test_the_index_is_the_share_of_bookings_over_the_share_of_potential() -> None:
    figures = pl.DataFrame(
        {
            "territory_id": ["WEST", "EAST", "NORTH", "EMPTY"],
            "bookings": [800.0, 200.0, 0.0, 0.0],
            "potential": [400.0, 400.0, 200.0, 0.0],
        }
    )
    index = penetration_index(figures, below=0.8)
    # Bookings shares .8/.2/0, potential shares .4/.4/.2: indices 2.0, 0.5, 0; EMPTY has no potential.
    assert index.select("territory_id", "index", "under_penetrated").rows() == [
        ("NORTH", 0.0, True),
        ("EAST", pytest.approx(0.5), True),
        ("WEST", pytest.approx(2.0), False),
        ("EMPTY", None, False),
    ]
    nothing_booked = penetration_index(figures.with_columns(pl.lit(0.0).alias("bookings")), 0.8)
    assert nothing_booked.get_column("index").null_count() == 4


def test_untapped_accounts_have_potential_no_open_deal_and_rank_by_potential_times_fit() -> None:
    open_on = pl.Series(["A2"])
    plain = untapped_accounts(PLACEMENT, ACCOUNTS, open_on, ["EAST", "WEST"], top=5)
    assert plain.select("territory_id", "rank", "account_id", "untapped").rows() == [
        ("EAST", 1, "A1", 100.0),
        ("WEST", 1, "A3", 600.0),
    ]
    fit = pl.DataFrame({"account_id": ["A1", "A2", "A3"], "fit": [0.9, 0.9, 0.1]})
    ranked = untapped_accounts(PLACEMENT, ACCOUNTS, pl.Series([], dtype=pl.String), ["EAST"], top=1, fit=fit)
    # A2 holds 300 × 0.9 = 270 untapped, A1 100 × 0.9 = 90: the top 1 is A2.
    assert ranked.select("account_id", "fit", "untapped").rows() == [("A2", 0.9, pytest.approx(270.0))]


def test_gaps_are_accounts_without_a_territory_or_a_rep_summed_by_area() -> None:
    accounts = ACCOUNTS.select("account_id", "area", "potential")
    uncovered = uncovered_accounts(PLACEMENT, accounts)
    assert uncovered.rows() == [
        ("A3", "94103", "no rep", 600.0),
        ("A4", "73301", "no territory", 50.0),
        ("A5", None, "no territory", 20.0),
    ]
    assert area_gaps(accounts, uncovered).rows() == [
        ("94103", 1, 600.0, 1, 600.0, 1.0),
        ("73301", 1, 50.0, 1, 50.0, 1.0),
    ]
    market = pl.DataFrame(
        {"area": ["10001", "60601", "02110", "73301"], "potential": [5e3, 900.0, 300.0, 1.0]}
    )
    assert market_gaps(market, accounts).rows() == [("60601", 900.0), ("02110", 300.0)]


def test_drift_compares_each_territorys_figures_and_flags_workload_and_potential_past_the_threshold() -> None:
    then = territory_figures(PLACEMENT, ACCOUNTS)
    assert then.filter(pl.col("territory_id") == "EAST").rows() == [
        ("EAST", "accounts", 2.0),
        ("EAST", "potential", 400.0),
        ("EAST", "segment:ENT", 1.0),
        ("EAST", "segment:SMB", 1.0),
        ("EAST", "workload", 4.0),
    ]
    # Today A2 needs 3.4 work (+10% of EAST's 4: not past ±10%) and A1 turned ENT; WEST's A3 doubled.
    today = ACCOUNTS.with_columns(
        pl.Series("workload", [1.0, 3.4, 4.0, 5.0, 1.0]),
        pl.Series("segment", ["ENT", "ENT", "ENT", "SMB", "SMB"]),
    )
    table = drift_table(then, territory_figures(PLACEMENT, today), threshold=0.10)
    rows = {(t, m): (now, change, past) for t, m, _then, now, change, past in table.iter_rows()}
    assert rows[("EAST", "workload")] == (pytest.approx(4.4), pytest.approx(0.1), False)
    assert rows[("WEST", "workload")] == (4.0, 1.0, True)
    assert rows[("EAST", "segment:ENT")] == (2.0, 1.0, False)  # segments are reported, not flagged
    assert rows[("EAST", "segment:SMB")] == (0.0, -1.0, False)
    assert rows[("(no territory)", "potential")] == (50.0, 0.0, False)
