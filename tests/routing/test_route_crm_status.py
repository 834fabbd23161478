"""What the CRM says of a lead now: converted leads are never routed, a rep's lead stays theirs,
and a customer (HubSpot's lifecycle stage) skips the fit check."""

from __future__ import annotations

from dataclasses import replace

from test_route import PLAN, lead, router

from territorial.domain.leads import AccountMatch, FitVerdict, Outcome
from territorial.io.plan_file import parse_plan


def test_a_converted_lead_is_skipped_with_no_rep_and_moves_no_pool() -> None:
    routing = router()
    decision = routing.route(lead("L1", state="CA", converted=True))
    assert decision.outcome is Outcome.SKIPPED and decision.rep_id is None and not decision.in_pool
    assert "converted" in decision.reason
    assert [step.step for step in decision.path] == ["CRM status"]
    assert not routing.touched  # no pool started
    assert routing.route(lead("L2", state="CA", converted=False)).outcome is Outcome.ROUTED


def test_a_lead_the_crm_gives_to_a_rep_who_takes_leads_stays_theirs() -> None:
    routing = router()
    owned = replace(lead("L1", state="CA", owner_id="Dee Smith"), owner_rep_id="dee")
    decision = routing.route(owned)
    assert decision.outcome is Outcome.OWNED and decision.rep_id == "dee" and not decision.in_pool
    assert "already owned in the CRM by dee" in decision.reason
    assert decision.path[0].step == "CRM owner" and "Dee Smith" in decision.path[0].inputs
    assert not routing.touched


def test_a_lead_owned_by_a_queue_a_stranger_or_a_rep_who_left_is_routed_and_says_so() -> None:
    routing = router()
    queue = routing.route(lead("L1", state="CA", owner_id="00G5g000001AbCd"))  # names no rep
    assert queue.outcome is Outcome.ROUTED and queue.path[0].outcome == "a queue: routed"
    stranger = routing.route(lead("L3", state="CA", owner_id="Integration User"))
    assert stranger.outcome is Outcome.ROUTED and stranger.path[0].outcome == "not a rep here: routed"
    left = routing.route(replace(lead("L2", state="CA", owner_id="gone@x.com"), owner_rep_id="gone"))
    assert left.outcome is Outcome.ROUTED and "takes no leads now" in left.path[0].outcome


def test_crm_owner_reassign_routes_a_reps_lead_as_if_it_had_no_owner() -> None:
    plan = PLAN.replace(
        "  fallback_queue: sdr-queue\n", "  fallback_queue: sdr-queue\n  crm_owner: reassign\n", 1
    )
    assert parse_plan(plan).routing.crm_owner == "reassign"
    routing = router(plan=plan)
    decision = routing.route(replace(lead("L1", state="CA", owner_id="dee"), owner_rep_id="dee"))
    assert decision.outcome is Outcome.ROUTED and decision.rep_id in ("jane", "bob")
    assert "crm_owner: reassign" in decision.path[0].outcome


def test_a_customer_or_opportunity_by_lifecycle_stage_goes_to_its_account_owner_or_is_skipped() -> None:
    """HubSpot's lifecycle stage past lead: no fit check and no round robin. The matched account's
    owner takes it; without one who can, it is skipped and its CRM owner stands."""
    routing = router()
    low = FitVerdict(5, "small company")
    assert routing.route(lead("L1", state="CA", fit=low)).outcome is Outcome.NURTURE
    for n, stage in enumerate(("Customer", "customer", "EVANGELIST", "opportunity")):
        decision = routing.route(lead(f"C{n}", state="CA", fit=low, lifecycle_stage=stage))
        assert decision.outcome is Outcome.SKIPPED and decision.rep_id is None, stage
        assert not decision.in_pool and "fit" not in [step.step for step in decision.path]
        assert decision.reason.startswith("already a") and "not routed as a new lead" in decision.reason
        assert "no matching account" in decision.reason
    assert not routing.touched  # no pool moved
    by_email = AccountMatch("A-1", 0.9, "email")
    matched = lead("C9", state="NY", fit=low, lifecycle_stage="Customer", match=by_email)
    decision = routing.route(matched)
    assert decision.outcome is Outcome.MATCHED and decision.rep_id == "jane"
    assert decision.reason.startswith("already a customer in the CRM (lifecycle stage Customer)")
    for stage in ("Lead", "Marketing Qualified Lead", "salesqualifiedlead"):
        assert routing.route(lead(f"S-{stage}", state="CA", fit=low, lifecycle_stage=stage)).outcome is (
            Outcome.NURTURE
        )


def test_a_customer_whose_account_owner_cannot_take_it_is_skipped_not_round_robined() -> None:
    routing = router()
    # A-3's owner is inactive (see test_route's accounts): the customer keeps its CRM owner.
    decision = routing.route(
        lead("C1", state="CA", lifecycle_stage="Customer", match=AccountMatch("A-3", 0.9, "email"))
    )
    assert decision.outcome is Outcome.SKIPPED, decision
    assert "takes no leads" in decision.reason and not routing.touched
