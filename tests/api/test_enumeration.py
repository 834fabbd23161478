"""Every OpenAPI operation as reps and managers, with path ids in and out of scope: no body names an
account, rep, territory or lead outside the user's scope, no list counts rows beyond it, and every
write is refused (403), whatever it names."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from book import EVERY_ID, SCOPES

from api_server import Server

# The values each path parameter is tried with: every id the workspace has, and one it has not.
PATH_VALUES = {
    "account_id": ["ACC-E1", "ACC-E2", "ACC-E3", "ACC-W1", "ACC-W2", "ACC-W3", "ACC-NONE"],
    "rep_id": ["MGR-EAST", "REP-ANN", "REP-BEN", "MGR-WEST", "REP-CAL", "REP-DEE", "REP-NONE"],
    "opportunity_id": ["OPP-1", "OPP-2", "OPP-3", "OPP-4", "OPP-NONE"],
    "lead_id": ["LEAD-E1", "LEAD-E2", "LEAD-W1", "LEAD-W3", "LEAD-NONE"],
    "plan_id": ["1", "999"],
    "run_id": ["1", "999"],
    "entity": ["accounts", "reps", "opportunities", "leads"],
    "territory_id": ["T-EAST", "T-WEST", "T-NONE"],
    "other_plan_id": ["1", "999"],
    "job_id": ["1", "999"],
}
# Filters tried on every operation that takes them: each asks for what is outside the scope.
FILTERS = {"rep": "REP-CAL", "territory": "T-WEST", "account": "ACC-W1", "manager": "MGR-WEST"}
TOKEN = re.compile(r"[^\s'\",;()\[\]{}]+")


Call = tuple[str, str, dict[str, str], Any]  # method, path, query, body


def calls(document: dict[str, Any]) -> list[Call]:
    """Each operation with every combination of its path values: a read also once per filter, a
    write with its example request (which a reader or a manager may not make)."""
    found: list[Call] = []
    for path, operations in sorted(document["paths"].items()):
        names = re.findall(r"{(\w+)}", path)
        fillings: list[str] = [path]
        for name in names:
            fillings = [f.replace(f"{{{name}}}", value) for f in fillings for value in PATH_VALUES[name]]
        for method, operation in sorted(operations.items()):
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            contents = operation.get("requestBody", {}).get("content", {})
            body = next((content["example"] for content in contents.values()), None)
            for filled in fillings:
                found.append((method, filled, {}, body))
                if method == "get":
                    found += [
                        ("get", filled, {name: value}, None)
                        for name, value in FILTERS.items()
                        if name in query
                    ]
    return found


def request(
    client: httpx.Client, method: str, path: str, params: dict[str, str], body: Any
) -> httpx.Response:
    if method == "get":
        return client.get(path, params=params)
    sent: dict[str, Any] = {"content": body.encode()} if isinstance(body, str) else {"json": body}
    # A version and a key as a client would send them: the refusal must come from the role.
    headers = {"If-Match": '"any"', "Idempotency-Key": "enumeration"}
    return client.request(method.upper(), path, params=params, headers=headers, **sent)


def leaked(body: Any, allowed: set[str]) -> set[str]:
    """The ids outside `allowed` that a body names, anywhere: in a field, a list or inside a text."""
    text = json.dumps(body)
    return {token for token in TOKEN.findall(text) if token in EVERY_ID - allowed}


def test_the_scan_finds_what_it_looks_for() -> None:
    assert leaked({"reason": "kept by REP-CAL (pool: REP-ANN, REP-DEE)"}, SCOPES["ann"]) == {
        "REP-CAL",
        "REP-DEE",
    }
    assert leaked({"items": [{"account_id": "ACC-E1"}]}, SCOPES["ann"]) == set()


@pytest.mark.parametrize("user", ["ann", "ben", "mia", "wes"])
def test_no_operation_shows_anything_outside_the_users_scope(sqlite_server: Server, user: str) -> None:
    document = sqlite_server.get("/openapi.json").json()
    allowed = SCOPES[user]
    headers = {"Authorization": f"Bearer {sqlite_server.tokens[user]}"}
    problems = []
    with httpx.Client(base_url=sqlite_server.url, headers=headers, timeout=60) as client:
        for method, path, params, body in calls(document):
            response = request(client, method, path, params, body)
            assert response.status_code < 500, (method, path, params, response.text)
            if method != "get" and response.status_code != 403:
                problems.append(f"{method.upper()} {path}: {response.status_code}, expected 403 (no writes)")
            # Naming back the id one asked for reveals nothing; answering for it beyond 404 would.
            asked = set(TOKEN.findall(path.replace("/", " "))) & EVERY_ID
            if asked - allowed and response.status_code not in (403, 404):
                problems.append(f"{path}: {response.status_code} for an id outside the scope")
            found = leaked(response.json(), allowed | asked)
            if found:
                problems.append(f"{path} {params}: {sorted(found)}")
            if response.status_code == 200 and "items" in response.json():
                problems += counted_beyond_scope(path, params, response.json()["items"], allowed)
    assert not problems, "\n".join(problems)


def counted_beyond_scope(path: str, params: dict[str, str], items: list[Any], allowed: set[str]) -> list[str]:
    """An aggregate over rows outside the scope is a leak too: a list's length is the simplest total,
    so each list of the user's records holds exactly their rows."""
    own = {
        "/accounts": {i for i in allowed if i.startswith("ACC-")},
        "/leads": {i for i in allowed if i.startswith("LEAD-")},
        "/reps": {i for i in allowed if i.startswith(("REP-", "MGR-"))},
    }
    if path not in own or params:
        return []
    key = {"/accounts": "account_id", "/leads": "lead_id", "/reps": "rep_id"}[path]
    listed = {item[key] for item in items}
    return [] if listed == own[path] else [f"{path}: lists {sorted(listed)}, expected {sorted(own[path])}"]


def test_the_same_calls_as_an_admin_do_name_other_teams(sqlite_server: Server) -> None:
    """The enumeration can fail: an admin's answers name what the rep may not see."""
    found: set[str] = set()
    headers = {"Authorization": f"Bearer {sqlite_server.tokens['root']}"}
    with httpx.Client(base_url=sqlite_server.url, headers=headers, timeout=60) as client:
        for path in ("/accounts", "/assignment", "/leads", "/reps", "/holds", "/plans/1/territories"):
            found |= leaked(client.get(path).json(), SCOPES["ann"])
    assert {"ACC-W1", "REP-CAL", "T-WEST", "LEAD-W1"} <= found
    # And a planner's write gets past the role check: here to the service's own answer, 400.
    refused = httpx.delete(sqlite_server.url + "/overrides/ACC-NONE", headers=headers)
    assert refused.status_code == 400, refused.text
