"""The planner's flow in real headless Chromium against a real `territorial serve` on SQLite (the API
tests' book, its plan active from yesterday): import a Salesforce export after its preview, start a
draft with two territories, fix a rule the editor shows wrong, preview the impact, compare with the
active plan, schedule, cancel and activate it; then a rep sees only their new book and its feed
entry. No console error or failed request, screenshots at 1440×900 and an axe-core scan per page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from web_browser import ARTIFACTS, NEEDS_CHROMIUM, PASSWORDS, Watched, WebServer, axe_violations, sign_in

pytestmark = NEEDS_CHROMIUM
# A Salesforce Accounts report ("Export Details"): labels as headers, state and country as names.
HEADER = "Account ID,Account Name,Billing State/Province,Billing Country,Industry,Annual Revenue\n"
NEW_ACCOUNTS = (
    "ACC-N1,North One,New Jersey,United States,Retail,1200\nACC-N2,North Two,NJ,USA,Retail,{revenue}\n"
)


def upload(page: Any, revenue: str) -> None:
    page.get_by_label("What the file holds").select_option("accounts")
    page.get_by_label("Exported from").select_option("salesforce")
    content = (HEADER + NEW_ACCOUNTS.format(revenue=revenue)).encode()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "salesforce-accounts.csv", "mimeType": "text/csv", "buffer": content}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Preview the import").click()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    assert axe_violations(page) == [], name


def settled(page: Any, *selectors: str) -> None:
    """Wait for what the page loads after it is shown (htmx), so that leaving it aborts no request."""
    for selector in selectors:
        page.wait_for_selector(selector)


def column(page: Any, table: str, index: int) -> list[str]:
    texts: list[str] = page.locator(f"#{table} tbody tr td:nth-child({index})").all_inner_texts()
    return texts


def test_a_planner_imports_plans_compares_and_activates_then_a_rep_reads_the_change(
    planning: WebServer, watched: Watched
) -> None:
    import_plan_activate_and_read(watched, planning.url, shots=True)


@pytest.mark.slow
def test_on_postgresql_the_same_flow_with_two_workers(
    planning_postgresql: WebServer, watched: Watched
) -> None:
    """Two serving processes: the upload previewed by one is imported by the other's job runner, and
    each page's session and plan version are read by whichever answers."""
    import_plan_activate_and_read(watched, planning_postgresql.url, shots=False)


def import_plan_activate_and_read(watched: Watched, url: str, shots: bool) -> None:
    page = watched.page

    def shot(name: str) -> None:
        if shots:
            screenshot(page, name)

    sign_in(page, url, "pat", PASSWORDS["pat"])

    # 1. The import: a bad row is shown before anything is written, then the fixed file is imported.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    shot("web-import.png")
    upload(page, "lots")
    assert "1 row would stop the import" in page.locator("#preview-verdict").inner_text()
    assert column(page, "row-errors", 1) == ["3"] and column(page, "row-errors", 2) == ["Annual Revenue"]
    assert ("New Jersey", "NJ") in zip(column(page, "changes", 3), column(page, "changes", 4), strict=True)
    assert page.get_by_role("button", name="Import").count() == 0  # nothing to import from here
    shot("web-import-preview.png")
    page.get_by_role("link", name="Upload another file").click()
    upload(page, "900")
    page.get_by_role("button", name="Import 2 accounts").click()
    page.wait_for_selector("#import-done", timeout=20_000)  # the job's progress, polled, then its result
    assert "2 new" in page.locator("#import-done").inner_text()
    shot("web-import-done.png")

    # 2. A draft with two territories; 3. the rule error shown under its field, then fixed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    shot("web-plans.png")
    page.get_by_label("Plan name").fill("FY27 two regions")
    page.get_by_label("First territory's id").fill("T-NE")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the draft").click()
    page.get_by_role("link", name="T-NE").click()
    page.wait_for_selector("#rule-check .ok")  # counted once the page is shown: no rule, every account
    assert page.locator("#rule-check").inner_text() == "Matches 8 active accounts within its parent."
    rule = page.get_by_label("Rule")
    with page.expect_response(lambda r: "/matches" in r.url):
        rule.fill("stat IN ('NY', 'MA', 'NJ')")
    page.wait_for_selector("#rule-check .error")
    assert "stat" in page.locator("#rule-check").inner_text()
    with page.expect_response(lambda r: "/matches" in r.url):
        rule.fill("state IN ('NY', 'MA', 'NJ')")
    page.wait_for_selector("#rule-check .ok")
    assert page.locator("#rule-check").inner_text() == "Matches 5 active accounts within its parent."
    page.get_by_label("Reps").fill("REP-ANN")
    assert page.get_by_label("Move under…").input_value() == ""  # the keyboard path to re-parent
    page.get_by_role("button", name="Save territory").click()
    settled(page, "#said", "#rule-check .ok")
    page.get_by_role("link", name="Add a territory…").click()
    page.get_by_label("Territory id").fill("T-W")
    page.get_by_label("Rule").fill("state IN ('CA', 'WA'")
    page.get_by_label("Reps").fill("REP-CAL, REP-DEE")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Add territory").click()
    assert refused.value.status == 422
    assert page.locator("#rule-error").inner_text() != ""  # under the field, the typed values kept
    assert page.get_by_label("Territory id").input_value() == "T-W"
    page.get_by_label("Rule").fill("state IN ('CA', 'WA')")
    page.get_by_role("button", name="Add territory").click()
    settled(page, "#said", "#rule-check .ok")
    tree = page.locator("#territory-tree").inner_text()
    assert "T-NE" in tree and "T-W" in tree and "reps REP-CAL, REP-DEE" in tree

    # 4. The impact: the accounts that would move against the active plan.
    page.get_by_role("button", name="Preview the impact").click()
    page.wait_for_selector("#impact")
    moved = dict(zip(column(page, "impact", 1), column(page, "impact", 6), strict=True))
    assert moved["ACC-N1"] == "REP-ANN" and moved["ACC-E2"] == "REP-ANN"
    shot("web-plan-editor.png")

    # 5. The comparison with the active plan.
    page.get_by_role("link", name="Compare with the active plan").click()
    cards = page.locator("#compare-cards").inner_text()
    assert "Account rows moving" in cards and "Continuity" in cards
    assert "ACC-N1" in column(page, "movers", 1)
    assert "REP-ANN" in column(page, "rep-changes", 2)
    shot("web-compare.png")

    # 6. Scheduled for tomorrow, cancelled, then activated today after the confirmation.
    page.get_by_role("link", name="Schedule or activate…").click()
    page.wait_for_selector("#activation-summary ul")  # what moves, loaded after the page
    assert "9 account rows move from the active plan 1" in page.locator("#activation-summary").inner_text()
    today = page.get_by_label("Active from").input_value()
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    shot("web-activate.png")
    page.get_by_label("Active from").fill(tomorrow)
    with page.expect_navigation() as unconfirmed:
        page.get_by_role("button", name="Activate plan").click()
    assert unconfirmed.value.status == 422 and page.locator("#confirm-error").inner_text() != ""
    settled(page, "#activation-summary ul")
    page.get_by_label("I have checked the impact").check()
    page.get_by_role("button", name="Activate plan").click()
    page.wait_for_selector("#done")
    assert f"scheduled from {tomorrow}" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="Cancel or change the schedule").click()
    page.get_by_role("button", name="Cancel the schedule").click()
    settled(page, "#activation-summary ul")
    page.get_by_label("Active from").fill(today)
    page.get_by_label("I have checked the impact").check()
    page.get_by_role("button", name="Activate plan").click()
    page.wait_for_selector("#done")
    assert f"active from {today}" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#undo").inner_text().startswith("Re-activate plan 1")  # undo: the plan before
    shot("web-activated.png")

    # 7. The rep: only her new book, and the entry in her change feed.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(url + "/sign-in")
    sign_in(page, url, "ann", PASSWORDS["ann"])
    assert column(page, "accounts", 1) == ["ACC-E1", "ACC-E2", "ACC-E3", "ACC-N1", "ACC-N2"]
    assert not {"ACC-W1", "ACC-W2", "ACC-W3"} & set(page.content().split('"'))
    feed = page.locator("#feed").inner_text()
    assert "you gain" in feed and "ACC-N1" in feed
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").count() == 0
    assert page.goto(url + "/planning").status == 403  # the page saying plans are for planners
    watched.assert_clean()
