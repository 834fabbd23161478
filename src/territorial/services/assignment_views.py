"""Reading the live assignment, an account's explanation, and the overrides and holds, as far as
the principal may see them."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.explanation import Explanation, LayerAnswer, Visit
from territorial.errors import BadInput, NotFound
from territorial.services.assign import AccountRef
from territorial.services.context import Context
from territorial.services.live_explain import explain_live
from territorial.services.pages import Page, numbered, page_of, page_of_rows
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.visibility import Visible, visible_to

LIVE_SHOWN = ["account_id", "layer", "territory_id", "rep_id", "overlaps", "tie", "reason", "cause", "since"]


def _live_row_shown(row: dict[str, Any], visible: Visible) -> dict[str, Any]:
    return {
        **row,
        "overlaps": [t for t in visible.territory_list(row["overlaps"]).split(";") if t],
        "reason": visible.text(row["reason"]),
        "cause": visible.text(row["cause"]),
    }


def list_live(
    workspace: WorkspaceStore,
    ctx: Context,
    rep: str | None = None,
    territory: str | None = None,
    layer: str | None = None,
    account: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """The live rows, by account and layer: a manager's or rep's are those of their reps."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        rows = uow.live.rows(LIVE_SHOWN)
    if not visible.everything:
        rows = rows.filter(pl.col("rep_id").is_in(list(visible.reps)))
    for column, wanted in (
        ("rep_id", rep),
        ("territory_id", territory),
        ("layer", layer),
        ("account_id", account),
    ):
        if wanted is not None:
            rows = rows.filter(pl.col(column) == wanted)
    # \x00 sorts before any character of a layer's name: pages follow (account_id, layer) order.
    page = page_of(rows, pl.concat_str("account_id", pl.lit("\x00"), "layer"), cursor, limit)
    return Page([_live_row_shown(row, visible) for row in page.rows], page.next_cursor)


def explain_for(workspace: WorkspaceStore, ctx: Context, account_id: str) -> dict[str, Any]:
    """Why an account is where it is. A manager or a rep sees only the path to the territories their
    reps hold it in, with every other id hidden."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        known = (
            visible.account(account_id) is not None
            and not uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String()}, active_only=True)
            .filter(pl.col("account_id") == account_id)
            .is_empty()
        )
        layers = set() if visible.everything else _layers_held(uow.live.of_account(account_id), visible)
        active = uow.plans.active()
    if not known:
        raise NotFound.at(f"no account with id {account_id!r}", "account_id")
    if active is None:
        raise BadInput.at("no plan is active yet: explain walks the active plan", "account_id")
    explained = explain_live(workspace, ctx, AccountRef(account_id))
    shown = explained.explanation if visible.everything else _narrowed(explained.explanation, visible, layers)
    answers = {
        layer: {**asdict(a), "overlaps": list(a.overlaps), "candidate_reps": list(a.candidate_reps)}
        for layer, a in shown.answers.items()
    }
    warnings = [visible.text(str(w)) for w in explained.warnings]
    return {**asdict(shown), "answers": answers, "warnings": warnings}


def _layers_held(rows: pl.DataFrame, visible: Visible) -> set[str]:
    return {row["layer"] for row in rows.iter_rows(named=True) if visible.rep(row["rep_id"])}


def _narrowed(explanation: Explanation, visible: Visible, layers: set[str]) -> Explanation:
    """The path to the winning territory of each layer the principal's reps hold, and nothing else."""
    answers = {
        layer: LayerAnswer(
            layer,
            visible.territory(answer.territory_id),
            tuple(t for t in answer.overlaps if visible.territory(t)),
            answer.tie,
            tuple(r for r in answer.candidate_reps if visible.rep(r)),
        )
        for layer, answer in explanation.answers.items()
        if layer in layers
    }
    winners = {answer.territory_id for answer in answers.values() if answer.territory_id}
    path = _path_to(explanation.visits, winners)
    return Explanation(
        explanation.account_id,
        [
            replace(
                visit,
                rule=visible.text(visit.rule),
                because=[visible.text(line) or "" for line in visit.because],
            )
            for visit in path
        ],
        answers,
        [visible.text(line) or "" for line in explanation.resolution],
        [visible.text(line) or "" for line in explanation.live],
    )


def _path_to(visits: list[Visit], winners: set[str]) -> list[Visit]:
    """The visits from a root down to each winner: walking back, each ancestor is the nearest earlier
    visit one level up."""
    keep: set[int] = set()
    for index, visit in enumerate(visits):
        if visit.territory_id not in winners:
            continue
        keep.add(index)
        depth = visit.depth
        for earlier in range(index - 1, -1, -1):
            if visits[earlier].depth == depth - 1:
                keep.add(earlier)
                depth -= 1
            if depth == 0:
                break
    return [visit for index, visit in enumerate(visits) if index in keep]


def _pin_visible(row: dict[str, Any], visible: Visible) -> bool:
    return (
        visible.account(row["account_id"]) is not None
        and (row["rep_id"] is None or visible.rep(row["rep_id"]) is not None)
        and (row["territory_id"] is None or visible.territory(row["territory_id"]) is not None)
    )


def list_overrides_for(
    workspace: WorkspaceStore, ctx: Context, every: bool = False, cursor: str | None = None, limit: int = 100
) -> Page:
    """Overrides in force (every: ended ones too), oldest first, on the principal's accounts, reps
    and territories."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        found = uow.overrides.all() if every else uow.overrides.in_force()
    rows = [
        {**row, "reason": visible.text(row["reason"]), "end_cause": visible.text(row["end_cause"])}
        for row in map(asdict, found)
        if _pin_visible(row, visible)
    ]
    return page_of_rows(rows, lambda row: numbered(row["override_id"]), cursor, limit)


def list_holds_for(
    workspace: WorkspaceStore, ctx: Context, every: bool = False, cursor: str | None = None, limit: int = 100
) -> Page:
    """Holds in force (every: ended ones too), oldest first, as far as the principal may see them."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        found = uow.holds.all() if every else uow.holds.in_force()
    rows = [
        {**row, "end_cause": visible.text(row["end_cause"])}
        for row in map(asdict, found)
        if _pin_visible(row, visible)
    ]
    return page_of_rows(rows, lambda row: numbered(row["hold_id"]), cursor, limit)
