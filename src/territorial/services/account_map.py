"""Use cases of the map: the located accounts with their territory and rep, clustered on a grid for
the view the browser shows (so a million accounts arrive as a few hundred circles), the counties
coloured by the territory holding most of their accounts, a territory's card and a search by name,
id or domain; each as the principal may see it."""

from __future__ import annotations

import functools
import gzip
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY, Plan, Territory
from territorial.errors import BadInput, NotFound
from territorial.evaluate.report import county_holders
from territorial.geo.counties import county_outlines_text, outlined_counties
from territorial.geo.states import state_borders_text
from territorial.progress import Progress, silent
from territorial.rules.text import to_text
from territorial.services.context import Context
from territorial.services.places import account_places
from territorial.services.review_page import territory_colour
from territorial.services.snapshots import kept
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.visibility import owned_rows, team_of, team_territories
from territorial.services.workspace import load_accounts

# A cluster cell is a quarter of a 256-pixel tile: 64 px, so neighbouring circles stay apart.
CELLS_PER_TILE = 4
# At most this many accounts in view are drawn one by one; more are clustered. 2,000 circles draw
# in about 30 ms on Leaflet's canvas and their JSON is about 150 KB.
POINTS_AT_MOST = 2_000
DEEPEST_ZOOM = 22
# The whole book's cells are kept for these zooms (a million accounts: about 4 s to build, and a
# view then filters a few thousand cells instead of grouping a million points: 300 ms -> ~10 ms);
# deeper views hold few enough accounts to group per request.
KEPT_ZOOMS = range(0, 13)
FOUND_AT_MOST = 20  # search answers
NO_TERRITORY = "(no territory)"
MERCATOR_LAT = 85.05112878  # Web Mercator's edge: the map shows nothing beyond


@dataclass(frozen=True)
class AccountMap:
    """The whole book on the map, kept until the workspace changes (services.snapshots)."""

    plan: Plan | None
    accounts: pl.DataFrame  # account_id, name, domain, county, lat, lon, x, y, territory_id, rep_id
    owners: pl.DataFrame  # account_id, layer, territory_id, rep_id: every layer
    roster: pl.DataFrame  # territory_id, rep_id, position
    territories: list[str]  # every territory id, sorted: a territory's colour is its place here
    cells: dict[int, pl.DataFrame]  # zoom -> the whole book's grid cells (CELL_COLUMNS) at that zoom

    @property
    def layers(self) -> list[str]:
        names = set(self.owners.get_column("layer").drop_nulls().to_list()) | {PRIMARY}
        return sorted(names, key=lambda name: (name != PRIMARY, name))


@dataclass(frozen=True)
class InView:
    """What the map draws for one view: clusters or single accounts, and how many accounts are in it."""

    accounts: int
    clusters: list[tuple[float, float, int, str | None]]  # lat, lon, accounts, the account when one
    points: list[tuple[float, float, str, str | None, str | None]]  # lat, lon, account_id, name, territory


def _domain(website: pl.Expr) -> pl.Expr:
    """A website as the domain people search by: no scheme, no www., no path, lower case."""
    return (
        website.str.to_lowercase()
        .str.strip_chars()
        .str.replace(r"^[a-z]+://", "")
        .str.replace(r"^www\.", "")
        .str.replace(r"[/?#].*$", "")
    )


@functools.cache
def boundaries(kind: str) -> bytes:
    """The bundled US boundaries as gzip-compressed GeoJSON: `counties` (Census 2018, each county's
    FIPS code as its id) or `states` (their borders, drawn from the counties)."""
    text = {"counties": county_outlines_text, "states": state_borders_text}[kind]()
    return gzip.compress(text.encode("utf-8"), mtime=0)


def account_map(workspace: WorkspaceStore, progress: Progress = silent) -> AccountMap:
    """The book on the map, built once per workspace version (a million accounts: about 10 s)."""
    return kept(workspace, "map", lambda: _build(workspace, progress))


def _build(workspace: WorkspaceStore, progress: Progress) -> AccountMap:
    with workspace.unit_of_work() as uow:
        progress("Reading the accounts and who owns them", None)
        owned, plan = owned_rows(uow)
        book = load_accounts(uow, {})
        roster = uow.roster.current()
    progress("Placing the accounts on the map", None)
    places = account_places(book)
    named = book.frame.select(
        pl.col(book.columns[ACCOUNT_ID]).cast(pl.String).alias(ACCOUNT_ID),
        (
            pl.col(book.columns["name"]).cast(pl.String)
            if "name" in book.columns
            else pl.lit(None, pl.String)
        ).alias("name"),
        _domain(
            pl.col(book.columns["website"]).cast(pl.String)
            if "website" in book.columns
            else pl.lit(None, pl.String)
        ).alias("domain"),
    )
    primary = owned.filter(pl.col("layer") == PRIMARY).select(ACCOUNT_ID, "territory_id", "rep_id")
    lat = pl.col("lat").clip(-MERCATOR_LAT, MERCATOR_LAT)
    accounts = (
        named.with_columns(places.select("county", "lat", "lon"))
        .join(primary, on=ACCOUNT_ID, how="left")
        .with_columns(
            # Web Mercator in radians: grid cells are squares on the screen at every latitude.
            (pl.col("lon") * math.pi / 180).alias("x"),
            ((lat * math.pi / 360 + math.pi / 4).tan().log()).alias("y"),
        )
        .sort(ACCOUNT_ID)
    )
    territories = sorted(
        set(owned.get_column("territory_id").drop_nulls().to_list())
        | set(roster.get_column("territory_id").to_list())
        | (set(plan.by_id) if plan is not None else set())
    )
    progress("Clustering the accounts for each zoom", None)
    located = accounts.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    cells = {zoom: grid_cells(located, zoom) for zoom in KEPT_ZOOMS}
    return AccountMap(plan, accounts, owned, roster, territories, cells)


@dataclass(frozen=True)
class _Seen:
    """The part of the map a principal may see."""

    accounts: pl.DataFrame
    owners: pl.DataFrame
    territories: set[str] | None  # None: every one


def _seen(workspace: WorkspaceStore, ctx: Context, book: AccountMap) -> _Seen:
    """Admins and planners every account; a manager their team's; a rep their own (where they are
    the rep in any layer), as services.visibility decides."""
    with workspace.unit_of_work() as uow:
        team = team_of(uow, ctx)
    if team is None:
        return _Seen(book.accounts, book.owners, None)
    # A team's rows, kept like the book they come from: picking them out of a million accounts on
    # every request of a rep's map cost 100-400 ms.
    # Built from the book as of the version it is kept under, not the one this request read.
    return kept(workspace, "seen:" + ",".join(sorted(team)), lambda: _team_rows(account_map(workspace), team))


def _team_rows(book: AccountMap, team: frozenset[str]) -> _Seen:
    mine = book.owners.filter(pl.col("rep_id").is_in(sorted(team)))
    ids = mine.get_column(ACCOUNT_ID).unique().implode()
    territories = team_territories(mine, book.roster, book.plan, team)
    return _Seen(
        book.accounts.filter(pl.col(ACCOUNT_ID).is_in(ids)),
        book.owners.filter(pl.col(ACCOUNT_ID).is_in(ids)),
        territories,
    )


def _check_view(west: float, south: float, east: float, north: float, zoom: int) -> None:
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise BadInput.at(
            "a view is west < east within ±180 and south < north within ±90, "
            f"not {west},{south},{east},{north}",
            "bbox",
            subject="bbox",
        )
    if not 0 <= zoom <= DEEPEST_ZOOM:
        raise BadInput.at(f"zoom is 0 to {DEEPEST_ZOOM}, not {zoom}", "zoom", subject="zoom")


def in_view(
    workspace: WorkspaceStore, ctx: Context, west: float, south: float, east: float, north: float, zoom: int
) -> InView:
    """The accounts the principal may see inside the view: each one when at most POINTS_AT_MOST,
    else per grid cell of 1/CELLS_PER_TILE of a tile at this zoom, their count and centre (sorted by
    cell, so the same view gives the same answer)."""
    _check_view(west, south, east, north, zoom)
    book = account_map(workspace)
    seen = _seen(workspace, ctx, book)
    if seen.territories is None and zoom in book.cells:
        # The whole book: its kept cells whose centre is in view (a cell at the view's edge comes
        # whole, as a map tile would), unless few enough accounts are in view to send one by one.
        kept_cells = _in(book.cells[zoom], west, south, east, north)
        if int(kept_cells.get_column("accounts").sum()) > POINTS_AT_MOST:
            return InView(int(kept_cells.get_column("accounts").sum()), _clusters(kept_cells), [])
    inside = _in(seen.accounts, west, south, east, north)
    if inside.height <= POINTS_AT_MOST:
        rows = inside.select("lat", "lon", ACCOUNT_ID, "name", "territory_id").iter_rows()
        return InView(inside.height, [], [(float(a), float(o), i, n, t) for a, o, i, n, t in rows])
    return InView(inside.height, _clusters(grid_cells(inside, zoom)), [])


def _in(frame: pl.DataFrame, west: float, south: float, east: float, north: float) -> pl.DataFrame:
    return frame.filter(pl.col("lat").is_between(south, north) & pl.col("lon").is_between(west, east))


def grid_cells(located: pl.DataFrame, zoom: int) -> pl.DataFrame:
    """CELL_COLUMNS: per grid cell of 1/CELLS_PER_TILE of a Web Mercator tile at this zoom, its
    accounts' centre, count and smallest id, sorted by cell (the same accounts, the same cells)."""
    cell = 2 * math.pi / (2**zoom * CELLS_PER_TILE)
    return (
        located.group_by(
            (pl.col("x") / cell).floor().cast(pl.Int64).alias("cx"),
            (pl.col("y") / cell).floor().cast(pl.Int64).alias("cy"),
        )
        .agg(
            pl.col("lat").mean(),
            pl.col("lon").mean(),
            pl.len().alias("accounts"),
            pl.col(ACCOUNT_ID).min().alias("first"),
        )
        .sort("cx", "cy")
    )


def _clusters(cells: pl.DataFrame) -> list[tuple[float, float, int, str | None]]:
    return [
        (round(lat, 5), round(lon, 5), int(n), first if n == 1 else None)
        for lat, lon, n, first in cells.select("lat", "lon", "accounts", "first").iter_rows()
    ]


def county_colours(
    workspace: WorkspaceStore, ctx: Context, layer: str = PRIMARY
) -> dict[str, dict[str, Any]]:
    """county FIPS -> the territory holding most of the county's accounts in the layer, that share,
    the accounts counted and its colour: over the accounts the principal may see, so that a rep's
    map counts only their own. Counties whose leading territory they may not see are left out. The
    whole book's are kept until the workspace changes (a million accounts: about a second)."""
    book = account_map(workspace)
    if layer not in book.layers:
        raise BadInput.at(
            f"no layer '{layer}': the layers are {', '.join(book.layers)}", "layer", subject="layer"
        )
    seen = _seen(workspace, ctx, book)
    if seen.territories is None:
        return kept(workspace, f"colours:{layer}", lambda: _colours(book, seen, layer))
    return _colours(book, seen, layer)


def _colours(book: AccountMap, seen: _Seen, layer: str) -> dict[str, dict[str, Any]]:
    places = seen.accounts.select(ACCOUNT_ID, "county", "lat", "lon")
    holders = county_holders(seen.owners, places, set(outlined_counties()))
    number = {t: i for i, t in enumerate(book.territories)}
    found: dict[str, dict[str, Any]] = {}
    rows = holders.counties.filter(pl.col("layer") == layer).select(
        "county", "territory_id", "accounts", "share"
    )
    for county, territory, accounts, share in rows.iter_rows():
        if territory != NO_TERRITORY and seen.territories is not None and territory not in seen.territories:
            continue
        colour = "#c8c8c8" if territory == NO_TERRITORY else territory_colour(number.get(territory, 0), 1.0)
        found[county] = {
            "territory": territory,
            "accounts": accounts,
            "share": round(share, 4),
            "colour": colour,
        }
    return found


@dataclass(frozen=True)
class TerritoryCard:
    territory_id: str
    name: str
    layer: str
    parent: str | None
    rule: str | None
    reps: list[str]
    accounts: int  # the accounts in it the principal may see
    counties: int  # the counties it leads among those


def territory_card(workspace: WorkspaceStore, ctx: Context, territory_id: str) -> TerritoryCard:
    """A territory's name, place in the plan, rule, reps and accounts, as the principal may see it."""
    book = account_map(workspace)
    seen = _seen(workspace, ctx, book)
    if territory_id not in book.territories or (
        seen.territories is not None and territory_id not in seen.territories
    ):
        raise NotFound.at(
            f"no territory {territory_id} among those you may see", "territory", subject=territory_id
        )
    plan_territory = book.plan.by_id.get(territory_id) if book.plan is not None else None
    roster_reps = book.roster.filter(pl.col("territory_id") == territory_id).get_column("rep_id").to_list()
    reps = roster_reps or (list(plan_territory.reps) if plan_territory is not None else [])
    if seen.territories is not None:
        team = set(seen.owners.get_column("rep_id").drop_nulls().to_list())
        reps = [rep for rep in reps if rep in team]
    held = seen.owners.filter(pl.col("territory_id") == territory_id)
    mine = seen.accounts.filter(pl.col(ACCOUNT_ID).is_in(held.get_column(ACCOUNT_ID).implode()))
    return TerritoryCard(
        territory_id=territory_id,
        name=plan_territory.name if plan_territory is not None and plan_territory.name else territory_id,
        layer=plan_territory.layer if plan_territory is not None else PRIMARY,
        parent=plan_territory.parent if plan_territory is not None else None,
        rule=_rule(plan_territory) if seen.territories is None else None,
        reps=reps,
        accounts=mine.height,
        counties=mine.get_column("county").drop_nulls().n_unique(),
    )


def _rule(territory: Territory | None) -> str | None:
    """The rule as the plan reads it; only for those who see every account (a rule may name
    accounts outside a rep's book)."""
    return None if territory is None or territory.rule is None else to_text(territory.rule, None)


def find_on_map(workspace: WorkspaceStore, ctx: Context, text: str) -> list[dict[str, Any]]:
    """Up to FOUND_AT_MOST accounts the principal may see whose id is the text, or whose name or
    domain holds it (ignoring case): exact ids first, then by name."""
    wanted = text.strip().lower()
    if not wanted:
        return []
    seen = _seen(workspace, ctx, account_map(workspace)).accounts
    exact = pl.col(ACCOUNT_ID).str.to_lowercase() == wanted
    found = seen.filter(
        exact
        | pl.col("name").str.to_lowercase().str.contains(wanted, literal=True)
        | pl.col("domain").str.contains(wanted, literal=True)
    )
    ordered = found.sort([exact, "name", ACCOUNT_ID], descending=[True, False, False], nulls_last=True)
    return (
        ordered.head(FOUND_AT_MOST)
        .select(ACCOUNT_ID, "name", "domain", "lat", "lon", "territory_id")
        .to_dicts()
    )
