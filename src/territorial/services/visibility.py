"""Row-level access: which accounts, reps, territories and leads a principal may see, and hiding
every other id in what they are shown. Every read service goes through here, whatever the face."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.plan import Plan
from territorial.domain.stored import StoredRunInfo
from territorial.errors import NotAllowed
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.plans import stored_plan
from territorial.services.unit_of_work import UnitOfWork

# What an id outside the principal's scope reads as in a text (a reason, a cause, a rule).
HIDDEN = "[hidden]"
# The tokens of a text that may be ids: ids carry no spaces, quotes, commas, brackets or semicolons.
ID_TOKEN = re.compile(r"[^\s'\",;()\[\]{}]+")
# A list of hidden ids in a rule or a reason (`IN ('[hidden]', '[hidden]')`) reads as their count.
HIDDEN_RUN = re.compile(r"'?\[hidden\]'?(?:, '?\[hidden\]'?)*")
OWNED_COLUMNS = {
    "account_id": pl.String(),
    "layer": pl.String(),
    "territory_id": pl.String(),
    "rep_id": pl.String(),
}


@dataclass(frozen=True)
class Visible:
    """What a principal may see: everything, or these ids. `hidden` holds the workspace's other ids,
    so that a text naming one can be cleaned."""

    everything: bool
    accounts: frozenset[str] = frozenset()
    reps: frozenset[str] = frozenset()
    territories: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def account(self, account_id: str | None) -> str | None:
        """The id when it may be seen, else None."""
        return account_id if self.everything or account_id in self.accounts else None

    def rep(self, rep_id: str | None) -> str | None:
        return rep_id if self.everything or rep_id in self.reps else None

    def territory(self, territory_id: str | None) -> str | None:
        return territory_id if self.everything or territory_id in self.territories else None

    def text(self, text: str | None) -> str | None:
        """The text with every id outside the scope replaced by HIDDEN."""
        if text is None or self.everything:
            return text
        cleaned = ID_TOKEN.sub(lambda m: HIDDEN if m.group(0) in self.hidden else m.group(0), text)
        return HIDDEN_RUN.sub(lambda m: f"{m.group(0).count(HIDDEN)} hidden", cleaned)

    def territory_list(self, joined: str, separator: str = ";") -> str:
        """A `;`-joined list of territory ids, keeping those in scope."""
        if self.everything:
            return joined
        return separator.join(t for t in joined.split(separator) if t and t in self.territories)


EVERYTHING = Visible(everything=True)


def may_read(principal: Principal) -> None:
    """Reading needs the `read` scope, which an integration never holds."""
    if not principal.may(Scope.READ):
        raise NotAllowed.at(
            f"this {principal.role.value}'s token lacks the read scope: it may not read the workspace",
            "Authorization",
            subject="read",
        )


def visible_to(uow: UnitOfWork, ctx: Context) -> Visible:
    """What the context's principal may see: admins and planners everything; a manager their team
    (every rep whose manager chain reaches them, themselves included) and its accounts and
    territories; a rep their own. An account is a rep's when they are its live rep in any layer
    (before any activation: its rep in the latest run of the newest plan with a run)."""
    team = team_of(uow, ctx)
    if team is None:
        return EVERYTHING
    reps = uow.reps.list()
    mine, placed_in, plan = _team_rows(uow, team)
    roster = uow.roster.current()
    territories = team_territories(mine, roster, plan, team)
    leads = uow.routing.leads_of(team)
    accounts = set(mine.get_column("account_id").to_list())
    every = _every_id(uow, roster, [rep.rep_id for rep in reps], plan) | placed_in
    return Visible(
        everything=False,
        accounts=frozenset(accounts),
        reps=frozenset(team),
        territories=frozenset(territories),
        leads=frozenset(leads),
        hidden=frozenset(every - accounts - team - territories - leads),
    )


def team_of(uow: UnitOfWork, ctx: Context) -> frozenset[str] | None:
    """The reps whose accounts the principal may see (None: every account): a manager's team, a
    rep themselves, nobody for a user linked to no rep."""
    principal = ctx.principal
    may_read(principal)
    if principal.sees_everything:
        return None
    return frozenset(_team(principal, {rep.rep_id: rep.manager_id for rep in uow.reps.list()}))


def team_territories(
    mine: pl.DataFrame, roster: pl.DataFrame, plan: Plan | None, team: Iterable[str]
) -> set[str]:
    """The territories a team sees: those its accounts (`mine`: owned rows of the team's reps) are
    in, those the roster gives its reps, and every territory above them."""
    territories = set(mine.get_column("territory_id").drop_nulls().to_list())
    territories |= set(roster.filter(pl.col("rep_id").is_in(list(team))).get_column("territory_id").to_list())
    if plan is not None:
        territories |= _ancestors(plan, territories)
    return territories


def _team(principal: Principal, managers: dict[str, str | None]) -> set[str]:
    """The reps a principal answers for: a rep themselves; a manager everyone below them too."""
    me = principal.rep_id
    if me is None or me not in managers:
        return set()
    if principal.role is Role.REP:
        return {me}
    team = {me}
    for rep_id in managers:
        seen: set[str] = set()
        boss = managers.get(rep_id)
        while boss is not None and boss not in seen:  # a loop in the CRM's manager field ends here
            if boss == me:
                team.add(rep_id)
                break
            seen.add(boss)
            boss = managers.get(boss)
    return team


def owned_rows(uow: UnitOfWork) -> tuple[pl.DataFrame, Plan | None]:
    """account_id, layer, territory_id, rep_id: who owns what, and the plan that says so. The live
    assignment once a plan is active; before, the latest run of the newest plan that has runs."""
    active = uow.plans.active()
    if active is not None:
        return uow.live.rows(list(OWNED_COLUMNS)), stored_plan(uow, active.plan_id)
    owning = owning_run(uow)
    if owning is None:
        return pl.DataFrame(schema=OWNED_COLUMNS), None
    results = uow.runs.results(owning.run_id)
    assert results is not None
    return results.select(*OWNED_COLUMNS), stored_plan(uow, owning.plan_id)


def _team_rows(uow: UnitOfWork, team: frozenset[str]) -> tuple[pl.DataFrame, set[str], Plan | None]:
    """owned_rows of the team's reps, every territory an owned row names, and the owning plan. Once a
    plan is active, the team's rows are read through the index on rep_id (a rep's few thousand of a
    million live rows)."""
    active_id = uow.plans.active_id()
    if active_id is None:
        owned, plan = owned_rows(uow)
        placed_in = set(owned.get_column("territory_id").drop_nulls().to_list())
        return owned.filter(pl.col("rep_id").is_in(list(team))), placed_in, plan
    mine = uow.live.rows_of_reps(sorted(team), list(OWNED_COLUMNS))
    return mine, uow.live.territory_ids(), stored_plan(uow, active_id)


def owning_run(uow: UnitOfWork) -> StoredRunInfo | None:
    """Before any activation, the run that says who owns what: the latest of the newest plan with runs."""
    runs = uow.runs.list()
    if not runs:
        return None
    newest_plan = max(run.plan_id for run in runs)
    return max((run for run in runs if run.plan_id == newest_plan), key=lambda run: run.run_id)


def _ancestors(plan: Plan, territories: Iterable[str]) -> set[str]:
    """The territories above these in the plan: the path to a territory is part of seeing it."""
    found: set[str] = set()
    for territory_id in territories:
        parent = plan.by_id[territory_id].parent if territory_id in plan.by_id else None
        while parent is not None:
            found.add(parent)
            parent = plan.by_id[parent].parent
    return found


def _every_id(uow: UnitOfWork, roster: pl.DataFrame, reps: list[str], plan: Plan | None) -> set[str]:
    """Every account, rep, territory and lead id the workspace knows, to hide those out of scope, but
    for the territories of the owned rows (the caller's). Territories are those of the plan that owns
    the accounts (the texts shown are its reasons and rules), of the roster and of routing: parsing
    every stored plan on each request would cost seconds once a workspace keeps dozens of large plans."""
    ids: set[str] = set(reps)
    for entity in (Entity.ACCOUNTS, Entity.LEADS):
        ids.update(uow.records.ids(entity))
    ids |= set(roster.get_column("territory_id").to_list())
    ids |= uow.routing.decision_territories()
    return ids | set(plan.by_id if plan is not None else ())
