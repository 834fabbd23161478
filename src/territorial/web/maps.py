"""GET /map and what its script asks for: the boundaries, the counties' territory colours, the accounts
in view (clustered by the server), a territory's card and the account search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from territorial.errors import BadInput, NotFound
from territorial.services.account_map import (
    account_map,
    boundaries,
    county_colours,
    find_on_map,
    in_view,
    territory_card,
)
from territorial.services.settings import load_settings
from territorial.web.dashboard import KEEP_ASSET
from territorial.web.home import shell
from territorial.web.render import page
from territorial.web.session import current_session, workspace

router = APIRouter(include_in_schema=False)
LEAFLET = "vendor/leaflet-1.9.4"  # .js and .css, from the npm package leaflet 1.9.4 (data/ATTRIBUTION.md)


@router.get("/map")
def map_page(request: Request) -> Response:
    _, session = current_session(request)
    settings = load_settings()
    return page(
        request,
        "map.html.j2",
        title="Map",
        layers=account_map(workspace(request)).layers,
        leaflet=LEAFLET,
        tiles=settings.map_tile_url or "",
        tiles_attribution=settings.map_tile_attribution or "",
        image_sources=_tile_origin(settings.map_tile_url),
        **shell(session),
    )


def _tile_origin(url: str | None) -> str:
    """The tile server's origin, which the page's CSP then lets images come from."""
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}"


@router.get("/map/{kind}.geojson")
def boundary_file(kind: str) -> Response:
    if kind not in ("counties", "states"):
        return Response(status_code=404)
    return Response(
        boundaries(kind),
        media_type="application/geo+json",
        headers={"Content-Encoding": "gzip", "Cache-Control": KEEP_ASSET},
    )


@router.get("/map/colours.json")
def colours(request: Request, layer: str = "primary") -> Response:
    _, session = current_session(request)
    return JSONResponse(county_colours(workspace(request), session.context, layer))


@router.get("/map/accounts.json")
def accounts_in_view(
    request: Request,
    bbox: Annotated[str, Query(description="west,south,east,north in degrees")],
    zoom: Annotated[int, Query()],
) -> Response:
    """The accounts in view: {"accounts": n, "clusters": [[lat, lon, n, id or null]...], "points":
    [[lat, lon, id, name, territory]...]}; one of the two lists is empty."""
    _, session = current_session(request)
    try:
        west, south, east, north = (float(part) for part in bbox.split(","))
    except ValueError:
        raise BadInput.at(
            f"bbox is west,south,east,north in degrees, not {bbox!r}", "bbox", subject="bbox"
        ) from None
    found = in_view(workspace(request), session.context, west, south, east, north, zoom)
    return JSONResponse({"accounts": found.accounts, "clusters": found.clusters, "points": found.points})


@router.get("/map/territories/{territory_id}")
def territory(request: Request, territory_id: str) -> Response:
    _, session = current_session(request)
    try:
        card = territory_card(workspace(request), session.context, territory_id)
    except NotFound:
        return page(
            request,
            "territory_card.html.j2",
            territory_id=territory_id,
            missing=True,
            title="Territory",
            **shell(session),
        )
    return page(
        request,
        "territory_card.html.j2",
        card=card,
        territory_id=territory_id,
        title="Territory",
        **shell(session),
    )


@router.get("/map/search")
def search(request: Request, q: str = "") -> Response:
    _, session = current_session(request)
    found = find_on_map(workspace(request), session.context, q[:200])
    return page(request, "map_search.html.j2", found=found, asked=q, title="Search", **shell(session))
