"""The web app in real headless Chromium (Debian's, driven by Playwright; never `playwright install`)
against a real `territorial serve` on SQLite over the two-team book of the API tests: sign-in and
its limit, CSRF, a rep and a manager seeing only their own rows, the change feed, the explanation,
no console error or failed request, screenshots at 1440×900 and an axe-core scan of each page."""

from __future__ import annotations

import re

import httpx
import pytest

from api.book import SCOPES
from territorial.services.sign_in import FAILURES_PER_USER
from web_browser import (
    ARTIFACTS,
    NEEDS_CHROMIUM,
    PASSWORDS,
    Watched,
    WebServer,
    axe_violations,
    ids_in,
    sign_in,
)

pytestmark = NEEDS_CHROMIUM


def test_a_rep_signs_in_and_sees_only_their_book_feed_leads_and_why(web: WebServer, watched: Watched) -> None:
    page = watched.page
    page.goto(web.url + "/home")
    assert page.url == web.url + "/sign-in"  # not signed in: sent to the form
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-sign-in.png"))

    wrong = sign_in(page, web.url, "ann", "not her password at all")
    assert wrong.status == 401
    assert page.get_by_role("alert").inner_text() == "Wrong user name or password."
    assert page.get_by_label("User name").input_value() == "ann"

    assert sign_in(page, web.url, "ann", PASSWORDS["ann"]).status == 200
    assert page.url == web.url + "/home"
    assert page.get_by_role("heading", level=1).inner_text() == "My book"
    (session,) = [c for c in page.context.cookies() if c["name"] == "territorial_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and not session["secure"]  # plain http

    shown = page.locator("#accounts tbody tr td:first-child").all_inner_texts()
    assert shown == ["ACC-E1", "ACC-E3", "ACC-W2"]
    assert page.locator("#leads tbody tr td:first-child").all_inner_texts() == ["LEAD-E1"]
    feed = page.locator("#feed").inner_text()
    assert "you gain" in feed and "ACC-E1" in feed
    # No id outside Ann's scope anywhere in the page's HTML, hidden fields and attributes included.
    assert ids_in(page.content()) <= SCOPES["ann"]

    page.get_by_role("link", name="Why is ACC-E1 assigned this way?").click()
    page.wait_for_selector("#why h2:has-text('Why ACC-E1')")
    why = page.locator("#why").inner_text()
    assert "T-EAST" in why and "Territory T-EAST" in why
    assert page.evaluate("document.activeElement.id") == "why-title"  # focus follows the answer
    assert ids_in(page.content()) <= SCOPES["ann"]
    page.screenshot(path=str(ARTIFACTS / "web-rep-home.png"))
    assert axe_violations(page) == []

    exported = page.request.get(web.url + "/home/accounts.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="my-accounts.csv"'
    lines = exported.text().splitlines()
    assert lines[0] == "account_id,name,industry,state,country,owner_id"
    assert [line.split(",")[0] for line in lines[1:]] == ["ACC-E1", "ACC-E3", "ACC-W2"]
    assert ids_in(exported.text()) <= SCOPES["ann"]
    # Another rep's account is not there for her, by its page either.
    assert page.goto(web.url + "/home/accounts/ACC-W1/why").status == 404
    assert "ACC-W1" in page.locator("main").inner_text() and ids_in(page.content()) <= SCOPES["ann"] | {
        "ACC-W1"
    }
    watched.assert_clean()


def test_a_manager_sees_their_team_and_a_post_without_the_csrf_token_is_refused(
    web: WebServer, watched: Watched
) -> None:
    page = watched.page
    sign_in(page, web.url, "mia", PASSWORDS["mia"])
    assert page.get_by_role("heading", level=1).inner_text() == "My team's book"
    assert page.locator("#accounts tbody tr td:first-child").all_inner_texts() == [
        "ACC-E1",
        "ACC-E2",
        "ACC-E3",
        "ACC-W2",
    ]
    assert ids_in(page.content()) <= SCOPES["mia"]
    page.screenshot(path=str(ARTIFACTS / "web-manager-home.png"))
    # Another site's form post carries the session cookie (a top-level POST under SameSite=Lax
    # would not, but a same-site one would): without the token it is refused and changes nothing.
    for form in ({}, {"csrf_token": "forged"}):
        refused = page.request.post(web.url + "/sign-out", form=form)
        assert refused.status == 403 and "This form was refused" in refused.text()
    assert (
        page.request.post(
            web.url + "/sign-out", data="{}", headers={"content-type": "application/json"}
        ).status
        == 403
    )
    assert page.goto(web.url + "/home").url == web.url + "/home"  # still signed in
    # The sign-in form needs its own token too (login CSRF): a bare post is refused.
    assert (
        httpx.post(web.url + "/sign-in", data={"user_name": "mia", "password": PASSWORDS["mia"]}).status_code
        == 403
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(web.url + "/sign-in")
    page.goto(web.url + "/home")
    assert page.url == web.url + "/sign-in"  # the session ended on the server
    watched.assert_clean()


def test_failed_sign_ins_are_limited_per_user(web: WebServer, watched: Watched) -> None:
    page = watched.page
    for _ in range(FAILURES_PER_USER):
        assert sign_in(page, web.url, "ben", "a wrong guess, again").status == 401
    limited = sign_in(page, web.url, "ben", PASSWORDS["ben"])  # even the right one, now
    assert limited.status == 429
    assert "Too many failed sign-ins for this user" in page.get_by_role("alert").inner_text()
    assert page.get_by_text("Signed in as").count() == 0  # the typed name is not a signed-in user
    page.screenshot(path=str(ARTIFACTS / "web-sign-in-limited.png"))
    # Another user from the same address still signs in: the per-address limit is higher.
    assert sign_in(page, web.url, "root", PASSWORDS["root"]).status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Accounts"
    assert page.locator("#accounts tbody tr").count() == 6
    page.screenshot(path=str(ARTIFACTS / "web-admin-home.png"))
    assert axe_violations(page) == []
    watched.assert_clean()


def test_pages_carry_a_fresh_nonce_and_cookies_turn_secure_behind_a_trusted_tls_proxy(web: WebServer) -> None:
    first, second = (httpx.get(web.url + "/sign-in") for _ in range(2))
    policies = [response.headers["content-security-policy"] for response in (first, second)]
    nonces = [re.search(r"'nonce-([^']+)'", policy).group(1) for policy in policies]  # type: ignore[union-attr]
    assert nonces[0] != nonces[1] and f'nonce="{nonces[0]}"' in first.text
    assert "script-src 'nonce-" in policies[0] and "unsafe-inline" not in policies[0]
    assert first.headers.get_list("content-security-policy") == [policies[0]]  # the API's is not added
    assert "secure" not in first.headers["set-cookie"].lower()
    # serve trusts 127.0.0.1 as a proxy by default (--forwarded-allow-ips): its X-Forwarded-Proto counts.
    proxied = httpx.get(web.url + "/sign-in", headers={"X-Forwarded-Proto": "https"})
    cookie = proxied.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


@pytest.mark.slow
def test_on_postgresql_a_rep_sees_only_their_book_and_the_limit_holds_across_workers(
    web_postgresql: WebServer, watched: Watched
) -> None:
    page, url = watched.page, web_postgresql.url
    assert sign_in(page, url, "ben", PASSWORDS["ben"]).status == 200
    assert page.locator("#accounts tbody tr td:first-child").all_inner_texts() == ["ACC-E2"]
    assert "you gain" in page.locator("#feed").inner_text()
    assert ids_in(page.content()) <= SCOPES["ben"]
    for _ in range(2):  # the session is found by whichever worker answers
        assert page.goto(url + "/home").url == url + "/home"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(url + "/sign-in")
    for _ in range(FAILURES_PER_USER):
        assert sign_in(page, url, "ann", "a wrong guess, again").status == 401
    assert sign_in(page, url, "ann", PASSWORDS["ann"]).status == 429
    watched.assert_clean()
