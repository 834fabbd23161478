"""The FastAPI application: routes, problem details for every error, security headers on every
response, and an OpenAPI 3.1 document with an example per operation."""

from __future__ import annotations

import html
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from territorial.api import (
    assignment,
    jobs,
    lead_routing,
    pin_writes,
    plan_lifecycle,
    plan_writes,
    plans,
    record_writes,
    records,
    territory_writes,
)
from territorial.api.examples import EXAMPLES, REQUEST_EXAMPLES
from territorial.api.models import NUL, NUL_REFUSED
from territorial.api.problems import (
    WRITE_ERRORS,
    bad_input,
    checks_failed,
    http_error,
    internal_error,
    invalid_request,
    problem,
    problem_responses,
    too_large,
)
from territorial.errors import BadInput
from territorial.services.activation import ChecksFailed
from territorial.services.route_requests import RouterCache
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import connect

ROUTERS = (records, assignment, plans)  # reads
WRITERS = (record_writes, lead_routing, plan_writes, territory_writes, plan_lifecycle, pin_writes, jobs)
# No script, style or frame from anywhere: the API serves JSON and one plain HTML page.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (
        b"content-security-policy",
        b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
ERRORS = problem_responses(400, 401, 403, 404, 422)


class SecurityHeaders:
    """Every response, errors included, carries the security headers; one a page sets itself (the web
    app's nonce-based Content-Security-Policy) is kept, not doubled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                message["headers"] = [*headers, *(h for h in SECURITY_HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """No request body beyond the upload limit, whether it says its length or streams: a JSON body
    is read whole before it is checked, so an unbounded one could exhaust the server's memory. A
    streamed body that passes the limit reads as a disconnect to the app, and its answer is a 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def refusal(self) -> Response:
        message = too_large(self.limit).problems[0].message
        return problem(413, message, [{"location": "body", "detail": message}])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self.refusal()(scope, receive, send)
            return
        seen, exceeded, refused = 0, False, False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                exceeded = True
                return {"type": "http.disconnect"}
            return message

        async def answered(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:  # whatever the app makes of the cut body, the answer is 413
                refused = True
                await self.refusal()(scope, receive, send)

        await self.app(scope, counted, answered)
        if exceeded and not refused:
            await self.refusal()(scope, receive, send)


def no_nul_in_url(request: Request) -> None:
    """A path or query value with a NUL character (%00) is a 422 naming it, as a body's is (Sent)."""
    parts = [("path", request.path_params.items()), ("query", request.query_params.multi_items())]
    refused = [
        {"loc": (part, name), "msg": NUL_REFUSED, "type": "value_error"}
        for part, items in parts
        for name, value in items
        if NUL in f"{name}{value}"
    ]
    if refused:
        raise RequestValidationError(refused)


def create_app(workspace: WorkspaceStore | None = None) -> FastAPI:
    """The API over a workspace (default: the one TERRITORIAL_DATABASE_URL names, as the CLI opens it)."""
    app = FastAPI(
        title="Territorial",
        summary="Sales territories, accounts, reps and leads, as each user may see them.",
        version="1",
        docs_url=None,  # FastAPI's page loads scripts from a CDN: /docs below is plain HTML instead
        redoc_url=None,
        responses=ERRORS,
        dependencies=[Depends(no_nul_in_url)],
    )
    app.state.workspace = workspace if workspace is not None else connect(None)
    app.state.routers = RouterCache()  # this worker's router for the active plan
    for module in ROUTERS:
        app.include_router(module.router)
    for module in WRITERS:
        app.include_router(module.router, responses=WRITE_ERRORS)
    app.add_exception_handler(BadInput, bad_input)
    app.add_exception_handler(ChecksFailed, checks_failed)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
    app.add_middleware(BodyLimit, limit=load_settings().upload_max_bytes)
    app.add_middleware(SecurityHeaders)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_examples(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return HTMLResponse(docs_page(app.openapi()))

    return app


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Each operation's example answer, and each write's example request."""
    for operations in document["paths"].values():
        for operation in operations.values():
            name = operation["operationId"]
            success = next(code for code in ("200", "201", "202") if code in operation["responses"])
            operation["responses"][success]["content"]["application/json"]["example"] = EXAMPLES[name]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                content["example"] = REQUEST_EXAMPLES[name]
    return document


def docs_page(document: dict[str, Any]) -> str:
    """The operations as a plain page: no script, nothing from elsewhere."""
    rows = [
        f"<li><code>{method.upper()} {html.escape(path)}</code>: {html.escape(op.get('summary', ''))}"
        f"<br>{html.escape(op.get('description', '').splitlines()[0] if op.get('description') else '')}</li>"
        for path, operations in sorted(document["paths"].items())
        for method, op in operations.items()
    ]
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Territorial API</title>"
        "<h1>Territorial API</h1><p>Every operation takes <code>Authorization: Bearer TOKEN</code>. "
        'The full description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>'
        f"<ul>{''.join(rows)}</ul></html>"
    )
