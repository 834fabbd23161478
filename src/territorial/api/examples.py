"""One example response per operation, for the OpenAPI document (a test checks none is missing)."""

from __future__ import annotations

from typing import Any

ACCOUNT = {
    "account_id": "001-ACME",
    "name": "Acme Corp",
    "website": "acme.com",
    "industry": "Healthcare",
    "employees": 1200.0,
    "annual_revenue": 5.0e8,
    "type": "Customer",
    "parent_id": None,
    "owner_id": "005-JANE",
    "street": "1 Main St",
    "city": "Boston",
    "state": "MA",
    "postal_code": "02110",
    "country": "US",
    "latitude": 42.36,
    "longitude": -71.05,
    "custom": {"segment": "enterprise"},
}
REP = {
    "rep_id": "005-JANE",
    "name": "Jane Doe",
    "email": "jane@example.com",
    "role": "AE",
    "team": "East",
    "manager_id": "005-MIKE",
    "home_postal_code": "02110",
    "latitude": None,
    "longitude": None,
    "capacity": 1.0,
    "skills": "industry:healthcare",
    "quota": 1.0e6,
    "lead_weight": 1.0,
    "daily_lead_cap": None,
    "monthly_lead_cap": None,
    "start_date": "2025-01-06",
    "end_date": None,
    "active": True,
}
OPPORTUNITY = {
    "opportunity_id": "006-1",
    "account_id": "001-ACME",
    "rep_id": "005-JANE",
    "name": "Acme renewal",
    "product": "Platform",
    "stage": "Negotiation",
    "amount": 120000.0,
    "created": "2026-01-15",
    "closed": None,
    "won": None,
}
LEAD = {
    "lead_id": "00Q-1",
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "ann@acme.com",
    "company": "Acme Corp",
    "website": "acme.com",
    "country": "US",
    "state": "MA",
    "postal_code": "02110",
    "industry": "Healthcare",
    "employees": 1200.0,
    "source": "Web",
    "inquiry": "Pricing for 50 seats",
    "created": "2026-03-01",
    "routed_rep_id": "005-JANE",
    "routed_territory_id": "EAST",
    "matched_account_id": "001-ACME",
    "decision": "routed",
}
LIVE_ROW = {
    "account_id": "001-ACME",
    "layer": "primary",
    "territory_id": "EAST",
    "rep_id": "005-JANE",
    "overlaps": [],
    "tie": False,
    "reason": "EAST: state IN ('MA', 'NY'). Its owner is in the pool.",
    "cause": "plan 3 activated",
    "since": "2026-02-01",
}
EXPLANATION = {
    "account_id": "001-ACME",
    "visits": [
        {
            "territory_id": "EAST",
            "name": "East",
            "depth": 0,
            "rule": "state IN ('MA', 'NY')",
            "result": "TRUE",
            "because": ["state = 'MA'"],
        },
    ],
    "answers": {
        "primary": {
            "layer": "primary",
            "territory_id": "EAST",
            "overlaps": [],
            "tie": False,
            "candidate_reps": ["005-JANE"],
        },
    },
    "resolution": ["primary: EAST, the only match"],
    "live": ["plan 3, active since 2026-02-01"],
    "warnings": [],
}
OVERRIDE = {
    "override_id": 1,
    "account_id": "001-ACME",
    "layer": "primary",
    "territory_id": None,
    "rep_id": "005-JANE",
    "reason": "named account",
    "actor": "ann",
    "created_at": "2026-02-02T09:00:00Z",
    "until": "2026-06-30",
    "ended_at": None,
    "end_cause": None,
}
HOLD = {
    "hold_id": 1,
    "account_id": "001-ACME",
    "layer": "primary",
    "territory_id": "EAST",
    "rep_id": "005-JANE",
    "actor": "ann",
    "created_at": "2026-02-02T09:00:00Z",
    "until": "2026-03-31",
    "ended_at": None,
    "end_cause": None,
}
PLAN = {
    "plan_id": 3,
    "name": "FY27 North America",
    "file_name": "fy27.yaml",
    "state": "active",
    "effective": "2026-02-01",
    "created_at": "2026-01-20T10:00:00Z",
    "actor": "ann",
    "source": "name: FY27 North America\nterritories: ...",
}
TERRITORY = {
    "territory_id": "EAST",
    "name": "East",
    "parent_id": None,
    "layer": "primary",
    "depth": 0,
    "order": 0,
    "priority": 0,
    "rule": "state IN ('MA', 'NY')",
    "reps": ["005-JANE"],
}
RUN = {
    "run_id": 7,
    "plan_id": 3,
    "started_at": "2026-01-21T10:00:00Z",
    "finished_at": "2026-01-21T10:00:04Z",
    "accounts": 5000,
    "unassigned": 12,
    "ties": 0,
    "actor": "ann",
}
NEXT = "eyJhZnRlciI6ICIwMDEtQUNNRSJ9"


def page(item: dict[str, Any]) -> dict[str, Any]:
    return {"items": [item], "next_cursor": NEXT}


EXAMPLES: dict[str, Any] = {
    "list_accounts": page(ACCOUNT),
    "get_account": ACCOUNT,
    "list_reps": page(REP),
    "get_rep": REP,
    "list_opportunities": page(OPPORTUNITY),
    "get_opportunity": OPPORTUNITY,
    "list_leads": page(LEAD),
    "get_lead": LEAD,
    "list_live_assignment": page(LIVE_ROW),
    "explain_account": EXPLANATION,
    "list_overrides": page(OVERRIDE),
    "list_holds": page(HOLD),
    "list_plans": page(PLAN),
    "get_plan": PLAN,
    "list_plan_territories": page(TERRITORY),
    "list_runs": page(RUN),
    "get_run": RUN,
    "get_me": {"user_name": "jane", "role": "rep", "rep_id": "005-JANE", "scopes": ["read"]},
}
IMPORTED = {
    "import_id": 12,
    "entity": "accounts",
    "rows_read": 1,
    "inserted": 0,
    "updated": 1,
    "unchanged": 0,
    "deactivated": 0,
    "normalized_cells": 1,
    "live_changes": 1,
}
DECISION = {
    "lead_id": "00Q-1",
    "decision": "matched",
    "rep_id": "005-JANE",
    "territory_id": "EAST",
    "matched_account_id": "001-ACME",
    "queue": None,
    "score": None,
    "relevance": None,
    "product": None,
    "reason": "matched account 001-ACME (website acme.com); its owner 005-JANE takes it",
    "path": [
        {"step": "match", "inputs": "website acme.com", "outcome": "account 001-ACME"},
        {"step": "owner", "inputs": "account 001-ACME", "outcome": "005-JANE"},
    ],
    "already_routed": False,
}
PIN_CHANGED = {
    "account_id": "001-ACME",
    "layer": "primary",
    "cause": "override by a planner: named account",
    "live_changes": 1,
}
PLAN_YAML = "name: FY27 North America\nterritories:\n  - id: EAST\n    rule: state IN ('MA', 'NY')\n"
EXAMPLES.update(
    {
        "upsert_account": IMPORTED,
        "upsert_rep": {**IMPORTED, "entity": "reps", "live_changes": None},
        "upsert_opportunity": {**IMPORTED, "entity": "opportunities", "live_changes": None},
        "upsert_lead": {**IMPORTED, "entity": "leads", "live_changes": None},
        "import_upload": {**IMPORTED, "rows_read": 5000, "inserted": 120, "updated": 300, "unchanged": 4580},
        "route_leads": {"decisions": [DECISION]},
        "add_plan": {**PLAN, "plan_id": 4, "state": "draft", "effective": None, "source": PLAN_YAML},
        "update_plan": {**PLAN, "plan_id": 4, "state": "draft", "effective": None, "source": PLAN_YAML},
        "delete_plan": {"plan_id": 4, "runs_deleted": 0},
        "clone_plan": {**PLAN, "plan_id": 5, "state": "draft", "effective": None},
        "add_override": PIN_CHANGED,
        "remove_override": {**PIN_CHANGED, "cause": "override removed"},
        "add_hold": {**PIN_CHANGED, "cause": "hold by ann until 2026-06-30"},
        "remove_hold": {**PIN_CHANGED, "cause": "hold removed"},
        "add_territory": {
            "plan_id": 4,
            "territory_id": "NEW-ENGLAND",
            "parent_id": "EAST",
            "rule": "state IN ('MA', 'NH', 'VT', 'ME')",
            "within_parent": 412,
        },
        "change_territory": {
            "plan_id": 4,
            "territory_id": "NEW-ENGLAND",
            "parent_id": "EAST",
            "rule": "state IN ('MA', 'NH', 'VT', 'ME', 'RI', 'CT')",
            "within_parent": 530,
        },
        "delete_territory": {"plan_id": 4, "territory_id": "NEW-ENGLAND"},
        "assign_plan": {**RUN, "plan_id": 4},
        "check_plan": {
            "plan_id": 4,
            "passed": False,
            "checks": [
                {"name": "balanced", "passed": True, "rows": 40, "failed_rows": 0},
                {"name": "few moves", "passed": False, "rows": 5000, "failed_rows": 12},
            ],
            "baseline": "each account's owner_id",
        },
        "compare_plans": {
            "plan_a": 3,
            "plan_b": 4,
            "accounts_moving": 312,
            "continuity": 0.94,
            "balance_a": {"reps": 40, "cv": 0.21, "max_over_mean": 1.6},
            "balance_b": {"reps": 40, "cv": 0.08, "max_over_mean": 1.2},
            "warnings": [],
        },
        "activate_plan": {
            "plan_id": 4,
            "activation_id": 9,
            "effective": "2026-07-01",
            "scheduled": True,
            "archived": None,
            "accounts": 0,
            "live_changes": 0,
            "warnings": [],
        },
        "unschedule_plan": {"plan_id": 4, "effective": "2026-07-01"},
        "count_rule_matches": {
            "territory_id": "NEW-ENGLAND",
            "rule": "state IN ('MA', 'NH')",
            "within_parent": 301,
            "would_win": 288,
        },
    }
)
JOB = {
    "job_id": 7,
    "kind": "assign",
    "parameters": {"plan_id": 4},
    "state": "running",
    "progress": 0.4,
    "message": "Assigning 1,000,000 accounts",
    "result": None,
    "error": None,
    "submitted_by": "ann",
    "created_at": "2026-06-01T09:00:00+00:00",
    "started_at": "2026-06-01T09:00:01+00:00",
    "finished_at": None,
    "cancel_requested": False,
}
EXAMPLES.update(
    {
        "submit_job": {**JOB, "state": "queued", "progress": None, "message": "queued", "started_at": None},
        "list_jobs": [
            {
                **JOB,
                "state": "succeeded",
                "progress": 1.0,
                "message": "done",
                "result": {"run_id": 12},
                "finished_at": "2026-06-01T09:01:10+00:00",
            }
        ],
        "get_job": JOB,
        "cancel_job": {**JOB, "cancel_requested": True},
    }
)
ACCOUNT_SENT = {"account_id": "001-ACME", "employees": 1300.0, "custom": {"segment": "enterprise"}}
# The request each write takes, as an example (a test sends each to the live server).
REQUEST_EXAMPLES: dict[str, Any] = {
    "upsert_account": ACCOUNT_SENT,
    "upsert_rep": {"rep_id": "005-JANE", "team": "East", "capacity": 1.0},
    "upsert_opportunity": {"opportunity_id": "006-1", "account_id": "001-ACME", "amount": 150000.0},
    "upsert_lead": {"lead_id": "00Q-1", "email": "ann@acme.com", "company": "Acme Corp"},
    "import_upload": "account_id,name,state\n001-ACME,Acme Corp,MA\n",
    "route_leads": {
        "leads": [{"lead_id": "00Q-1", "email": "ann@acme.com", "company": "Acme Corp", "state": "MA"}]
    },
    "add_plan": {"file_name": "fy27.yaml", "yaml": PLAN_YAML},
    "update_plan": {"file_name": "fy27.yaml", "yaml": PLAN_YAML},
    "add_override": {"account_id": "001-ACME", "rep_id": "005-JANE", "reason": "named account"},
    "add_hold": {"account_id": "001-ACME", "until": "2026-06-30"},
    "add_territory": {
        "territory_id": "NEW-ENGLAND",
        "parent_id": "EAST",
        "name": "New England",
        "rule": "state IN ('MA', 'NH', 'VT', 'ME')",
        "reps": ["005-JANE"],
    },
    "change_territory": {"rule": "state IN ('MA', 'NH', 'VT', 'ME', 'RI', 'CT')"},
    "activate_plan": {"effective": "2026-07-01"},
    "submit_job": {"kind": "assign", "parameters": {"plan_id": 4}},
}
PROBLEM = {
    "type": "about:blank",
    "title": "Not found",
    "status": 404,
    "detail": "no account with id '001-NONE'",
    "errors": [{"location": "path.account_id", "subject": None, "detail": "no account with id '001-NONE'"}],
}
