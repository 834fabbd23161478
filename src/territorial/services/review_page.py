"""The review report as one self-contained HTML page: Jinja2 renders the template, Plotly's script and
the county outlines are embedded, so the page opens with no network."""

from __future__ import annotations

import colorsys
import functools
import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import polars as pl

from territorial.domain.fairness import Fairness
from territorial.evaluate.report import NO_TERRITORY, CountyHolders
from territorial.geo.counties import county_outlines_text
from territorial.io.chromium import chromium, print_pdf
from territorial.services.review import ReviewReport

PLOTLY_FILE = "plotly.min.js.gz"  # plotly.js-dist-min, version in data/ATTRIBUTION.md
TEMPLATE = "review.html.j2"
SHOWN_ROWS = 30  # territories listed per table; the charts show every one, and the CLIs list them all
GOLDEN_ANGLE = 137.508  # hues this far apart keep neighbouring territory numbers distinct
# Plotly fetches a base map for every geo plot unless one is already loaded: an empty one is given,
# so the page never reaches for the network (the county outlines are the map).
GEO_STUB = {"usa_110m": {"type": "Topology", "objects": {}, "arcs": []}}
CONFIG = {"displaylogo": False, "responsive": True}
BLANK_COUNTY = "#eeeeee"
COUNTIES = "counties"  # stands for the county outlines, embedded once however many layers draw them


@functools.cache
def plotly_gzipped() -> bytes:
    """plotly.js as bundled, gzip-compressed: the web app serves it as it is (1.5 MB, not 4.8)."""
    return (resources.files("territorial") / "data" / PLOTLY_FILE).read_bytes()


@functools.cache
def _plotly_js() -> str:
    return gzip.decompress(plotly_gzipped()).decode("utf-8")


@functools.cache
def _template() -> jinja2.Template:
    source = resources.files("territorial") / "data" / TEMPLATE
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    return environment.from_string(source.read_text(encoding="utf-8"))


def review_html(report: ReviewReport) -> str:
    """The page: the same report gives the same bytes."""
    figures = {
        "balance": balance_figure(report.balance, report.bars),
        "lorenz": _lorenz_figure(report.balance),
    }
    if report.counties is not None and not report.counties.counties.is_empty():
        figures["map"] = _map_figure(report.counties)
    kpis = report.kpis.sort(["workload", "group"], descending=[True, False], nulls_last=True)
    return _template().render(
        report=report,
        kpi_rows=kpis.head(SHOWN_ROWS).to_dicts(),
        kpi_more=max(0, kpis.height - SHOWN_ROWS),
        flows=[] if report.flows is None else report.flows.to_dicts(),
        index=[] if report.penetration is None else _under(report.penetration.index),
        untapped=[] if report.penetration is None else report.penetration.untapped.to_dicts(),
        quota=[] if report.quota is None else report.quota.head(SHOWN_ROWS).to_dicts(),
        quota_more=0 if report.quota is None else max(0, report.quota.height - SHOWN_ROWS),
        off_map=None if report.counties is None else report.counties.off_map,
        plotly_js=_script(_plotly_js()),
        geo_assets=_script(_json({"topojson": GEO_STUB})),
        figures=_script(_json(figures)),
        counties=_script(county_outlines_text()) if "map" in figures else "null",
        config=_script(_json(CONFIG)),
    )


def _under(index: pl.DataFrame) -> list[dict[str, Any]]:
    """The under-penetrated territories, lowest index first, as many as the tables show."""
    return index.filter(pl.col("under_penetrated")).head(SHOWN_ROWS).to_dicts()


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _script(text: str) -> str:
    """Text safe inside a <script> element: '</' would close it early."""
    return text.replace("</", "<\\/")


def balance_figure(balance: list[Fairness], bars: pl.DataFrame) -> dict[str, Any]:
    """Bars per measure: each territory's figure as a share of its target, red outside the tolerance."""
    traces: list[dict[str, Any]] = []
    tolerance = balance[0].tolerance if balance else 0.1
    for measure in balance:
        rows = bars.filter(pl.col("measure") == measure.measure)
        ratios = rows.get_column("of_target").to_list()
        outside = [r is not None and abs(r - 1) > tolerance + 1e-12 for r in ratios]
        traces.append(
            {
                "type": "bar",
                "name": measure.measure,
                "x": rows.get_column("group").to_list(),
                "y": ratios,
                # Hatched: outside the tolerance.
                "marker": {
                    "color": _measure_colour(measure.measure),
                    "pattern": {
                        "shape": ["/" if o else "" for o in outside],
                        "fgcolor": "#c0392b",
                        "fillmode": "overlay",
                    },
                },
                "hovertemplate": "%{x}: %{y:.0%} of target<extra>" + measure.measure + "</extra>",
            }
        )
    shapes = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": y,
            "y1": y,
            "line": {"dash": "dot", "color": "#555555"},
        }
        for y in (1 - tolerance, 1 + tolerance)
    ]
    layout: dict[str, Any] = {
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 80},
        "barmode": "group",
        "yaxis": {"title": {"text": "share of target"}, "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": 1.1},
        "shapes": shapes,
    }
    return {"data": traces, "layout": layout}


def _measure_colour(measure: str) -> str:
    return {"workload": "#2e86c1", "potential": "#28b463"}.get(measure, "#7d3c98")


def _lorenz_figure(balance: list[Fairness]) -> dict[str, Any]:
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "equal",
            "x": [0, 1],
            "y": [0, 1],
            "line": {"dash": "dot", "color": "#888"},
        }
    ]
    for measure in balance:
        gini = "" if measure.gini is None else f" (Gini {measure.gini:.2f})"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": measure.measure + gini,
                "x": [x for x, _ in measure.lorenz],
                "y": [y for _, y in measure.lorenz],
                "line": {"color": _measure_colour(measure.measure)},
            }
        )
    layout = {
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        "xaxis": {"title": {"text": "share of territories, smallest first"}, "tickformat": ".0%"},
        "yaxis": {"title": {"text": "share of the figure"}, "tickformat": ".0%"},
    }
    return {"data": traces, "layout": layout}


def territory_colour(index: int, share: float) -> str:
    """The territory's own hue, darker the larger its share of the county's accounts."""
    hue = (index * GOLDEN_ANGLE) % 360 / 360
    lightness = 0.85 - 0.5 * max(0.0, min(1.0, (share - 0.2) / 0.8))
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.65)
    return f"rgb({round(red * 255)},{round(green * 255)},{round(blue * 255)})"


def _map_figure(holders: CountyHolders) -> dict[str, Any]:
    """A choropleth per layer (the primary shown, overlays behind buttons) over the bundled county
    outlines, and the accounts off the map as points. Each county's colour is set through its own
    colour-scale stop: Plotly colours a choropleth only by a number."""
    outlines = json.loads(county_outlines_text())
    names = {str(f["id"]): f["properties"]["name"] for f in outlines["features"]}
    territories = sorted(set(holders.counties.get_column("territory_id").to_list()))
    number = {t: i for i, t in enumerate(territories)}
    # Every county in light grey underneath, so the country shows around the counties with accounts.
    traces: list[dict[str, Any]] = [
        {
            "type": "choropleth",
            "name": "counties",
            "geojson": COUNTIES,
            "locations": sorted(names),
            "z": [0] * len(names),
            "colorscale": [[0, BLANK_COUNTY], [1, BLANK_COUNTY]],
            "showscale": False,
            "marker": {"line": {"width": 0.2, "color": "#ffffff"}},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    layers = holders.layers
    for layer in layers:
        rows = holders.counties.filter(pl.col("layer") == layer)
        counties = rows.get_column("county").to_list()
        colours = [
            "rgb(200,200,200)" if t == NO_TERRITORY else territory_colour(number[t], s)
            for t, s in rows.select("territory_id", "share").iter_rows()
        ]
        last = max(1, len(colours) - 1)
        scale = (
            [[i / last, c] for i, c in enumerate(colours)]
            if len(colours) > 1
            else [[0, colours[0]], [1, colours[0]]]
        )
        traces.append(
            {
                "type": "choropleth",
                "name": layer,
                "geojson": COUNTIES,  # the page puts the one embedded copy here
                "locations": counties,
                "z": list(range(len(counties))),
                "zmin": 0,
                "zmax": last,
                "colorscale": scale,
                "showscale": False,
                "marker": {"line": {"width": 0.3, "color": "#ffffff"}},
                "text": [
                    f"{names.get(c, c)}<br>{t}: {a:,} of {n:,} accounts ({s:.0%})"
                    for c, t, a, n, s in rows.select(
                        "county", "territory_id", "accounts", "county_accounts", "share"
                    ).iter_rows()
                ],
                "hoverinfo": "text",
                "visible": layer == layers[0],
            }
        )
    points = holders.off_map.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    if not points.is_empty():
        traces.append(
            {
                "type": "scattergeo",
                "name": f"accounts off the map ({points.height:,})",
                "lat": points.get_column("lat").to_list(),
                "lon": points.get_column("lon").to_list(),
                "text": [f"{a} ({t})" for a, t in points.select("account_id", "territory_id").iter_rows()],
                "hoverinfo": "text",
                "mode": "markers",
                "marker": {"size": 5, "color": "#000000"},
            }
        )
    buttons = []
    for layer in layers:
        visible = [trace["name"] in (layer, "counties") or trace["type"] == "scattergeo" for trace in traces]
        buttons.append({"label": layer, "method": "restyle", "args": [{"visible": visible}]})
    layout: dict[str, Any] = {
        "height": 520,
        "margin": {"l": 0, "r": 0, "t": 10, "b": 0},
        "showlegend": not points.is_empty(),
        "legend": {"x": 0, "y": 0},
        "geo": {
            "scope": "usa",
            "projection": {"type": "albers usa"},
            "showland": False,
            "showlakes": False,
            "showcoastlines": False,
            "showcountries": False,
            "showsubunits": False,
            "showframe": False,
            "showocean": False,
            "showrivers": False,
            "bgcolor": "rgba(0,0,0,0)",
        },
    }
    if len(layers) > 1:
        layout["updatemenus"] = [
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "y": 1.08,
                "xanchor": "left",
                "buttons": buttons,
            }
        ]
    return {"data": traces, "layout": layout}


def check_pdf_printer() -> None:
    """Refuse --pdf before any work when Chromium is missing."""
    chromium()


def write_review_pdf(page: Path, pdf: Path) -> None:
    """The written page printed to PDF by headless Chromium."""
    print_pdf(page, pdf)
