"""The plan editor's handlers in-process: who may use them, a draft started and its territories
added, changed, moved and deleted, and each bad input a 4xx with its message under its field."""

from __future__ import annotations

from collections.abc import Callable

from territorial.services.audit import audit_rows
from web_client import Book, Signed, under, version_in


def test_only_planners_and_admins_reach_the_plans(web_as: Callable[[str], Signed]) -> None:
    for user in ("ann", "mia"):
        signed = web_as(user)
        for path in ("/planning", "/planning/1", "/planning/1/compare", "/planning/1/activate", "/import"):
            refused = signed.client.get(path)
            assert refused.status_code == 403, (user, path)
            assert "is for planners" in refused.text
        assert signed.post("/planning/new", name="Mine", territory_id="T-1").status_code == 403
        assert signed.post("/planning/1/territories", territory_id="T-X").status_code == 403
        assert (
            signed.client.get("/planning/1/territories/T-EAST/matches", params={"rule": "1"}).status_code
            == 403
        )
        assert 'href="/planning"' not in signed.client.get("/home").text  # no link to them either
    assert web_as("root").client.get("/planning").status_code == 200


def test_a_draft_is_started_and_its_territories_edited(
    web_book: Book, web_as: Callable[[str], Signed]
) -> None:
    pat = web_as("pat")
    listed = pat.client.get("/planning")
    assert "Plan 1" in listed.text and "Two teams" in listed.text
    exported = pat.client.get("/planning/plans.csv")
    assert exported.text.splitlines()[0] == "plan_id,name,state,effective,created_at,actor"

    missing = pat.post("/planning/new", name="  ", territory_id="T-1")
    assert missing.status_code == 422 and "plan name" in under(missing.text, "name")
    bad_id = pat.post("/planning/new", name="FY27", territory_id="T 1")
    assert bad_id.status_code == 422 and "must match" in under(bad_id.text, "territory_id")
    assert 'value="FY27"' in bad_id.text  # what was typed stays
    made = pat.post("/planning/new", name="FY27", territory_id="T-NE")
    assert made.status_code == 303
    plan = made.headers["location"]
    page = pat.client.get(plan)
    version = version_in(page.text)

    bad_rule = pat.post(f"{plan}/territories", version=version, territory_id="T-W", rule="state IN ('CA'")
    assert bad_rule.status_code == 422 and "character" in under(bad_rule.text, "rule")
    bad_priority = pat.post(f"{plan}/territories", version=version, territory_id="T-W", priority="high")
    assert bad_priority.status_code == 422 and "whole number" in under(bad_priority.text, "priority")
    added = pat.post(
        f"{plan}/territories",
        version=version,
        territory_id="T-W",
        rule="state IN ('CA', 'WA')",
        reps="REP-CAL",
    )
    assert added.status_code == 303
    stale = pat.post(f"{plan}/territories", version=version, territory_id="T-S")
    assert stale.status_code == 412 and "has changed since" in stale.text

    edited = pat.client.get(f"{plan}?territory=T-W")
    assert f'hx-get="{plan}/territories/T-W/matches" hx-trigger="load, input' in edited.text  # counted after
    territories = pat.client.get(f"{plan}/territories.csv").text.splitlines()
    assert territories == [
        "territory_id,name,parent_id,layer,priority,reps,rule",
        "T-NE,T-NE,,primary,0,,",
        "T-W,T-W,,primary,0,REP-CAL,\"state IN ('CA', 'WA')\"",
    ]
    version = version_in(edited.text)
    moved = pat.post(
        f"{plan}/territories/T-W",
        version=version,
        rule="state = 'CA'",
        reps="REP-CAL, REP-DEE",
        priority="5",
        parent_id="T-NE",
        name="West",
    )
    assert moved.status_code == 303
    tree = pat.client.get(f"{plan}?territory=T-W").text
    # The plan's history names what the form changed, not every field it holds; an unchanged form
    # saves nothing.
    history = audit_rows(web_book.store, plan_id=int(plan.rsplit("/", 1)[1]))
    assert history[-1].what.endswith("territory T-W: name, priority, reps, rule changed and moved under T-NE")
    form = {"rule": "state = 'CA'", "reps": "REP-CAL, REP-DEE", "priority": "5", "parent_id": "T-NE"}
    again = pat.post(f"{plan}/territories/T-W", version=version_in(tree), name="West", **form)
    assert again.headers["location"].endswith("said=unchanged")
    assert len(audit_rows(web_book.store, plan_id=int(plan.rsplit("/", 1)[1]))) == len(history)
    renamed = pat.post(f"{plan}/territories/T-W", version=version_in(tree), name="The West", **form)
    assert renamed.status_code == 303
    last = audit_rows(web_book.store, plan_id=int(plan.rsplit("/", 1)[1]))[-1].what
    assert last.endswith("territory T-W: name changed"), last
    tree = pat.client.get(f"{plan}?territory=T-W").text
    assert "reps REP-CAL, REP-DEE" in tree and "priority 5" in tree
    # T-W now sits under T-NE: it cannot be moved under itself, and T-NE lists it below.
    assert '<option value="T-W"' not in tree.split('id="parent_id"')[1].split("</select>")[0]
    assert tree.index("<strong>T-NE</strong>") < tree.index("<strong>T-W</strong>")

    live = pat.client.get(f"{plan}/territories/T-W/matches", params={"rule": "stat = 'CA'"})
    assert live.status_code == 200 and 'class="error"' in live.text and "stat" in live.text
    counted = pat.client.get(f"{plan}/territories/T-W/matches", params={"rule": "state IN ('CA', 'WA')"})
    assert "Matches 3 active accounts" in counted.text

    version = version_in(pat.client.get(plan).text)
    assert pat.post(f"{plan}/territories/T-W/delete", version=version).status_code == 303
    assert "<strong>T-W</strong>" not in pat.client.get(plan).text
    for missing_page in ("/planning/999", "/planning/999/activate", "/planning/999/activated"):
        assert (
            pat.client.get(missing_page).status_code == 404
            and "No plan 999" in pat.client.get(missing_page).text
        )
    active = pat.client.get("/planning/1")
    assert "only a draft is edited" in active.text  # the active plan has no edit forms
