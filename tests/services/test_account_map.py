"""The map's use cases over the API tests' two-team book, each account given a ZIP: clusters that add
up to the accounts in view, each account alone when few are in view or the cells are small, county
colours, territory cards and search, each within the principal's rows; and the kept figures rebuilt
once the workspace changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.book import SCOPES, ZIPS, accounts_with_zips, build_book
from territorial.domain.entities import Entity
from territorial.errors import BadInput, NotAllowed, NotFound
from territorial.services import account_map as account_map_module
from territorial.services.account_map import county_colours, find_on_map, in_view, territory_card
from territorial.services.context import Context, Principal, Role
from territorial.services.dashboard import dashboard
from territorial.services.imports import import_records
from territorial.services.settings import load_settings
from territorial.services.snapshots import kept
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import open_workspace

ADMIN = Context.admin("tester")
ANN = Context("ann", Principal("ann", Role.REP, "REP-ANN"))
MIA = Context("mia", Principal("mia", Role.MANAGER, "MGR-EAST"))
USA = (-125.0, 24.0, -66.0, 50.0)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceStore]:
    folder = tmp_path_factory.mktemp("map-book")
    url = f"sqlite:///{folder / 'workspace.db'}"
    build_book(folder, url)
    store = open_workspace(url)
    import_records(store, ADMIN, Entity.ACCOUNTS, accounts_with_zips(folder))
    try:
        yield store
    finally:
        store.engine.dispose()


def test_few_accounts_in_view_come_one_by_one_and_many_as_clusters_that_add_up(
    book: WorkspaceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = in_view(book, ADMIN, *USA, 4)
    assert shown.accounts == 6 and shown.clusters == []
    assert sorted(p[2] for p in shown.points) == sorted(ZIPS)
    monkeypatch.setattr(account_map_module, "POINTS_AT_MOST", 2)
    country = in_view(book, ADMIN, *USA, 3)
    assert country.points == [] and sum(c[2] for c in country.clusters) == 6
    # Neighbours share a 64-pixel cell at zoom 3 (Albany and Boston; Los Angeles and San Francisco).
    assert len(country.clusters) < 6 and max(c[2] for c in country.clusters) >= 2
    assert country == in_view(book, ADMIN, *USA, 3)  # the same view, the same answer
    # Deep enough, each account has its own cell: a cluster of one names its account.
    street = in_view(book, ADMIN, *USA, 16)
    assert sorted(c[3] for c in street.clusters if c[3] is not None) == sorted(ZIPS)
    assert all(c[2] == 1 for c in street.clusters)
    # The east only.
    east = in_view(book, ADMIN, -80.0, 38.0, -70.0, 44.0, 3)
    assert east.accounts == 3


def test_a_rep_and_a_manager_see_only_their_own_accounts_colours_and_territories(
    book: WorkspaceStore,
) -> None:
    mine = in_view(book, ANN, -180, -90, 180, 90, 2)
    assert sorted(p[2] for p in mine.points) == ["ACC-E1", "ACC-E3", "ACC-W2"]
    colours = county_colours(book, ANN)
    assert "06037" not in colours  # Los Angeles: West's and the named account's, not hers
    assert {c["territory"] for c in colours.values()} <= SCOPES["ann"]
    assert colours["36061"]["accounts"] == 1  # Manhattan: only her own account is counted
    assert sorted(p[2] for p in in_view(book, MIA, -180, -90, 180, 90, 2).points) == [
        "ACC-E1",
        "ACC-E2",
        "ACC-E3",
        "ACC-W2",
    ]
    with pytest.raises(NotFound):
        territory_card(book, ANN, "T-WEST")
    card = territory_card(book, ANN, "T-EAST")
    assert card.accounts == 2 and card.rule is None  # a rule may name accounts outside her book
    assert card.reps == ["REP-ANN"]  # her colleague Ben is outside her scope
    assert find_on_map(book, ANN, "West One") == []
    assert [f["account_id"] for f in find_on_map(book, ANN, "westtwo.com")] == ["ACC-W2"]


def test_a_planner_sees_every_county_territory_and_finds_by_id_name_or_domain(book: WorkspaceStore) -> None:
    colours = county_colours(book, ADMIN)
    assert colours["06037"]["territory"] == "T-NAMED" and colours["36061"]["territory"] == "T-EAST"
    assert {c["territory"] for c in county_colours(book, ADMIN, "security").values()} == {"T-SEC"}
    with pytest.raises(BadInput, match="no layer 'nope'"):
        county_colours(book, ADMIN, "nope")
    card = territory_card(book, ADMIN, "T-EAST")
    assert card.rule == "state IN ('NY', 'MA')" and card.reps == ["REP-ANN", "REP-BEN"]
    assert card.accounts == 3 and card.parent == "T-NA"
    assert [f["account_id"] for f in find_on_map(book, ADMIN, "acc-e1")] == ["ACC-E1"]
    assert [f["account_id"] for f in find_on_map(book, ADMIN, "east t")] == ["ACC-E3", "ACC-E2"]
    assert find_on_map(book, ADMIN, "   ") == []


@pytest.mark.parametrize(
    "view",
    [
        (10.0, 0.0, 5.0, 1.0, 3),
        (-200.0, 0.0, 5.0, 1.0, 3),
        (0.0, 10.0, 5.0, 1.0, 3),
        (0.0, 0.0, 5.0, 1.0, 23),
    ],
)
def test_a_view_that_is_no_view_is_refused(
    book: WorkspaceStore, view: tuple[float, float, float, float, int]
) -> None:
    with pytest.raises(BadInput):
        in_view(book, ADMIN, *view)


def test_the_dashboard_is_a_managers_team_and_no_reps(book: WorkspaceStore) -> None:
    whole = dashboard(book, ADMIN)
    assert whole.by == "territory" and whole.table.get_column("group").to_list() == [
        "T-EAST",
        "T-NAMED",
        "T-WEST",
    ]
    assert [a.kind for a in whole.alerts] == [
        "drift",
        "vacancies",
        "ties",
        "unassigned",
        "leads_waiting",
        "undeliverable",
    ]
    team = dashboard(book, MIA)
    assert team.by == "rep" and team.table.get_column("group").to_list() == ["REP-ANN", "REP-BEN"]
    assert [a.kind for a in team.alerts] == ["drift", "vacancies", "ties"]  # no planner's alerts
    with pytest.raises(NotAllowed):
        dashboard(book, ANN)


def test_kept_figures_are_rebuilt_once_the_workspace_changes(book: WorkspaceStore, tmp_path: Path) -> None:
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert kept(book, "test-counter", build) == 1
    assert kept(book, "test-counter", build) == 1  # unchanged: kept
    new = "ACC-N1,New One,newone.com,Retail,NY,US,REP-ANN,,10001\n"
    import_records(book, ADMIN, Entity.ACCOUNTS, accounts_with_zips(tmp_path, new))
    assert kept(book, "test-counter", build) == 2
    assert in_view(book, ADMIN, *USA, 4).accounts == 7  # the map's points too


def test_a_tile_url_is_an_http_address_with_its_zoom_or_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERRITORIAL_MAP_TILE_URL", "ftp://tiles.example.com/all.png")
    with pytest.raises(BadInput, match=r"TERRITORIAL_MAP_TILE_URL.*starts with https://"):
        load_settings()
    monkeypatch.setenv("TERRITORIAL_MAP_TILE_URL", "https://tiles.example.com/{z}/{x}/{y}.png")
    assert load_settings().map_tile_url == "https://tiles.example.com/{z}/{x}/{y}.png"
    monkeypatch.delenv("TERRITORIAL_MAP_TILE_URL")
    assert load_settings().map_tile_url is None  # no base map: the boundaries are the map


def test_the_kept_cells_give_what_grouping_the_accounts_in_view_gives(
    book: WorkspaceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path (the whole book's cells kept per zoom) against the reference (the accounts in
    view grouped per request), on a view holding every account, at every kept zoom."""
    monkeypatch.setattr(account_map_module, "POINTS_AT_MOST", 2)
    fast = [in_view(book, ADMIN, -180, -85, 180, 85, zoom) for zoom in account_map_module.KEPT_ZOOMS]
    whole = account_map_module.account_map(book)
    monkeypatch.setattr(account_map_module, "account_map", lambda _store: replace(whole, cells={}))
    reference = [in_view(book, ADMIN, -180, -85, 180, 85, zoom) for zoom in account_map_module.KEPT_ZOOMS]
    assert fast == reference
    assert {sum(c[2] for c in shown.clusters) for shown in fast} == {whole.accounts.height}
