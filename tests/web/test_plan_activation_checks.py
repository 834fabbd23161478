"""A plan whose checks fail, in-process, on a book of its own (today's activation is still free): the
checks listed pass or fail, and the activation refused (409) with each failing check named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from api.book import PLAN
from territorial.services.context import Context
from territorial.services.plans import add_plan
from web_client import Book, Signed, version_in

# More than one account in a territory fails it: T-EAST and T-WEST hold several.
FAILING_CHECK = "checks:\n  - {name: small territories, over: territory, assert: accounts <= 1}\n"


def test_failing_checks_are_listed_and_stop_the_activation(
    web_book: Book, web_as: Callable[[str], Signed], tmp_path: Path
) -> None:
    path = tmp_path / "checked.yaml"
    path.write_text(PLAN + FAILING_CHECK, encoding="utf-8")
    plan_id = add_plan(web_book.store, Context.admin("tester"), path)
    pat = web_as("pat")
    checks = pat.client.get(f"/planning/{plan_id}/checks", headers={"HX-Request": "true"}).text
    assert "<strong>Fail</strong>: small territories" in checks
    form = pat.client.get(f"/planning/{plan_id}/activate").text
    day = form.split('id="effective" name="effective" type="date" value="')[1][:10]
    refused = pat.post(
        f"/planning/{plan_id}/activate", version=version_in(form), effective=day, confirm="yes"
    )
    assert refused.status_code == 409
    assert "checks failed" in refused.text and "small territories:" in refused.text
    assert "draft" in pat.client.get(f"/planning/{plan_id}").text  # nothing was activated
    no_checks = pat.client.get("/planning/1/checks", headers={"HX-Request": "true"}).text
    assert "This plan has no checks" in no_checks
