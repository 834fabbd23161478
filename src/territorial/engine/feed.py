"""What changed for one rep, in plain words: each change set's gains and losses, grouped by cause and
the territory on the other side ("From 2027-02-01 you gain 12 accounts (...) in AMER-EAST because ...")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from territorial.domain.plan import PRIMARY

# Accounts named in a phrase; the rest are counted ("and 7 more"), so a digest stays readable.
ACCOUNTS_SHOWN = 10


@dataclass(frozen=True)
class FeedEntry:
    """One change set (or a scheduled activation, `planned`) as one rep reads it."""

    change_set_id: int | None  # None: planned, not yet made
    effective: date
    summary: str
    planned: bool
    phrases: tuple[str, ...]

    @property
    def text(self) -> str:
        when = f"Planned from {self.effective}" if self.planned else f"From {self.effective}"
        return f"{when} ({self.summary}): " + "; ".join(self.phrases)


def _accounts(ids: list[str]) -> str:
    count = f"{len(ids)} account" + ("" if len(ids) == 1 else "s")
    shown = ", ".join(ids[:ACCOUNTS_SHOWN])
    more = f" and {len(ids) - ACCOUNTS_SHOWN} more" if len(ids) > ACCOUNTS_SHOWN else ""
    return f"{count} ({shown}{more})"


def _verbs(who: str | None, planned: bool) -> tuple[str, str, str]:
    """gain, lose, keep as the subject takes them: "you gain", "jane gains", "you would gain"."""
    if planned:
        return "would gain", "would lose", "would keep"
    if who is None:
        return "gain", "lose", "keep"
    return "gains", "loses", "keeps"


def _phrase(
    rep_id: str, row: dict[str, object], ids: list[str], planned: bool, who: str | None, said: str | None
) -> str:
    gain, lose, keep = _verbs(who, planned)
    subject = who or "you"
    old, new = row["from_territory_id"], row["to_territory_id"]
    accounts = _accounts(ids)
    if row["to_rep_id"] == rep_id and row["from_rep_id"] != rep_id:
        text = f"{subject} {gain} {accounts} in {new}" + (
            f" from {old}" if old is not None and old != new else ""
        )
    elif row["from_rep_id"] == rep_id and row["to_rep_id"] != rep_id:
        where = f"to {new}" if new is not None and new != old else f"in {old}"
        text = f"{subject} {lose} {accounts} {where}"
        if row["to_rep_id"] is not None and new == old:
            text += f" to {row['to_rep_id']}"
    else:
        text = f"{subject} {keep} {accounts} as they move from {old} to {new}"
    layer = row["layer"]
    if layer != PRIMARY:
        text = f"in the {layer} layer, {text}"
    return text if row["cause"] == said else f"{text} because {row['cause']}"


def phrases_for(
    rep_id: str, rows: pl.DataFrame, planned: bool = False, who: str | None = None, said: str | None = None
) -> tuple[str, ...]:
    """The rep's changed rows of one change set (CHANGE_COLUMNS), grouped by direction, layer, from and
    to territory, cause (and, for accounts lost within a territory, the colleague who takes them), each
    group one phrase, in a fixed order: the primary layer first, gains before losses. Addressed to the
    rep ("you gain"), or about them to someone else (`who`: "jane gains"). A cause the entry has
    `said` already (its summary, such as "plan 3 activated") is not said again."""
    me = pl.lit(rep_id)
    gained = pl.col("to_rep_id").eq_missing(me) & pl.col("from_rep_id").ne_missing(me)
    lost = pl.col("from_rep_id").eq_missing(me) & pl.col("to_rep_id").ne_missing(me)
    keys = ["other_layer", "direction", "layer", "from_territory_id", "to_territory_id", "cause", "taker"]
    grouped = (
        rows.filter(pl.col("to_rep_id").eq_missing(me) | pl.col("from_rep_id").eq_missing(me))
        .with_columns(
            (pl.col("layer") != PRIMARY).alias("other_layer"),
            pl.when(gained).then(0).when(lost).then(1).otherwise(2).alias("direction"),
            pl.when(lost).then(pl.col("to_rep_id")).alias("taker"),
        )
        .group_by(keys)
        .agg(pl.col("account_id").sort(), pl.col("from_rep_id").first(), pl.col("to_rep_id").first())
        .sort(keys, nulls_last=True)
    )
    return tuple(
        _phrase(rep_id, row, row["account_id"], planned, who, said) for row in grouped.iter_rows(named=True)
    )
