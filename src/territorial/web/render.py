"""Rendering a page: the Jinja2 templates, a fresh CSP nonce per response, and the page's headers."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

HTMX = "vendor/htmx-2.0.11.min.js"


def content_security_policy(nonce: str, image_sources: str = "") -> str:
    """Scripts only with this response's nonce, styles from this server or with the nonce (plotly.js
    writes its rules into a <style> the page gives it), everything else only from this server
    (images also from the map's tile server, when one is set): an injected <script>, inline handler
    or style attribute does not apply."""
    images = f"'self' data: {image_sources}".strip()
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        f"img-src {images}; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("territorial.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """The template rendered (a fragment when htmx asks for one and the template has it)."""
    nonce = secrets.token_urlsafe(16)
    fragment = request.headers.get("HX-Request") == "true"
    html = templates().get_template(template).render(nonce=nonce, htmx=HTMX, fragment=fragment, **values)
    policy = content_security_policy(nonce, values.get("image_sources", ""))
    headers = {"Content-Security-Policy": policy, "Vary": "HX-Request"}
    return HTMLResponse(html, status_code=status, headers=headers)
