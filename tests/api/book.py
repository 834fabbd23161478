"""A workspace with two teams, for the API tests: who may see what is written out by hand here, so
the tests check the service against an independent account of each user's scope."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.context import Context, Role, system_clock
from territorial.services.imports import import_records
from territorial.services.overrides import add_hold, add_override
from territorial.services.plans import add_plan
from territorial.services.routing import open_router, route_workspace_leads
from territorial.services.users import add_user, create_token
from territorial.store.workspace import init_workspace

REPS = """\
rep_id,name,email,manager_id,active
MGR-EAST,Mia,mia@x.com,,true
REP-ANN,Ann,ann@x.com,MGR-EAST,true
REP-BEN,Ben,ben@x.com,REP-ANN,true
MGR-WEST,Wes,wes@x.com,,true
REP-CAL,Cal,cal@x.com,MGR-WEST,true
REP-DEE,Dee,dee@x.com,MGR-WEST,true
"""

# ACC-E3's parent is a West account; ACC-W2 is a Software account, so REP-ANN holds it in the
# security overlay while West holds it in the primary layer.
ACCOUNTS = """\
account_id,name,website,industry,state,country,owner_id,parent_id
ACC-E1,East One,eastone.com,Retail,NY,US,REP-ANN,
ACC-E2,East Two,easttwo.com,Retail,MA,US,REP-BEN,
ACC-E3,East Three,eastthree.com,Retail,NY,US,REP-BEN,ACC-W3
ACC-W1,West One,westone.com,Retail,CA,US,REP-DEE,
ACC-W2,West Two,westtwo.com,Software,WA,US,REP-CAL,
ACC-W3,West Three,westthree.com,Retail,CA,US,REP-CAL,
"""

# Each account's ZIP, for the map's tests (the API tests' book has none): New York (Manhattan),
# Boston, Albany, Los Angeles, Seattle, San Francisco.
ZIPS = {
    "ACC-E1": "10001",
    "ACC-E2": "02108",
    "ACC-E3": "12207",
    "ACC-W1": "90012",
    "ACC-W2": "98101",
    "ACC-W3": "94103",
}


def accounts_with_zips(folder: Path, more: str = "") -> Path:
    """The accounts file with a postal_code column, and `more` rows after them."""
    lines = ACCOUNTS.splitlines()
    rows = [lines[0] + ",postal_code"] + [f"{line},{ZIPS[line.split(',')[0]]}" for line in lines[1:]]
    path = folder / "accounts-with-zips.csv"
    path.write_text("\n".join(rows) + "\n" + more, encoding="utf-8")
    return path


OPPORTUNITIES = """\
opportunity_id,account_id,rep_id,name,amount,created
OPP-1,ACC-E1,REP-ANN,East deal,100,2026-01-05
OPP-2,ACC-W3,REP-ANN,Ann's deal on a West account,200,2026-01-06
OPP-3,ACC-W2,REP-CAL,West software deal,300,2026-01-07
OPP-4,ACC-W1,REP-DEE,Named deal,400,2026-01-08
"""

LEADS = """\
lead_id,first_name,last_name,email,company,website,country,state,created
LEAD-E1,Eve,Lee,eve@eastone.com,East One,eastone.com,US,NY,2026-02-01
LEAD-E2,Ed,Ray,ed@easttwo.com,East Two,easttwo.com,US,MA,2026-02-01
LEAD-W1,Wu,Fox,wu@westone.com,West One,westone.com,US,CA,2026-02-01
LEAD-W3,Val,Kim,val@westthree.com,West Three,westthree.com,US,CA,2026-02-01
"""

PLAN = """\
name: Two teams
territories:
  - id: T-NA
    rule: country = 'US'
    children:
      - id: T-EAST
        rule: state IN ('NY', 'MA')
        reps: [REP-ANN, REP-BEN]
      - id: T-WEST
        rule: state IN ('CA', 'WA')
        reps: [REP-CAL, REP-DEE]
  - id: T-NAMED
    rule: account_id IN ('ACC-W1')
    priority: 100
    reps: [REP-DEE]
  - id: T-SEC
    layer: security
    rule: industry = 'Software'
    reps: [REP-ANN]
"""

USERS = {
    "root": ("admin", None),
    "pat": ("planner", None),
    "mia": ("manager", "MGR-EAST"),
    "wes": ("manager", "MGR-WEST"),
    "ann": ("rep", "REP-ANN"),
    "ben": ("rep", "REP-BEN"),
    "crm": ("integration", None),
}

ACCOUNT_IDS = {"ACC-E1", "ACC-E2", "ACC-E3", "ACC-W1", "ACC-W2", "ACC-W3"}
REP_IDS = {"MGR-EAST", "REP-ANN", "REP-BEN", "MGR-WEST", "REP-CAL", "REP-DEE"}
TERRITORY_IDS = {"T-NA", "T-EAST", "T-WEST", "T-NAMED", "T-SEC"}
LEAD_IDS = {"LEAD-E1", "LEAD-E2", "LEAD-W1", "LEAD-W3"}
EVERY_ID = ACCOUNT_IDS | REP_IDS | TERRITORY_IDS | LEAD_IDS


def scope(accounts: set[str], reps: set[str], territories: set[str], leads: set[str]) -> set[str]:
    return accounts | reps | territories | leads


# Who may see which ids, worked out by hand from the data above. ACC-E3 is REP-ANN's through an
# override below; ACC-W2 is hers in the security overlay. Leads go to their account's live rep.
SCOPES = {
    "ann": scope({"ACC-E1", "ACC-E3", "ACC-W2"}, {"REP-ANN"}, {"T-NA", "T-EAST", "T-SEC"}, {"LEAD-E1"}),
    "ben": scope({"ACC-E2"}, {"REP-BEN"}, {"T-NA", "T-EAST"}, {"LEAD-E2"}),
    "mia": scope(
        {"ACC-E1", "ACC-E2", "ACC-E3", "ACC-W2"},
        {"MGR-EAST", "REP-ANN", "REP-BEN"},
        {"T-NA", "T-EAST", "T-SEC"},
        {"LEAD-E1", "LEAD-E2"},
    ),
    "wes": scope(
        {"ACC-W1", "ACC-W2", "ACC-W3"},
        {"MGR-WEST", "REP-CAL", "REP-DEE"},
        {"T-NA", "T-WEST", "T-NAMED"},
        {"LEAD-W1", "LEAD-W3"},
    ),
}


def build_book(folder: Path, url: str, activated_yesterday: bool = False) -> dict[str, str]:
    """The workspace at `url`, filled through the services the CLI calls (one connection: each CLI
    command opens the workspace anew, which made this take 18 s); each user's token, by user name.
    `activated_yesterday` activates the plan a day back, so a test may activate another today (a
    day has one activation)."""
    for name, text in (
        ("reps.csv", REPS),
        ("accounts.csv", ACCOUNTS),
        ("opportunities.csv", OPPORTUNITIES),
        ("leads.csv", LEADS),
        ("plan.yaml", PLAN),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    # The real clock: the tokens must be valid while the server runs, and activation is today.
    ctx = Context.admin("tester")
    store = init_workspace(url)
    try:
        for entity in (Entity.REPS, Entity.ACCOUNTS, Entity.OPPORTUNITIES, Entity.LEADS):
            import_records(store, ctx, entity, folder / f"{entity.value}.csv")
        plan_id = add_plan(store, ctx, folder / "plan.yaml")
        day_before = Context.admin("tester", system_clock() - timedelta(days=1))
        activate_plan(store, day_before if activated_yesterday else ctx, plan_id)
        add_override(store, ctx, "ACC-E3", None, "REP-ANN", "named account")
        add_hold(store, ctx, "ACC-W3", date(2099, 12, 31))
        route_workspace_leads(store, ctx, open_router(store, plan_id))
        tokens = {}
        for user, (role, rep) in USERS.items():
            add_user(store, ctx, user, Role(role), rep)
            tokens[user] = create_token(store, ctx, user).token
    finally:
        store.engine.dispose()
    return tokens
