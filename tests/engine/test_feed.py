"""A rep's changes in plain words: grouped by direction, layer, territories and cause, in a fixed order."""

from __future__ import annotations

import polars as pl

from territorial.engine.feed import ACCOUNTS_SHOWN, phrases_for
from territorial.engine.live_changes import CHANGE_COLUMNS


def changes(*rows: tuple[str, str, str | None, str | None, str | None, str | None, str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(CHANGE_COLUMNS, pl.String), orient="row")


LEFT = "rep-017 left; pool AMER-EAST shared it out"
HC = "industry changed Retail → Healthcare; now matches AMER-EAST-HC"


def test_gains_and_losses_are_grouped_by_cause_and_the_territory_on_the_other_side() -> None:
    rows = changes(
        ("A-2", "primary", "AMER-EAST", "rep-017", "AMER-EAST", "ann", LEFT),
        ("A-1", "primary", "AMER-EAST", "rep-017", "AMER-EAST", "ann", LEFT),
        ("A-9", "primary", "AMER-EAST", "ann", "AMER-EAST-HC", "hal", HC),
        ("A-8", "primary", "AMER-EAST", "ann", "AMER-EAST", "bo", "override by a planner: named account"),
        ("A-5", "security", None, None, "SEC", "ann", "new account"),
        ("A-7", "primary", "AMER-EAST", "bo", "AMER-EAST-HC", "hal", HC),  # not ann's
    )
    assert phrases_for("ann", rows) == (
        f"you gain 2 accounts (A-1, A-2) in AMER-EAST because {LEFT}",
        "you lose 1 account (A-8) in AMER-EAST to bo because override by a planner: named account",
        f"you lose 1 account (A-9) to AMER-EAST-HC because {HC}",
        "in the security layer, you gain 1 account (A-5) in SEC because new account",
    )
    assert phrases_for("hal", rows, who="hal") == (
        f"hal gains 2 accounts (A-7, A-9) in AMER-EAST-HC from AMER-EAST because {HC}",
    )
    assert phrases_for("ann", rows.reverse()) == phrases_for("ann", rows)  # the order is the rows' own


def test_a_planned_change_says_would_and_long_lists_are_cut() -> None:
    many = [(f"A-{n:02d}", "primary", "WEST", "jo", "EAST", "ann", "plan 4 activated") for n in range(12)]
    kept = ("B-1", "primary", "WEST", "ann", "EAST", "ann", "plan 4 activated")
    (gain, keep) = phrases_for("ann", changes(*many, kept), planned=True)
    shown = ", ".join(f"A-{n:02d}" for n in range(ACCOUNTS_SHOWN))
    assert (
        gain == f"you would gain 12 accounts ({shown} and 2 more) in EAST from WEST because plan 4 activated"
    )
    assert keep == "you would keep 1 account (B-1) as they move from WEST to EAST because plan 4 activated"


def test_a_cause_the_entry_has_said_already_is_not_repeated() -> None:
    rows = changes(
        ("A-1", "primary", None, None, "WEST", "ann", "plan 3 activated"),
        ("A-2", "primary", "WEST", "bo", "WEST", "ann", "override by a planner: named account"),
    )
    assert phrases_for("ann", rows, said="plan 3 activated") == (
        "you gain 1 account (A-2) in WEST because override by a planner: named account",
        "you gain 1 account (A-1) in WEST",  # from no territory: after those from one
    )
