"""The API's writes through a real server on SQLite and on PostgreSQL: upserts as one-row imports,
lead routing stored before the answer, If-Match on plans (two concurrent edits: one wins, the other
gets 412 and nothing is lost), Idempotency-Key, uploads and their limit, and who may write."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx

from api_server import WRITES_ENV, Server
from territorial.services.context import Context
from territorial.services.users import create_token
from territorial.store.workspace import open_workspace


def fresh(prefix: str) -> str:
    """An id no other test uses: the writes server is shared by the session's tests."""
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_an_upserted_account_is_imported_and_placed_at_once(writes_server: Server) -> None:
    account = fresh("ACC")
    sent = {"account_id": account, "name": "New East", "state": "NY", "country": "US", "employees": 40.0}
    done = ok(writes_server.send("POST", "/accounts", "crm", json={**sent, "custom": {"segment": "smb"}}))
    assert (done["inserted"], done["updated"], done["live_changes"]) == (1, 0, 1)
    stored = ok(writes_server.get(f"/accounts/{account}", "root"))
    assert (stored["name"], stored["employees"], stored["custom"]) == ("New East", 40.0, {"segment": "smb"})
    live = ok(writes_server.get("/assignment", "root", account=account))["items"]
    assert [(row["layer"], row["territory_id"]) for row in live] == [("primary", "T-EAST")]
    # A field left out keeps its value; the account moves west with its state, at once.
    moved = ok(writes_server.send("POST", "/accounts", "pat", json={"account_id": account, "state": "CA"}))
    assert (moved["updated"], moved["live_changes"]) == (1, 1)
    assert ok(writes_server.get(f"/accounts/{account}", "root"))["name"] == "New East"
    live = ok(writes_server.get("/assignment", "root", account=account))["items"]
    assert [row["territory_id"] for row in live] == ["T-WEST"]


def test_bad_records_are_problems_naming_the_field(writes_server: Server) -> None:
    sent = {"account_id": fresh("ACC"), "employees": "12"}  # strict: text is not a number
    assert (
        problem(writes_server.send("POST", "/accounts", "pat", json=sent), 422)["errors"][0]["location"]
        == "body.employees"
    )
    unknown = {"account_id": fresh("ACC"), "headcount": 12.0}
    assert (
        problem(writes_server.send("POST", "/accounts", "pat", json=unknown), 422)["errors"][0]["location"]
        == "body.headcount"
    )
    clash = {"account_id": fresh("ACC"), "custom": {"name": "x"}}
    assert (
        problem(writes_server.send("POST", "/accounts", "pat", json=clash), 400)["errors"][0]["location"]
        == "body.custom.name"
    )
    date = {"opportunity_id": fresh("OPP"), "created": "2026-02-30"}
    assert (
        problem(writes_server.send("POST", "/opportunities", "pat", json=date), 422)["errors"][0]["location"]
        == "body.created"
    )


def test_text_with_a_nul_character_is_a_422_naming_where_it_is(writes_server: Server) -> None:
    # Found by schemathesis: an account_id holding "\\u0000" reached SQL and answered 500.
    nul = fresh("ACC") + "\u0000"
    sent = json.dumps({"account_id": nul, "latitude": -6.15e16, "owner_id": ""})
    answer = writes_server.send("POST", "/accounts", "root", content=sent, headers=JSON)
    assert [e["location"] for e in problem(answer, 422)["errors"]] == ["body.account_id"]
    assert "NUL character" in problem(answer, 422)["errors"][0]["detail"]
    custom = json.dumps({"account_id": fresh("ACC"), "custom": {"segment": "a\u0000"}})
    answer = writes_server.send("POST", "/accounts", "root", content=custom, headers=JSON)
    assert [e["location"] for e in problem(answer, 422)["errors"]] == ["body.custom"]
    lead = json.dumps({"leads": [{"lead_id": "L\u0000", "state": "NY"}]})
    answer = writes_server.send("POST", "/leads/route", "crm", content=lead, headers=JSON)
    assert [e["location"] for e in problem(answer, 422)["errors"]] == ["body.leads.0.lead_id"]
    assert [e["location"] for e in problem(writes_server.get("/accounts/A%00", "root"), 422)["errors"]] == [
        "path.account_id"
    ]
    in_query = writes_server.get("/assignment", "root", account="A\x00")
    assert [e["location"] for e in problem(in_query, 422)["errors"]] == ["query.account"]


JSON = {"Content-Type": "application/json"}


def test_only_admins_planners_and_integrations_write(writes_server: Server) -> None:
    account = {"account_id": fresh("ACC"), "state": "NY"}
    for user in ("ann", "mia"):
        assert problem(writes_server.send("POST", "/accounts", user, json=account), 403)
    rep = {"rep_id": fresh("REP")}
    assert (
        problem(writes_server.send("POST", "/reps", "crm", json=rep), 403)["errors"][0]["subject"] == "write"
    )
    assert ok(writes_server.send("POST", "/reps", "pat", json=rep))["inserted"] == 1
    lead = {"leads": [{"lead_id": fresh("LEAD"), "state": "NY"}]}
    assert problem(writes_server.send("POST", "/leads/route", "ann", json=lead), 403)
    assert problem(writes_server.send("POST", "/plans/1/clone", "crm"), 403)
    assert writes_server.get(f"/accounts/{account['account_id']}", "root").status_code == 404


def test_routed_leads_are_stored_before_the_answer(writes_server: Server) -> None:
    east, west = fresh("LEAD"), fresh("LEAD")
    leads = [
        {"lead_id": east, "email": f"{east.lower()}@eastone.com", "company": "East One", "state": "NY"},
        {"lead_id": west, "email": "someone@unknown.example", "state": "CA", "country": "US"},
    ]
    decisions = ok(writes_server.send("POST", "/leads/route", "crm", json={"leads": leads}))["decisions"]
    assert [d["lead_id"] for d in decisions] == [east, west]
    assert (decisions[0]["decision"], decisions[0]["rep_id"]) == ("matched", "REP-ANN")
    assert decisions[0]["matched_account_id"] == "ACC-E1"
    assert decisions[1]["territory_id"] == "T-WEST" and decisions[1]["rep_id"] in ("REP-CAL", "REP-DEE")
    assert all(d["path"] and d["reason"] for d in decisions)
    # Read straight from the database once the answer is in: the decision is there.
    workspace = open_workspace(writes_server.database_url)
    try:
        with workspace.unit_of_work() as uow:
            found = uow.routing.latest_decisions_for([east, west])
    finally:
        workspace.engine.dispose()
    assert {lead_id: found[lead_id].rep_id for lead_id in (east, west)} == {
        east: "REP-ANN",
        west: decisions[1]["rep_id"],
    }
    again = ok(writes_server.send("POST", "/leads/route", "crm", json={"leads": leads[:1]}))["decisions"]
    assert again[0]["already_routed"] and again[0]["rep_id"] == "REP-ANN"


def test_an_idempotency_key_gives_the_first_answer_again(writes_server: Server) -> None:
    key, name = {"Idempotency-Key": str(uuid.uuid4())}, fresh("Small")
    plan = {
        "file_name": "small.yaml",
        "yaml": f"name: {name}\nterritories:\n  - id: T-ALL\n    rule: country = 'US'\n",
    }
    first = writes_server.send("POST", "/plans", "pat", headers=key, json=plan)
    again = writes_server.send("POST", "/plans", "pat", headers=key, json=plan)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    named = [p for p in ok(writes_server.get("/plans", "root", limit=1000))["items"] if p["name"] == name]
    assert [p["plan_id"] for p in named] == [first.json()["plan_id"]]  # the second sending made none
    other = {**plan, "file_name": "other.yaml"}
    assert (
        problem(writes_server.send("POST", "/plans", "pat", headers=key, json=other), 409)["errors"][0][
            "location"
        ]
        == "header.Idempotency-Key"
    )
    # Keys are each user's own: another user's same key is a new request.
    assert (
        ok(writes_server.send("POST", "/plans", "root", headers=key, json=plan), 201)["plan_id"]
        != first.json()["plan_id"]
    )


def draft(server: Server) -> tuple[int, str]:
    """A new draft cloned from the active plan: its id and ETag."""
    cloned = server.send("POST", "/plans/1/clone", "pat")
    return ok(cloned, 201)["plan_id"], cloned.headers["ETag"]


def test_two_concurrent_edits_one_wins_the_other_gets_412(writes_server: Server) -> None:
    plan_id, etag = draft(writes_server)
    texts = {
        name: f"name: {name}\nterritories:\n  - id: T-{name}\n    rule: state = 'NY'\n"
        for name in ("Ann", "Bob")
    }
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def edit(name: str) -> None:
        start.wait()
        answers[name] = writes_server.send(
            "PUT", f"/plans/{plan_id}", "pat", headers={"If-Match": etag}, json={"yaml": texts[name]}
        )

    threads = [threading.Thread(target=edit, args=(name,)) for name in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412], {name: a.text for name, a in answers.items()}
    winner = next(name for name, answer in answers.items() if answer.status_code == 200)
    loser = next(name for name in texts if name != winner)
    assert problem(answers[loser], 412)["errors"][0]["location"] == "header.If-Match"
    stored = writes_server.get(f"/plans/{plan_id}", "pat")
    assert (
        stored.json()["source"] == texts[winner] and stored.headers["ETag"] == answers[winner].headers["ETag"]
    )
    # The loser reads the new version and makes the change on it: nothing is lost.
    redone = writes_server.send(
        "PUT",
        f"/plans/{plan_id}",
        "pat",
        headers={"If-Match": stored.headers["ETag"]},
        json={"yaml": texts[loser]},
    )
    assert ok(redone)["source"] == texts[loser]


def test_a_plan_write_needs_if_match(writes_server: Server) -> None:
    plan_id, etag = draft(writes_server)
    assert (
        problem(writes_server.send("DELETE", f"/plans/{plan_id}", "pat"), 428)["errors"][0]["location"]
        == "header.If-Match"
    )
    assert problem(
        writes_server.send("DELETE", f"/plans/{plan_id}", "pat", headers={"If-Match": '"old"'}), 412
    )
    assert ok(writes_server.send("DELETE", f"/plans/{plan_id}", "pat", headers={"If-Match": etag})) == {
        "plan_id": plan_id,
        "runs_deleted": 0,
    }
    bad = {"yaml": "name: x\nterritories:\n  - id: T-X\n    rule: statez = 'NY'\n"}
    plan_id, etag = draft(writes_server)
    found = problem(
        writes_server.send("PUT", f"/plans/{plan_id}", "pat", headers={"If-Match": etag}, json=bad), 400
    )
    assert found["errors"][0]["location"] == "body.yaml" and "statez" in found["detail"]


def test_an_upload_is_imported_and_its_size_is_limited(writes_server: Server) -> None:
    ids = [fresh("ACC") for _ in range(3)]
    text = "account_id,name,state,country\n" + "".join(f"{i},Uploaded {i},MA,US\n" for i in ids)
    done = ok(writes_server.send("POST", "/imports/accounts", "pat", content=text.encode()))
    assert (done["rows_read"], done["inserted"]) == (3, 3)
    bad = f"account_id,employees\n{fresh('ACC')},many\n"
    found = problem(writes_server.send("POST", "/imports/accounts", "pat", content=bad.encode()), 400)
    assert found["errors"][0]["subject"] == "employees" and found["detail"].startswith("line 2")
    limit = int(WRITES_ENV["TERRITORIAL_UPLOAD_MAX_BYTES"])
    big = ("account_id,name\n" + "ACC-BIG,x\n" * (limit // 10 + 1)).encode()
    assert problem(writes_server.send("POST", "/imports/accounts", "pat", content=big), 413)
    assert problem(writes_server.send("POST", "/imports/reps", "crm", content=b"rep_id\nR-1\n"), 403)


def test_overrides_and_holds(writes_server: Server) -> None:
    account = fresh("ACC")
    ok(
        writes_server.send(
            "POST", "/accounts", "pat", json={"account_id": account, "state": "NY", "country": "US"}
        )
    )
    pinned = {"account_id": account, "rep_id": "REP-BEN", "reason": "named account"}
    assert ok(writes_server.send("POST", "/overrides", "pat", json=pinned), 201)["live_changes"] in (0, 1)
    live = ok(writes_server.get("/assignment", "root", account=account))["items"]
    assert live[0]["rep_id"] == "REP-BEN"
    assert problem(writes_server.send("POST", "/overrides", "mia", json=pinned), 403)
    assert ok(writes_server.send("DELETE", f"/overrides/{account}", "pat"))["cause"] == "override removed"
    held = ok(
        writes_server.send("POST", "/holds", "pat", json={"account_id": account, "until": "2099-12-31"}), 201
    )
    assert held["cause"].startswith("hold by pat")
    assert problem(
        writes_server.send("POST", "/holds", "pat", json={"account_id": account, "until": "2000-01-01"}), 400
    )
    assert ok(writes_server.send("DELETE", f"/holds/{account}", "pat"))["cause"] == "hold removed"


def test_two_requests_with_one_key_at_once_create_one_plan(writes_server: Server) -> None:
    """The key is claimed before the request runs: the second, arriving meanwhile, is told so (409)
    or, arriving after, gets the first answer; never a second plan."""
    name = fresh("Plan")
    plan = {"yaml": f"name: {name}\nterritories:\n  - id: T-ALL\n    rule: country = 'US'\n"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    start = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def send() -> None:
        start.wait()
        answers.append(writes_server.send("POST", "/plans", "pat", headers=key, json=plan))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409]), [a.text for a in answers]
    made = [p for p in ok(writes_server.get("/plans", "root", limit=1000))["items"] if p["name"] == name]
    assert len(made) == 1
    assert (
        ok(writes_server.send("POST", "/plans", "pat", headers=key, json=plan), 201)["plan_id"]
        == made[0]["plan_id"]
    )


def test_no_body_beyond_the_limit_is_read(writes_server: Server) -> None:
    """A JSON body is read whole before it is checked: beyond the limit it is refused, whether it
    says its length or streams without one."""
    limit = int(WRITES_ENV["TERRITORIAL_UPLOAD_MAX_BYTES"])
    plan = {"yaml": "name: Big\nterritories: []\n" + "#" * limit}
    assert (
        problem(writes_server.send("POST", "/plans", "pat", json=plan), 413)["errors"][0]["location"]
        == "body"
    )
    text = json.dumps(plan).encode()
    chunks = (text[i : i + 8192] for i in range(0, len(text), 8192))
    streamed = writes_server.send(
        "POST", "/plans", "pat", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert problem(streamed, 413)


def test_a_write_only_token_writes_and_reads_nothing_else(writes_server: Server) -> None:
    """A planner's token narrowed to `write` (a deployment script's, say) gets what its write made,
    and 403 on reads."""
    workspace = open_workspace(writes_server.database_url)
    try:
        token = create_token(workspace, Context.admin("tester"), "pat", scopes=["write"]).token
    finally:
        workspace.engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    plan = {"yaml": f"name: {fresh('Deploy')}\nterritories:\n  - id: T-ALL\n    rule: country = 'US'\n"}
    made = httpx.post(writes_server.url + "/plans", headers=headers, json=plan, timeout=60)
    assert ok(made, 201)["source"] == plan["yaml"] and made.headers["ETag"]
    assert problem(httpx.get(writes_server.url + "/plans", headers=headers, timeout=60), 403)
