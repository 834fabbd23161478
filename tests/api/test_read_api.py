"""The read API through a real server on SQLite and on PostgreSQL: what each role sees, pages,
problem details for every error, and the security headers on every response."""

from __future__ import annotations

from typing import Any

import httpx

from api_server import Server
from territorial.services.context import Context
from territorial.services.users import create_token, revoke_token
from territorial.store.workspace import open_workspace

SECURITY_HEADERS = ("x-content-type-options", "content-security-policy", "referrer-policy", "x-frame-options")


def ids(response: httpx.Response, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


def test_each_role_sees_its_own_accounts(server: Server) -> None:
    assert ids(server.get("/accounts", "root"), "account_id") == [
        "ACC-E1", "ACC-E2", "ACC-E3", "ACC-W1", "ACC-W2", "ACC-W3",
    ]  # fmt: skip
    assert ids(server.get("/accounts", "pat"), "account_id") == ids(
        server.get("/accounts", "root"), "account_id"
    )
    assert ids(server.get("/accounts", "mia"), "account_id") == ["ACC-E1", "ACC-E2", "ACC-E3", "ACC-W2"]
    assert ids(server.get("/accounts", "ann"), "account_id") == ["ACC-E1", "ACC-E3", "ACC-W2"]
    assert ids(server.get("/accounts", "ben"), "account_id") == ["ACC-E2"]


def test_accounts_of_one_rep(server: Server) -> None:
    assert ids(server.get("/accounts", "root", rep="REP-BEN"), "account_id") == ["ACC-E2"]
    assert ids(server.get("/accounts", "root", rep="REP-ANN"), "account_id") == ["ACC-E1", "ACC-E3", "ACC-W2"]
    # A filter never widens a scope: Ben's accounts, asked for by Ann, are none of hers.
    assert ids(server.get("/accounts", "ann", rep="REP-BEN"), "account_id") == []
    assert ids(server.get("/accounts", "mia", territory="T-EAST"), "account_id") == [
        "ACC-E1",
        "ACC-E2",
        "ACC-E3",
    ]


def test_ids_outside_the_scope_are_hidden_inside_visible_rows(server: Server) -> None:
    """ACC-W2 is Ann's in the security overlay, but West owns it: its owner is not hers to see."""
    accounts = {a["account_id"]: a for a in server.get("/accounts", "ann").json()["items"]}
    assert accounts["ACC-W2"]["owner_id"] is None
    assert accounts["ACC-E3"]["parent_id"] is None  # a West account
    root = {a["account_id"]: a for a in server.get("/accounts", "root").json()["items"]}
    assert (root["ACC-W2"]["owner_id"], root["ACC-E3"]["parent_id"]) == ("REP-CAL", "ACC-W3")
    opportunities = {o["opportunity_id"]: o for o in server.get("/opportunities", "ann").json()["items"]}
    assert sorted(opportunities) == ["OPP-1", "OPP-2", "OPP-3"]
    assert opportunities["OPP-2"]["account_id"] is None  # hers, on a West account
    assert opportunities["OPP-3"]["rep_id"] is None  # Cal's, on her overlay account


def test_pages_follow_the_cursor_to_the_end(server: Server) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = server.get("/accounts", "root", limit=4, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["account_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ACC-E1", "ACC-E2", "ACC-E3", "ACC-W1", "ACC-W2", "ACC-W3"]


def test_live_rows_leads_and_reps_by_role(server: Server) -> None:
    live = server.get("/assignment", "ann").json()["items"]
    assert [(r["account_id"], r["layer"], r["rep_id"]) for r in live] == [
        ("ACC-E1", "primary", "REP-ANN"),
        ("ACC-E3", "primary", "REP-ANN"),
        ("ACC-W2", "security", "REP-ANN"),
    ]
    assert "REP-BEN" not in live[0]["reason"]  # the pool's other rep is hidden in the reason
    assert ids(server.get("/leads", "ann"), "lead_id") == ["LEAD-E1"]
    assert ids(server.get("/leads", "mia"), "lead_id") == ["LEAD-E1", "LEAD-E2"]
    assert ids(server.get("/reps", "mia"), "rep_id") == ["MGR-EAST", "REP-ANN", "REP-BEN"]
    assert ids(server.get("/reps", "ben"), "rep_id") == ["REP-BEN"]
    assert ids(server.get("/reps", "root", manager="MGR-WEST"), "rep_id") == ["REP-CAL", "REP-DEE"]


def test_a_reps_explain_shows_only_the_path_to_their_territory(server: Server) -> None:
    mine = server.get("/accounts/ACC-W2/explain", "ann").json()
    assert list(mine["answers"]) == ["security"]
    assert [v["territory_id"] for v in mine["visits"]] == ["T-SEC"]
    full = server.get("/accounts/ACC-W2/explain", "root").json()
    assert sorted(full["answers"]) == ["primary", "security"]
    assert full["answers"]["primary"]["territory_id"] == "T-WEST"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_errors_are_problem_details_naming_where(server: Server) -> None:
    assert problem(server.get("/accounts"), 401)["errors"][0]["location"] == "header.Authorization"
    stranger = httpx.get(server.url + "/accounts", headers={"Authorization": "Bearer trl_nope"})
    assert problem(stranger, 401)["detail"] == "the token is unknown, revoked or expired"
    assert problem(server.get("/accounts", "crm"), 403)["errors"][0]["subject"] == "read"
    assert problem(server.get("/runs", "ann"), 403)
    assert server.get("/runs", "pat").status_code == 200
    assert problem(server.get("/accounts", "root", limit=0), 422)["errors"][0]["location"] == "query.limit"
    assert (
        problem(server.get("/accounts", "root", cursor="zz"), 400)["errors"][0]["location"] == "query.cursor"
    )
    assert problem(server.get("/plans/abc", "root"), 422)["errors"][0]["location"] == "path.plan_id"
    assert problem(server.get("/nowhere", "root"), 404)


def test_out_of_scope_reads_as_missing(server: Server) -> None:
    """Another team's account answers exactly as an account that does not exist."""
    hidden = problem(server.get("/accounts/ACC-W1", "ann"), 404)
    missing = problem(server.get("/accounts/ACC-NONE", "ann"), 404)
    assert hidden["detail"].replace("ACC-W1", "X") == missing["detail"].replace("ACC-NONE", "X")
    assert server.get("/accounts/ACC-W1", "root").status_code == 200
    problem(server.get("/accounts/ACC-W1/explain", "mia"), 404)


def test_every_response_carries_the_security_headers(server: Server) -> None:
    for response in (
        server.get("/accounts", "root"),
        server.get("/accounts"),
        server.get("/accounts/ACC-W1", "ann"),
        server.get("/docs"),
        server.get("/openapi.json"),
    ):
        assert all(response.headers.get(name) for name in SECURITY_HEADERS), response.url
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_revoked_token_is_refused_at_once(server: Server) -> None:
    """The server reads the token's state on each request: revoking it needs no restart."""
    workspace, ctx = open_workspace(server.database_url), Context.admin("tester")
    try:
        created = create_token(workspace, ctx, "ben", label="revoked in a test")
        signed_in = httpx.get(server.url + "/me", headers={"Authorization": f"Bearer {created.token}"})
        assert signed_in.json()["user_name"] == "ben"
        revoke_token(workspace, ctx, created.stored.token_id)
        problem(httpx.get(server.url + "/me", headers={"Authorization": f"Bearer {created.token}"}), 401)
    finally:
        workspace.engine.dispose()
