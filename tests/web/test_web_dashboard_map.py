"""The dashboard and the map in real headless Chromium against a real `territorial serve` on SQLite,
over the API tests' two-team book with each account given a ZIP code (so it has a place and a
county): KPI cards, the balance chart, alerts, the clustered accounts, county colours, a territory's
card, an account's explanation, the layer toggle and the search, each as the user's role allows; no
console error or failed request, no request leaves the server, screenshots and an axe-core scan."""

from __future__ import annotations

from typing import Any

import pytest

from api.book import SCOPES
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
MANHATTAN, LOS_ANGELES, KING = "36061", "06037", "53033"
NEW_YORK_ZIP_CENTRE = (40.75, -73.997)  # ZIP 10001, as the ZIP table places it (roughly)


def local_only(watched: Watched, url: str) -> list[str]:
    """Every request the page made went to the server under test (nothing from a CDN or tile server)."""
    seen: list[str] = []
    watched.page.on("request", lambda r: seen.append(r.url))
    return seen


def click_at(page: Any, lat: float, lon: float) -> None:
    """A real mouse click where Leaflet draws this place."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = document.getElementById('map').territorialMap;
            const point = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def view(page: Any, lat: float, lon: float, zoom: int) -> None:
    """Move the map, and wait for the accounts of the new view."""
    with page.expect_response(lambda r: "/map/accounts.json" in r.url):
        page.evaluate(
            "([lat, lon, zoom]) => {"
            " document.getElementById('map').territorialMap.setView([lat, lon], zoom); }",
            [lat, lon, zoom],
        )
    page.wait_for_timeout(100)  # the answer drawn


def test_the_dashboard_for_a_planner_a_manager_and_not_a_rep(located: WebServer, watched: Watched) -> None:
    page, url = watched.page, located.url
    requested = local_only(watched, url)
    sign_in(page, url, "root", PASSWORDS["root"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_selector("body[data-ready='true']")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    cards = page.locator("#kpi-cards li").all_inner_texts()
    assert cards[0].split("\n") == ["6", "Accounts"] and cards[1].split("\n") == ["3", "Territories"]
    assert page.locator("#balance-chart .main-svg").count() > 0  # plotly drew the chart
    assert page.locator("#kpis tbody tr td:first-child").all_inner_texts() == ["T-EAST", "T-NAMED", "T-WEST"]
    kinds = page.locator("#alerts li").evaluate_all("items => items.map(i => i.dataset.alert)")
    assert kinds == ["drift", "vacancies", "ties", "unassigned", "leads_waiting", "undeliverable"]
    assert "0 accounts are in no territory" in page.locator("#alerts").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-dashboard.png"))
    assert axe_violations(page) == []
    exported = page.request.get(url + "/dashboard/kpis.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="kpis-by-territory.csv"'
    assert [line.split(",")[0] for line in exported.text().splitlines()] == [
        "group",
        "T-EAST",
        "T-NAMED",
        "T-WEST",
    ]
    assert all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    watched.assert_clean()


def mias_team_dashboard(page: Any, url: str) -> None:
    """Mia, a manager, signs in: her dashboard's rows are her team's reps, and no other id shows."""
    sign_in(page, url, "mia", PASSWORDS["mia"])
    page.goto(url + "/dashboard")
    page.wait_for_selector("body[data-ready='true']")
    assert page.locator("#kpis tbody tr td:first-child").all_inner_texts() == ["REP-ANN", "REP-BEN"]
    assert ids_in(page.content()) <= SCOPES["mia"]


def test_a_managers_dashboard_covers_only_their_team_and_a_rep_has_none(
    located: WebServer, watched: Watched
) -> None:
    page, url = watched.page, located.url
    mias_team_dashboard(page, url)
    page.screenshot(path=str(ARTIFACTS / "web-dashboard-manager.png"))
    assert ids_in(page.request.get(url + "/dashboard/kpis.csv").text()) <= SCOPES["mia"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(url + "/sign-in")
    sign_in(page, url, "ann", PASSWORDS["ann"])
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").count() == 0
    )  # not in a rep's nav
    assert page.goto(url + "/dashboard").status == 403
    assert "is for planners and managers" in page.get_by_role("heading", level=1).inner_text()
    watched.assert_clean()


def test_the_map_for_a_planner_colours_clusters_explains_toggles_and_finds(
    located: WebServer, watched: Watched
) -> None:
    page, url = watched.page, located.url
    requested = local_only(watched, url)
    sign_in(page, url, "root", PASSWORDS["root"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Map").click()
    page.wait_for_selector("body[data-ready='true']")
    assert page.locator("#in-view").inner_text() == "6 accounts in view"
    colours = page.request.get(url + "/map/colours.json").json()
    assert colours[MANHATTAN]["territory"] == "T-EAST" and colours[LOS_ANGELES]["territory"] == "T-NAMED"
    page.screenshot(path=str(ARTIFACTS / "web-map.png"))
    assert axe_violations(page) == []

    # An account's dot: its explanation.
    view(page, *NEW_YORK_ZIP_CENTRE, 9)
    click_at(page, *NEW_YORK_ZIP_CENTRE)
    page.wait_for_selector("#detail h2:has-text('Why ACC-E1')")
    assert "Territory T-EAST" in page.locator("#detail").inner_text()
    # With the accounts layer off, the same place is Manhattan's county: its territory's card.
    page.get_by_label("Accounts", exact=True).uncheck()
    click_at(page, *NEW_YORK_ZIP_CENTRE)
    page.wait_for_selector("#detail h2:has-text('Territory T-EAST')")
    card = page.locator("#detail").inner_text()
    assert "REP-ANN, REP-BEN" in card and "state IN ('NY', 'MA')" in card
    page.get_by_label("Accounts", exact=True).check()

    # Another plan layer colours the counties by its territories.
    with page.expect_response(lambda r: "/map/colours.json?layer=security" in r.url) as answer:
        page.get_by_label("Territories of the layer").select_option("security")
    assert {c["territory"] for c in answer.value.json().values()} == {"T-SEC"}

    # The search, by domain: the answer zooms to the account and explains it.
    page.get_by_label("Name, id or domain").fill("westtwo.com")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Show ACC-W2 on the map").click()
    page.wait_for_selector("#detail h2:has-text('Why ACC-W2')")
    assert page.evaluate("document.getElementById('map').territorialMap.getZoom()") == 12
    page.screenshot(path=str(ARTIFACTS / "web-map-search.png"))
    assert axe_violations(page) == []
    assert all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    watched.assert_clean()


def test_a_rep_sees_only_their_own_accounts_on_the_map(located: WebServer, watched: Watched) -> None:
    page, url = watched.page, located.url
    sign_in(page, url, "ann", PASSWORDS["ann"])
    page.goto(url + "/map")
    page.wait_for_selector("body[data-ready='true']")
    assert page.locator("#in-view").inner_text() == "3 accounts in view"
    world = page.request.get(url + "/map/accounts.json?bbox=-180,-90,180,90&zoom=2").json()
    assert sorted(point[2] for point in world["points"]) == ["ACC-E1", "ACC-E3", "ACC-W2"]
    colours = page.request.get(url + "/map/colours.json").text()
    assert LOS_ANGELES not in colours and ids_in(colours) <= SCOPES["ann"]
    # Another territory's card, and another rep's account by search, are not there for her.
    assert (
        "No territory T-WEST among those you may see"
        in page.request.get(url + "/map/territories/T-WEST").text()
    )
    page.get_by_label("Name, id or domain").fill("West One")
    page.get_by_role("button", name="Find").click()
    page.wait_for_selector("#found:has-text('No account you may see matches')")
    assert ids_in(page.content()) <= SCOPES["ann"]
    page.screenshot(path=str(ARTIFACTS / "web-map-rep.png"))
    assert axe_violations(page) == []
    watched.assert_clean()


def test_the_cluster_endpoint_refuses_a_view_that_is_no_view(located: WebServer, watched: Watched) -> None:
    page, url = watched.page, located.url
    sign_in(page, url, "root", PASSWORDS["root"])
    for query in ("bbox=10,0,5,1&zoom=3", "bbox=a,b,c,d&zoom=3", "bbox=-10,0,5,1&zoom=40"):
        answer = page.request.get(url + "/map/accounts.json?" + query)
        assert answer.status == 400, (query, answer.text())
        assert answer.json()["errors"][0]["location"] in ("query.bbox", "query.zoom")


@pytest.mark.slow
def test_on_postgresql_with_two_workers_a_manager_has_the_team_dashboard_and_a_rep_her_map(
    located_postgresql: WebServer, watched: Watched
) -> None:
    page, url = watched.page, located_postgresql.url
    mias_team_dashboard(page, url)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(url + "/sign-in")
    sign_in(page, url, "ann", PASSWORDS["ann"])
    for _ in range(2):  # whichever worker answers, it has built (or builds) her map
        page.goto(url + "/map")
        page.wait_for_selector("body[data-ready='true']")
        assert page.locator("#in-view").inner_text() == "3 accounts in view"
    world = page.request.get(url + "/map/accounts.json?bbox=-180,-90,180,90&zoom=2").json()
    assert sorted(point[2] for point in world["points"]) == ["ACC-E1", "ACC-E3", "ACC-W2"]
    watched.assert_clean()
