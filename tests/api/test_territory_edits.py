"""A draft's territories edited through the API: add, change the rule with its live count, move and
delete, each at the plan's ETag and keeping the YAML's comments; and rule text that tries SQL
injection, as literals and as field names, which can only ever be a literal or a refusal."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx

from api_server import Server
from territorial.rules.ast import literals_of
from territorial.rules.parser import parse_rule
from territorial.rules.to_sql import to_sql

COMMENTED = """\
# FY27: reviewed with sales ops
name: Edited
territories:
  # North America first
  - id: T-NA
    rule: country = 'US'
    children:
      - id: T-EAST
        rule: state IN ('NY', 'MA')  # the coast
        reps: [REP-ANN, REP-BEN]
      - id: T-WEST
        rule: state IN ('CA', 'WA')
        reps: [REP-CAL, REP-DEE]
"""


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def in_state(server: Server, state: str) -> int:
    """The active US accounts in a state, as the API lists them: other tests add accounts too."""
    listed = ok(server.get("/accounts", "root", state=state, country="US", limit=1000))["items"]
    assert listed, state
    return len(listed)


def commented_draft(server: Server) -> tuple[int, str]:
    cloned = server.send("POST", "/plans/1/clone", "pat")
    plan_id = ok(cloned, 201)["plan_id"]
    put = server.send(
        "PUT",
        f"/plans/{plan_id}",
        "pat",
        headers={"If-Match": cloned.headers["ETag"]},
        json={"yaml": COMMENTED},
    )
    ok(put)
    return plan_id, put.headers["ETag"]


def test_territory_edits_keep_the_yaml_and_need_the_version(writes_server: Server) -> None:
    plan_id, etag = commented_draft(writes_server)
    path = f"/plans/{plan_id}/territories"
    new = {"territory_id": "T-NY", "parent_id": "T-EAST", "rule": "state = 'NY'", "reps": ["REP-ANN"]}
    assert writes_server.send("POST", path, "pat", json=new).status_code == 428
    added = writes_server.send("POST", path, "pat", headers={"If-Match": etag}, json=new)
    assert ok(added, 201)["within_parent"] == in_state(writes_server, "NY")  # ACC-E1, ACC-E3, others
    stale = writes_server.send(
        "PATCH", f"{path}/T-EAST", "pat", headers={"If-Match": etag}, json={"rule": "state = 'MA'"}
    )
    assert stale.status_code == 412, stale.text
    changed = writes_server.send(
        "PATCH",
        f"{path}/T-WEST",
        "pat",
        headers={"If-Match": added.headers["ETag"]},
        json={"rule": "state = 'WA'"},
    )
    assert ok(changed)["within_parent"] == in_state(writes_server, "WA")  # ACC-W2, others
    moved = writes_server.send(
        "PATCH",
        f"{path}/T-NY",
        "pat",
        headers={"If-Match": changed.headers["ETag"]},
        json={"parent_id": None},
    )
    assert ok(moved)["parent_id"] is None
    source = ok(writes_server.get(f"/plans/{plan_id}", "pat"))["source"]
    assert source.startswith(
        "# FY27: reviewed with sales ops\nname: Edited\nterritories:\n  # North America first\n"
    )
    assert (
        "# the coast" in source
        and "rule: state = 'WA'\n" in source
        and source.endswith("  - id: T-NY\n    rule: state = 'NY'\n    reps: [REP-ANN]\n")
    )
    deleted = writes_server.send("DELETE", f"{path}/T-NY", "pat", headers={"If-Match": moved.headers["ETag"]})
    assert ok(deleted) == {"plan_id": plan_id, "territory_id": "T-NY"}
    assert (
        writes_server.send(
            "DELETE", f"{path}/T-EAST", "ann", headers={"If-Match": deleted.headers["ETag"]}
        ).status_code
        == 403
    )


def test_the_live_count_within_the_parent_and_would_win(writes_server: Server) -> None:
    plan_id, _etag = commented_draft(writes_server)
    path = f"/plans/{plan_id}/territories/T-EAST/matches"
    assert ok(writes_server.get(path, "pat"))["within_parent"] >= 3
    counted = ok(writes_server.get(path, "pat", rule="state = 'NY'", would_win="true"))
    assert counted["within_parent"] >= 2 and counted["would_win"] == counted["within_parent"]
    bad = writes_server.get(path, "pat", rule="statez = 'NY'")
    assert bad.status_code == 400 and bad.json()["errors"][0]["location"] == "query.rule"
    assert "did you mean 'state'" in bad.json()["detail"]


HOSTILE_LITERALS = [
    "state = 'x''; DROP TABLE accounts; --'",
    "state = 'NY'' OR ''1''=''1'",
    "name LIKE '%'' UNION SELECT token_hash FROM api_tokens --%'",
    "state = 'O''Brien; DROP TABLE accounts'",
    "state = 'Robert\"); DROP TABLE accounts;--'",
]
# Field names, statements and SQL outside the rule language: each is refused where it stands.
HOSTILE_REFUSED = [
    "state IN ('NY', 'x\\'); DELETE FROM accounts; --')",  # no backslash escapes: the ; is outside
    "state = 'NY'; DROP TABLE accounts",
    '"state"" = 1; DROP TABLE accounts; --" = \'NY\'',
    "(SELECT token_hash FROM api_tokens) = 'x'",
    "state = 'NY' UNION SELECT * FROM users",
    "accounts.state = 'NY'",
    "1 = 1 OR EXISTS (SELECT 1 FROM accounts)",
    "state = CHAR(78) || CHAR(89)",
]


def test_rule_text_can_never_inject_sql(writes_server: Server) -> None:
    plan_id, etag = commented_draft(writes_server)
    before = [a["account_id"] for a in ok(writes_server.get("/accounts", "root", limit=500))["items"]]
    path = f"/plans/{plan_id}/territories/T-EAST"
    for rule in HOSTILE_LITERALS:
        counted = writes_server.get(f"{path}/matches", "pat", rule=rule)
        assert ok(counted)["within_parent"] == 0, rule  # a literal no account holds
        edited = writes_server.send("PATCH", path, "pat", headers={"If-Match": etag}, json={"rule": rule})
        assert ok(edited)["within_parent"] == 0, rule
        etag = edited.headers["ETag"]
    for rule in HOSTILE_REFUSED:
        counted = writes_server.get(f"{path}/matches", "pat", rule=rule)
        assert counted.status_code == 400, (rule, counted.text)
        assert counted.json()["errors"][0]["location"] == "query.rule"
        edited = writes_server.send("PATCH", path, "pat", headers={"If-Match": etag}, json={"rule": rule})
        assert edited.status_code == 400 and edited.json()["errors"][0]["location"] == "body.rule", (
            edited.text
        )
    after = [a["account_id"] for a in ok(writes_server.get("/accounts", "root", limit=500))["items"]]
    assert set(before) <= set(after)  # nothing dropped or deleted (other tests may add accounts)
    assert writes_server.get("/me", "root").status_code == 200  # the users and tokens are all there


def test_hostile_literals_rendered_as_sql_stay_one_literal() -> None:
    """Where a rule reaches SQL it is rendered from the AST: the whole payload is one string constant,
    so the rule matches a row holding exactly that text and runs nothing else."""
    for rule in HOSTILE_LITERALS:
        expr = parse_rule(rule)
        ((field, literal),) = literals_of(expr)
        with sqlite3.connect(":memory:") as db:
            sql = to_sql(expr, "sqlite")
            query = f"SELECT count(*) FROM (SELECT ? AS {field.name}) AS accounts WHERE {sql}"
            payload = str(literal.value).replace("%", "")  # LIKE's wildcards match nothing here
            exact = str(literal.value) if "LIKE" not in rule else payload
            assert db.execute(query, (exact,)).fetchone() == (1,), sql
            assert db.execute(query, ("NY",)).fetchone() == (0,), sql
