"""Routing one lead at a time: duplicate check, qualification, account match, territory, pool.

Every decision carries its full path, step by step, so "why did this lead go to Jane?" has an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from territorial.domain.leads import (
    AccountMatch,
    AccountOwner,
    Earlier,
    Lead,
    Outcome,
    Routed,
    Step,
)
from territorial.domain.plan import PRIMARY, RoutingSettings, Territory
from territorial.domain.reps import Rep
from territorial.engine.records import prepare_record
from territorial.engine.single import TerritoryFinder
from territorial.routing.round_robin import PoolState, RoundRobin, TimeOff, away_until
from territorial.rules.to_python import compile_rule

NURTURE_QUEUE = "nurture"
# HubSpot's lifecycle stages past lead (labels or internal values, spaces and case ignored): the
# contact is in a deal or a customer already, so it belongs to its account's owner, never to the
# next rep of a pool (LeanData routes such contacts by account ownership, not round robin).
CUSTOMER_STAGES = frozenset({"customer", "evangelist"})
PAST_LEAD_STAGES = CUSTOMER_STAGES | {"opportunity"}
CUSTOMER_STAGE = re.compile(r"[\s_-]+")


class LeadRouter:
    """Decides leads one by one, in date order; holds the pools' round robins and the duplicate window.

    reps: the reps who may take leads (active ones), with weights, caps and skills.
    away: each rep's time off.
    account: looks up a matched account's owner and fields (None when unknown).
    pools: territory id -> its round robin, carried over from earlier batches.
    earlier: email -> the last lead from it that reached a rep.
    """

    def __init__(
        self,
        finder: TerritoryFinder,
        settings: RoutingSettings,
        reps: Mapping[str, Rep],
        account: Callable[[str], AccountOwner | None],
        pools: dict[str, RoundRobin] | None = None,
        earlier: dict[str, Earlier] | None = None,
        away: TimeOff | None = None,
    ) -> None:
        self.finder = finder
        self.plan = finder.compiled.plan
        self.settings = settings
        self.reps = reps
        self.away = away or {}
        self.account = account
        self.pools: dict[str, RoundRobin] = pools if pools is not None else {}
        self.earlier: dict[str, Earlier] = earlier if earlier is not None else {}
        self.touched: set[str] = set()  # territories whose pool moved since the caller last stored them
        self.is_customer = compile_rule(settings.customer) if settings.customer is not None else None
        self.count_all = settings.cap_counts == "all"

    def route(self, lead: Lead) -> Routed:
        path: list[Step] = []
        decided = (
            self._crm_status(lead, path)
            or self._duplicate(lead, path)
            or self._customer(lead, path)
            or self._qualify(lead, path)
            or self._matched(lead, path)
            or self._territory(lead, path)
        )
        if decided.rep_id is not None and lead.email:
            self.earlier[lead.email] = Earlier(lead.lead_id, lead.day, decided.rep_id, decided.territory_id)
        if decided.rep_id is not None and self.count_all:
            # Every lead the rep takes counts toward their caps in each of their pools; the pool whose
            # round robin chose them has counted it already.
            won_in = decided.territory_id if decided.in_pool else None
            for territory_id, robin in self._pools_of(decided.rep_id):
                if territory_id != won_in:
                    robin.count_outside(decided.rep_id, lead.day)
        return decided

    def _pools_of(self, rep_id: str) -> list[tuple[str, RoundRobin]]:
        if rep_id not in self.reps:
            return []
        return [(t.id, self._robin(t)) for t in self.plan.territories if rep_id in t.reps]

    def _robin(self, territory: Territory) -> RoundRobin:
        """The territory's round robin over its reps who take leads, carried on from its stored state."""
        pool = [self.reps[r] for r in territory.reps if r in self.reps]
        robin = self.pools.get(territory.id)
        if robin is None or robin.pool != tuple(pool):
            robin = (
                RoundRobin.from_state(pool, robin.state(), self.away)
                if robin is not None
                else RoundRobin(pool, self.away)
            )
            self.pools[territory.id] = robin
        self.touched.add(territory.id)
        return robin

    def carry_on(self, states: Mapping[str, PoolState]) -> None:
        """Take up pools where another router left them (territory_id -> stored state): its leads
        moved them since this one last did."""
        for territory_id, state in states.items():
            territory = self.plan.by_id.get(territory_id)
            if territory is not None:
                pool = [self.reps[r] for r in territory.reps if r in self.reps]
                self.pools[territory_id] = RoundRobin.from_state(pool, state, self.away)

    def _capped(self, rep_id: str, day: date) -> str | None:
        """Why the rep can take no more leads on `day` when the caps count every lead, else None."""
        rep = self.reps[rep_id]
        if not self.count_all or (rep.daily_lead_cap is None and rep.monthly_lead_cap is None):
            return None
        today = month = 0
        # Reading the counts creates no pool: a pool not yet started has counted nothing, and an
        # unchanged pool is not stored again (nor listed by `route undo`).
        started = (self.pools.get(t.id) for t in self.plan.territories if rep_id in t.reps)
        for robin in (r for r in started if r is not None):
            in_pool = robin.taken(rep_id, day)
            today, month = max(today, in_pool[0]), max(month, in_pool[1])
        if rep.daily_lead_cap is not None and today >= rep.daily_lead_cap:
            return f"is capped today ({today}/{rep.daily_lead_cap})"
        if rep.monthly_lead_cap is not None and month >= rep.monthly_lead_cap:
            return f"is capped this month ({month}/{rep.monthly_lead_cap})"
        return None

    # ---- 0. what the CRM says of the lead now ----------------------------------------------------

    def _crm_status(self, lead: Lead, path: list[Step]) -> Routed | None:
        """A converted lead is no longer a lead (Salesforce refuses to reassign one); a lead the CRM
        already gives to a rep who takes leads stays theirs unless the plan says `crm_owner: reassign`.
        Leads owned by a queue, an integration user or a rep who left are routed."""
        record = lead.record
        if record.get("converted") is True:
            path.append(Step("CRM status", "converted = true", "converted: not routed"))
            return self._decide(
                lead,
                path,
                Outcome.SKIPPED,
                reason="converted in the CRM: a converted lead is not routed (its contact and account "
                "keep their owners)",
            )
        owner = record.get("owner_id")
        if owner is None or not str(owner).strip():
            return self._past_lead(lead, path)
        named = f"owner {str(owner).strip()}"
        rep_id = lead.owner_rep_id
        if rep_id is None:
            # New leads wait in a Salesforce queue (00G…) until routed; any other owner is a user
            # who is no rep here (an integration user, or someone not imported).
            queue = str(owner).strip()[:3].upper() == "00G"
            path.append(Step("CRM owner", named, "a queue: routed" if queue else "not a rep here: routed"))
            return self._past_lead(lead, path)
        if rep_id not in self.reps:
            path.append(Step("CRM owner", named, f"rep {rep_id} takes no leads now: routed"))
            return self._past_lead(lead, path)
        if self.settings.crm_owner == "reassign":
            path.append(Step("CRM owner", named, f"rep {rep_id}; crm_owner: reassign: routed"))
            return self._past_lead(lead, path)
        path.append(Step("CRM owner", named, f"rep {rep_id} takes leads: kept"))
        return self._decide(
            lead,
            path,
            Outcome.OWNED,
            rep_id=rep_id,
            reason=f"already owned in the CRM by {self._who(rep_id)}: kept (routing.crm_owner: keep)",
        )

    def _past_lead(self, lead: Lead, path: list[Step]) -> Routed | None:
        """A contact the CRM has as a customer or in a deal (HubSpot's lifecycle stage past lead) is no
        new lead: it goes to its matched account's owner when they can take it, and is otherwise
        skipped, so that its CRM owner stands; it is never round-robined nor written back."""
        stage = lead.record.get("lifecycle_stage")
        kind = CUSTOMER_STAGE.sub("", str(stage).lower()) if stage is not None else ""
        if kind not in PAST_LEAD_STAGES:
            return None
        what = "a customer" if kind in CUSTOMER_STAGES else "an opportunity"
        path.append(Step("CRM status", f"lifecycle stage {stage}", f"{what}: not a new lead"))
        owner, bypass = self._account_owner(lead)
        match = lead.match
        if match is not None and owner is not None and not bypass:
            account = "customer account" if kind in CUSTOMER_STAGES else "account"
            first = f"already {what} in the CRM (lifecycle stage {stage}): "
            return self._to_owner(lead, path, match, owner, account, first)
        path.append(Step("account match", _matched_inputs(lead), f"{bypass}: not round-robined"))
        return self._decide(
            lead,
            path,
            Outcome.SKIPPED,
            reason=f"already {what} in the CRM (lifecycle stage {stage}): not routed as a new lead, "
            f"its CRM owner stays ({bypass})",
        )

    # ---- 1. duplicates ---------------------------------------------------------------------------

    def _duplicate(self, lead: Lead, path: list[Step]) -> Routed | None:
        window = self.settings.duplicate_window_days
        if not lead.email:
            path.append(Step("duplicate check", "no email", "not a duplicate"))
            return None
        before = self.earlier.get(lead.email)
        inputs = f"email {lead.email}; window {window} days"
        if before is None:
            path.append(Step("duplicate check", inputs, "first lead from this email"))
            return None
        # A late-arriving lead may be dated before the one already routed: the window counts both ways.
        age = abs((lead.day - before.day).days)
        seen = f"lead {before.lead_id} on {before.day.isoformat()} went to {before.rep_id}"
        if age > window:
            path.append(Step("duplicate check", inputs, f"{seen}, {age} days apart: outside the window"))
            return None
        if before.rep_id not in self.reps:
            path.append(Step("duplicate check", inputs, f"{seen}, but that rep takes no leads now"))
            return None
        path.append(Step("duplicate check", inputs, f"{seen}, {age} days apart: same rep again"))
        return self._decide(
            lead,
            path,
            Outcome.DUPLICATE,
            rep_id=before.rep_id,
            territory_id=before.territory_id,
            reason=f"duplicate of lead {before.lead_id} ({age} days apart): same rep {before.rep_id}",
        )

    # ---- customers first ----------------------------------------------------------------------------

    def _customer(self, lead: Lead, path: list[Step]) -> Routed | None:
        """A lead from a customer's account (the plan's `routing.customer` rule) goes to the account's
        owner before the fit check: a known customer is never sent to nurture."""
        if self.is_customer is None or lead.match is None:
            return None
        found = self.account(lead.match.account_id)
        if found is None:
            return None
        rule = self.settings.customer_source.text if self.settings.customer_source else "routing.customer"
        inputs = f"account {lead.match.account_id}; {rule}"
        if self.is_customer(prepare_record(found.record)) is not True:
            path.append(Step("customer check", inputs, "not a customer"))
            return None
        path.append(Step("customer check", inputs, "a customer: no fit check"))
        return self._matched(lead, path, customer=True)

    # ---- 2. qualification ------------------------------------------------------------------------

    def _qualify(self, lead: Lead, path: list[Step]) -> Routed | None:
        failures: list[str] = []
        threshold = self.settings.fit_threshold
        if lead.fit is None:
            path.append(Step("fit", "no fit model in the plan", "not scored"))
        elif threshold is None:
            path.append(Step("fit", f"score {lead.fit.score}; no threshold", "qualified"))
        else:
            inputs = f"score {lead.fit.score}, threshold {threshold}; {lead.fit.reasons}"
            if lead.fit.score < threshold:
                failures.append(f"fit score {lead.fit.score} is below {threshold} ({lead.fit.reasons})")
                path.append(Step("fit", inputs, "below the threshold: nurture"))
            else:
                path.append(Step("fit", inputs, "qualified"))
        relevance = lead.relevance
        if relevance is None:
            why = "no catalogue in the plan" if not self.settings.catalogue else "no inquiry text"
            path.append(Step("relevance", why, "not checked"))
        else:
            closest = relevance.product_id or "none"
            inputs = (
                f"relevance {relevance.score:.2f}, threshold {relevance.threshold:.2f}; "
                f"closest product {closest}"
            )
            if relevance.relevant:
                path.append(Step("relevance", inputs, "about our products"))
            else:
                failures.append(
                    f"inquiry is not about our products (relevance {relevance.score:.2f} "
                    f"< {relevance.threshold:.2f}; closest product {closest})"
                )
                path.append(Step("relevance", inputs, "not about our products: nurture"))
        if not failures:
            return None
        return self._decide(lead, path, Outcome.NURTURE, queue=NURTURE_QUEUE, reason="; ".join(failures))

    # ---- 3. account match ------------------------------------------------------------------------

    def _matched(self, lead: Lead, path: list[Step], customer: bool = False) -> Routed | None:
        match = lead.match
        if match is None:
            path.append(Step("account match", "company, email and website", "no matching account"))
            return None
        found = self.account(match.account_id)
        inputs = _matched_inputs(lead)
        if found is None:
            path.append(Step("account match", inputs, f"account {match.account_id} is not in the workspace"))
            return None
        owner, bypass = self._account_owner(lead)
        if owner is not None and not bypass:
            return self._to_owner(lead, path, match, owner, "customer account" if customer else "account")
        path.append(Step("account match", inputs, bypass))
        # The account's own fields place it better than the lead's form: route by the account.
        return self._territory(lead, path, found.record, match.account_id, bypass)

    def _to_owner(
        self, lead: Lead, path: list[Step], match: AccountMatch, owner: str, kind: str, first: str = ""
    ) -> Routed:
        """The lead to its matched account's owner; `first` opens the reason."""
        path.append(
            Step("account match", _matched_inputs(lead), f"{kind} {match.account_id} is owned by {owner}")
        )
        return self._decide(
            lead,
            path,
            Outcome.MATCHED,
            rep_id=owner,
            matched_account_id=match.account_id,
            reason=f"{first}matched {kind} {match.account_id} ({match.reason}); its owner is {owner}",
        )

    def _account_owner(self, lead: Lead) -> tuple[str | None, str]:
        """The lead's matched account's owner, and why they cannot take the lead now ("": they can)."""
        match = lead.match
        if match is None:
            return None, "no matching account"
        found = self.account(match.account_id)
        if found is None:
            return None, f"account {match.account_id} is not in the workspace"
        owner = found.owner_id
        if owner is None:
            return None, f"account {match.account_id} has no owner"
        if owner not in self.reps:
            return (
                owner,
                f"owner {self._who(owner)} of {match.account_id} takes no leads (inactive or unknown)",
            )
        if (back := away_until(self.away.get(owner, ()), lead.day)) is not None:
            return owner, f"owner {self._who(owner)} of {match.account_id} is away until {back.isoformat()}"
        if (capped := self._capped(owner, lead.day)) is not None:
            return owner, f"owner {self._who(owner)} of {match.account_id} {capped}"
        return owner, ""

    # ---- 4. territory and 5. pool ----------------------------------------------------------------

    def _territory(
        self,
        lead: Lead,
        path: list[Step],
        record: Mapping[str, Any] | None = None,
        account_id: str | None = None,
        bypass: str | None = None,
    ) -> Routed:
        """Route by the plan's rules; `bypass` says why the matched account's owner was passed over,
        so the decision's reason tells the whole story."""
        by = f"account {account_id}'s fields" if account_id else "the lead's fields"
        first = f"{bypass}; routed by territory instead: " if bypass else ""
        answer = self.finder.territory_for(record if record is not None else lead.record)[PRIMARY]
        if answer.territory_id is None:
            path.append(Step("territory", f"plan rules on {by}", "no territory matches"))
            return self._fallback(lead, path, None, account_id, f"{first}no territory matches")
        territory = self.plan.by_id[answer.territory_id]
        also = f" (also matched {', '.join(answer.overlaps)})" if answer.overlaps else ""
        path.append(Step("territory", f"plan rules on {by}", f"{territory.id}{also}"))
        pool = [self.reps[r] for r in territory.reps if r in self.reps]
        if not pool:
            why = "has no reps" if not territory.reps else "has no rep who takes leads"
            path.append(Step("pool", f"territory {territory.id}", why))
            return self._fallback(lead, path, territory, account_id, f"{first}territory {territory.id} {why}")
        robin = self._robin(territory)
        day = lead.day
        if robin.last_lead_day is not None and day < robin.last_lead_day:
            # A late-arriving lead cannot go back in time: it joins the queue on the pool's current day.
            day = robin.last_lead_day
        decision = robin.assign(day, self._skills_needed(territory, lead.record))
        members = ", ".join(f"{r.rep_id} (weight {r.lead_weight:g})" for r in pool)
        path.append(
            Step("round robin", f"territory {territory.id} pool: {members}", "; ".join(decision.steps))
        )
        if decision.rep_id is None:
            return self._fallback(
                lead, path, territory, account_id, f"{first}every rep is away, capped or lacks a skill"
            )
        return self._decide(
            lead,
            path,
            Outcome.ROUTED,
            rep_id=decision.rep_id,
            territory_id=territory.id,
            matched_account_id=account_id,
            in_pool=True,
            reason=f"{first}territory {territory.id}{also}; round robin chose {decision.rep_id}",
        )

    def _who(self, rep_id: str) -> str:
        """A rep as a person reads them in a reason: their e-mail when known, else their id."""
        rep = self.reps.get(rep_id)
        return rep.email if rep is not None and rep.email else rep_id

    def _skills_needed(self, territory: Territory, record: Mapping[str, Any]) -> frozenset[str]:
        needed = set()
        for field in territory.lead_skills:
            value = record.get(field)
            if value is not None and str(value).strip():
                needed.add(f"{field}:{str(value).strip().lower()}")
        return frozenset(needed)

    def _fallback(
        self, lead: Lead, path: list[Step], territory: Territory | None, account_id: str | None, why: str
    ) -> Routed:
        manager = territory.manager if territory is not None else None
        territory_id = territory.id if territory is not None else None
        if manager is not None:
            rep = self.reps.get(manager)
            back = away_until(self.away.get(manager, ()), lead.day) if rep is not None else None
            if rep is not None and back is None:
                path.append(Step("fallback", why, f"territory manager {manager}"))
                return self._decide(
                    lead,
                    path,
                    Outcome.FALLBACK,
                    rep_id=manager,
                    territory_id=territory_id,
                    matched_account_id=account_id,
                    reason=f"{why}: sent to the territory's manager {manager}",
                )
            unable = "takes no leads" if rep is None else f"is away until {back}"
            why = f"{why}; manager {manager} {unable}"
        queue = self.settings.fallback_queue
        path.append(Step("fallback", why, f"queue {queue}"))
        return self._decide(
            lead,
            path,
            Outcome.FALLBACK,
            territory_id=territory_id,
            matched_account_id=account_id,
            queue=queue,
            reason=f"{why}: sent to the queue {queue}",
        )

    def _decide(
        self,
        lead: Lead,
        path: Sequence[Step],
        outcome: Outcome,
        *,
        reason: str,
        rep_id: str | None = None,
        territory_id: str | None = None,
        matched_account_id: str | None = None,
        queue: str | None = None,
        in_pool: bool = False,
    ) -> Routed:
        return Routed(
            lead_id=lead.lead_id,
            outcome=outcome,
            rep_id=rep_id,
            territory_id=territory_id,
            matched_account_id=matched_account_id if matched_account_id else _matched_id(lead),
            score=lead.fit.score if lead.fit else None,
            relevance=lead.relevance.score if lead.relevance else None,
            product=lead.relevance.product_id if lead.relevance else None,
            queue=queue,
            in_pool=in_pool,
            reason=reason,
            path=tuple(path),
            day=lead.day,
            email=lead.email,
            crm_owner=_crm_owner(lead),
            crm_owner_rep_id=lead.owner_rep_id,
        )


def _crm_owner(lead: Lead) -> str | None:
    owner = lead.record.get("owner_id")
    text = str(owner).strip() if owner is not None else ""
    return text or None


def _matched_inputs(lead: Lead) -> str:
    match = lead.match
    if match is None:
        return "company, email and website"
    return f"{match.reason} (confidence {match.confidence:.2f})"


def _matched_id(lead: Lead) -> str | None:
    return lead.match.account_id if lead.match else None
