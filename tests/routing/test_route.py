"""The routing order for one lead: duplicate, qualify, match, territory, pool, fallback."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from territorial.domain.leads import AccountMatch, AccountOwner, FitVerdict, Lead, Outcome, RelevanceVerdict
from territorial.domain.plan import PRIMARY
from territorial.domain.reps import Rep
from territorial.engine.compiled import CompiledPlan
from territorial.engine.single import TerritoryFinder
from territorial.io.plan_file import parse_plan
from territorial.routing.round_robin import TimeOff
from territorial.routing.route import LeadRouter

PLAN = """\
name: Routing
routing:
  fit_threshold: 40
  duplicate_window_days: 30
  fallback_queue: sdr-queue
territories:
  - id: WEST
    rule: state IN ('CA', 'WA')
    reps: [jane, bob]
    manager: max
  - id: EAST
    rule: state = 'NY'
    reps: [dee, bob]
    lead_skills: [industry]
  - id: SOUTH
    rule: state = 'TX'
"""

DAY = date(2026, 3, 2)
ACCOUNTS = {
    "A-1": AccountOwner("jane", {"account_id": "A-1", "state": "CA"}),
    "A-2": AccountOwner(None, {"account_id": "A-2", "state": "NY", "industry": "healthcare"}),
    "A-3": AccountOwner("gone", {"account_id": "A-3", "state": "TX"}),
}


def router(
    reps: Mapping[str, Rep] | None = None, plan: str = PLAN, away: TimeOff | None = None
) -> LeadRouter:
    parsed = parse_plan(plan)
    pool = reps or {
        "jane": Rep("jane"),
        "bob": Rep("bob", lead_weight=2),
        "dee": Rep("dee", skills=frozenset({"industry:healthcare"})),
        "max": Rep("max"),
    }
    finder = TerritoryFinder(CompiledPlan(parsed))
    return LeadRouter(finder, parsed.routing, pool, ACCOUNTS.get, away=away)


def lead(lead_id: str, day: date = DAY, email: str | None = None, **fields: Any) -> Lead:
    extra = {k: v for k, v in fields.items() if k in ("fit", "relevance", "match")}
    record = {k: v for k, v in fields.items() if k not in extra}
    return Lead(lead_id, day, email, {"lead_id": lead_id, **record}, **extra)


def test_a_lead_in_a_territory_goes_to_its_pool_by_weighted_round_robin() -> None:
    routing = router()
    won = [routing.route(lead(f"L{i}", state="CA")).rep_id for i in range(6)]
    assert won.count("bob") == 4 and won.count("jane") == 2
    decision = routing.route(lead("L9", state="WA"))
    assert decision.outcome is Outcome.ROUTED and decision.territory_id == "WEST" and decision.in_pool
    assert [step.step for step in decision.path] == [
        "duplicate check",
        "fit",
        "relevance",
        "account match",
        "territory",
        "round robin",
    ]


def test_the_same_email_within_the_window_goes_to_the_same_rep() -> None:
    routing = router()
    first = routing.route(lead("L1", email="ann@x.com", state="CA"))
    again = routing.route(lead("L2", date(2026, 3, 20), email="ann@x.com", state="CA"))
    assert again.outcome is Outcome.DUPLICATE and again.rep_id == first.rep_id
    assert "L1" in again.reason
    later = routing.route(lead("L3", date(2026, 5, 1), email="ann@x.com", state="CA"))
    assert later.outcome is Outcome.ROUTED
    assert "outside the window" in later.path[0].outcome


def test_disqualified_leads_go_to_nurture_with_reasons_never_to_a_rep() -> None:
    routing = router()
    low = routing.route(
        lead("L1", state="CA", fit=FitVerdict(12, "source is a cold list (lowers the chance)"))
    )
    assert low.outcome is Outcome.NURTURE and low.rep_id is None and low.queue == "nurture"
    assert "fit score 12 is below 40" in low.reason and "cold list" in low.reason
    off_topic = routing.route(
        lead("L2", state="CA", fit=FitVerdict(90, ""), relevance=RelevanceVerdict(0.1, "crm", False, 0.3))
    )
    assert off_topic.outcome is Outcome.NURTURE and "not about our products" in off_topic.reason
    good = routing.route(
        lead("L3", state="CA", fit=FitVerdict(40, ""), relevance=RelevanceVerdict(0.6, "crm", True, 0.3))
    )
    assert good.outcome is Outcome.ROUTED and good.score == 40 and good.product == "crm"


def test_a_matched_account_owner_gets_the_lead() -> None:
    decision = router().route(lead("L1", state="NY", match=AccountMatch("A-1", 1.0, "same domain")))
    assert decision.outcome is Outcome.MATCHED and decision.rep_id == "jane"
    assert decision.matched_account_id == "A-1" and not decision.in_pool


def test_an_unowned_matched_account_routes_by_the_accounts_own_fields() -> None:
    # The lead says CA, but its account is in New York and needs a healthcare rep.
    decision = router().route(lead("L1", state="CA", match=AccountMatch("A-2", 0.95, "name")))
    assert decision.outcome is Outcome.ROUTED
    assert (decision.territory_id, decision.rep_id, decision.matched_account_id) == ("EAST", "dee", "A-2")
    assert "account A-2's fields" in decision.path[4].inputs


def test_an_owner_who_takes_no_leads_or_is_away_does_not_get_them() -> None:
    gone = router().route(lead("L1", state="CA", match=AccountMatch("A-3", 1.0, "domain")))
    assert gone.outcome is Outcome.FALLBACK and gone.territory_id == "SOUTH"
    reps = {"jane": Rep("jane"), "bob": Rep("bob"), "dee": Rep("dee"), "max": Rep("max")}
    decision = router(reps, away={"jane": ((DAY, date(2026, 3, 9)),)}).route(
        lead("L2", state="CA", match=AccountMatch("A-1", 1.0, "domain"))
    )
    assert decision.outcome is Outcome.ROUTED and decision.rep_id == "bob"
    assert "away until 2026-03-09" in decision.path[3].outcome


def test_skills_the_territory_demands_must_be_covered() -> None:
    routing = router()
    healthcare = routing.route(lead("L1", state="NY", industry="Healthcare"))
    assert healthcare.rep_id == "dee"
    retail = routing.route(lead("L2", state="NY", industry="Retail"))
    assert retail.outcome is Outcome.FALLBACK and retail.queue == "sdr-queue"
    assert "lacks skill industry:retail" in retail.path[-2].outcome


def test_no_lead_is_left_unrouted_silently() -> None:
    routing = router({"max": Rep("max"), "dee": Rep("dee")})
    no_reps_left = routing.route(lead("L1", state="CA"))  # jane and bob take no leads: manager
    assert (no_reps_left.outcome, no_reps_left.rep_id) == (Outcome.FALLBACK, "max")
    vacant = routing.route(lead("L2", state="TX"))
    assert (vacant.outcome, vacant.queue, vacant.territory_id) == (Outcome.FALLBACK, "sdr-queue", "SOUTH")
    nowhere = routing.route(lead("L3", state="ZZ"))
    assert (nowhere.outcome, nowhere.queue, nowhere.territory_id) == (Outcome.FALLBACK, "sdr-queue", None)
    assert "no territory matches" in nowhere.reason


def test_capped_reps_are_skipped_and_a_capped_pool_falls_back_to_the_manager() -> None:
    reps = {"jane": Rep("jane", daily_lead_cap=1), "bob": Rep("bob", daily_lead_cap=1), "max": Rep("max")}
    routing = router(reps)
    got = [routing.route(lead(f"L{i}", state="CA")).rep_id for i in range(3)]
    assert got == ["jane", "bob", "max"]
    assert routing.route(lead("L9", date(2026, 3, 3), state="CA")).rep_id == "jane"  # a new day


@pytest.mark.parametrize("state", ["CA", "NY", "TX", None])
def test_the_territory_is_the_engines_primary_answer(state: str | None) -> None:
    routing = router()
    decision = routing.route(lead("L1", state=state, industry="healthcare"))
    expected = routing.finder.territory_for({"state": state})[PRIMARY].territory_id
    assert decision.territory_id == expected


def test_a_late_arriving_lead_dated_before_the_first_is_still_a_duplicate() -> None:
    routing = router()
    first = routing.route(lead("L1", date(2026, 3, 20), email="ann@x.com", state="CA"))
    late = routing.route(lead("L2", date(2026, 3, 15), email="ann@x.com", state="CA"))
    assert late.outcome is Outcome.DUPLICATE and late.rep_id == first.rep_id
    assert "5 days apart" in late.reason


CUSTOMERS = PLAN.replace(
    "  fallback_queue: sdr-queue\n",
    "  fallback_queue: sdr-queue\n  customer: \"lifecycle_stage = 'customer' OR open_pipeline > 0\"\n",
)
CAP_ALL = PLAN.replace("  fallback_queue: sdr-queue\n", "  fallback_queue: sdr-queue\n  cap_counts: all\n")
LOW_FIT = FitVerdict(5, "industry is Retail")


def customer_router(
    accounts: Mapping[str, AccountOwner], reps: Mapping[str, Rep] | None = None
) -> LeadRouter:
    parsed = parse_plan(CUSTOMERS)
    pool = reps or {"jane": Rep("jane"), "bob": Rep("bob"), "dee": Rep("dee"), "max": Rep("max")}
    return LeadRouter(TerritoryFinder(CompiledPlan(parsed)), parsed.routing, pool, accounts.get)


def test_a_known_customer_with_a_low_fit_score_goes_to_its_owner_not_to_nurture() -> None:
    accounts = {
        "C-1": AccountOwner("jane", {"account_id": "C-1", "state": "CA", "lifecycle_stage": "Customer"}),
        "P-1": AccountOwner("jane", {"account_id": "P-1", "state": "CA", "open_pipeline": 1200.0}),
        "X-1": AccountOwner("jane", {"account_id": "X-1", "state": "CA", "lifecycle_stage": "lead"}),
    }
    routing = customer_router(accounts)
    for account_id in ("C-1", "P-1"):
        decision = routing.route(
            lead(account_id, state="CA", fit=LOW_FIT, match=AccountMatch(account_id, 1.0, "domain"))
        )
        assert (decision.outcome, decision.rep_id) == (Outcome.MATCHED, "jane")
        assert [s.step for s in decision.path] == ["duplicate check", "customer check", "account match"]
        assert f"customer account {account_id}" in decision.reason
    prospect = routing.route(lead("L3", state="CA", fit=LOW_FIT, match=AccountMatch("X-1", 1.0, "domain")))
    assert prospect.outcome is Outcome.NURTURE  # not a customer: the fit check still applies
    assert prospect.path[1].outcome == "not a customer"


def test_a_customer_whose_owner_is_away_is_routed_by_territory_without_the_fit_check() -> None:
    accounts = {
        "C-1": AccountOwner("jane", {"account_id": "C-1", "state": "NY", "lifecycle_stage": "customer"})
    }
    reps = {"jane": Rep("jane", email="jane@example.com"), "dee": Rep("dee"), "bob": Rep("bob")}
    parsed = parse_plan(CUSTOMERS)
    routing = LeadRouter(
        TerritoryFinder(CompiledPlan(parsed)),
        parsed.routing,
        reps,
        accounts.get,
        away={"jane": ((DAY, date(2026, 3, 9)),)},
    )
    decision = routing.route(lead("L1", state="CA", fit=LOW_FIT, match=AccountMatch("C-1", 1.0, "domain")))
    assert decision.outcome is Outcome.ROUTED and decision.territory_id == "EAST"
    assert decision.reason.startswith(
        "owner jane@example.com of C-1 is away until 2026-03-09; routed by territory instead: territory EAST"
    )
    assert "fit" not in [s.step for s in decision.path]


def test_a_bypassed_owner_is_named_in_the_reason() -> None:
    gone = router().route(lead("L1", state="CA", match=AccountMatch("A-3", 1.0, "domain")))
    assert gone.reason.startswith(
        "owner gone of A-3 takes no leads (inactive or unknown); routed by territory"
    )


def test_caps_count_round_robin_leads_by_default_and_every_lead_with_cap_counts_all() -> None:
    reps = {"jane": Rep("jane", daily_lead_cap=2), "bob": Rep("bob"), "max": Rep("max")}
    matched = [lead(f"M{i}", state="CA", match=AccountMatch("A-1", 1.0, "domain")) for i in range(3)]
    pooled = [lead(f"R{i}", state="CA") for i in range(4)]

    default = router(reps)
    assert [default.route(x).rep_id for x in matched] == ["jane"] * 3  # matched leads are not counted
    assert [default.route(x).rep_id for x in pooled].count("jane") == 2

    counting = router(
        reps,
        plan=PLAN.replace(
            "  fallback_queue: sdr-queue\n", "  fallback_queue: sdr-queue\n  cap_counts: all\n"
        ),
    )
    got = [counting.route(x) for x in matched]
    assert [d.rep_id for d in got] == ["jane", "jane", "bob"]  # the third finds jane capped
    assert got[2].reason.startswith("owner jane of A-1 is capped today (2/2); routed by territory instead")
    assert "jane" not in [counting.route(x).rep_id for x in pooled]  # her matched leads filled the cap
    tomorrow = counting.route(lead("N1", date(2026, 3, 3), state="CA", match=AccountMatch("A-1", 1.0, "d")))
    assert tomorrow.rep_id == "jane"


def test_with_cap_counts_all_a_lead_won_in_one_pool_counts_in_the_reps_other_pools() -> None:
    reps = {"jane": Rep("jane"), "bob": Rep("bob", daily_lead_cap=1), "dee": Rep("dee"), "max": Rep("max")}
    routing = router(reps, plan=CAP_ALL)
    west = [routing.route(lead(f"W{i}", state="CA")).rep_id for i in range(2)]
    assert west == ["jane", "bob"]
    east = [routing.route(lead(f"E{i}", state="NY")).rep_id for i in range(2)]
    assert east == ["dee", "dee"]  # bob's one lead of the day went to him in WEST
