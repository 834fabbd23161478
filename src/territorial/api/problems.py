"""Errors as RFC 9457 problem details (application/problem+json), each naming where it was found:
the query or path parameter, the header, or the field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from territorial.api.examples import PROBLEM
from territorial.api.models import Problem
from territorial.errors import (
    BadInput,
    Conflict,
    NotAllowed,
    NotFound,
    NotSignedIn,
    StaleVersion,
    TooLarge,
    VersionRequired,
)
from territorial.services.activation import ChecksFailed

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Stale version",
    413: "Too large",
    428: "Version required",
    422: "Invalid request",
    500: "Internal error",
}


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(error: BadInput) -> int:
    for kind, status in (
        (NotSignedIn, 401),
        (NotAllowed, 403),
        (NotFound, 404),
        (Conflict, 409),
        (StaleVersion, 412),
        (TooLarge, 413),
        (VersionRequired, 428),
    ):
        if isinstance(error, kind):
            return status
    return 400


# What the services call a value as the command line takes it, and the field the API takes it in.
CLI_NAMES = {
    "ACCOUNT_ID": "account_id",
    "PLAN_ID": "plan_id",
    "--territory": "territory_id",
    "--rep": "rep_id",
    "--reason": "reason",
    "--until": "until",
    "--layer": "layer",
    "--plan": "plan_id",
    "--effective": "effective",
}

BODY_FIELDS = {*CLI_NAMES.values(), "rule", "parent_id"}


def _where(name: str | None, subject: str | None, request: Request) -> str:
    """A service names a parameter as the CLI does (`cursor`); the API says which part of the request."""
    if name is not None and (name == "body" or name.startswith("body.")):
        return name
    name = CLI_NAMES.get(name or "", name)
    if name in request.path_params:
        return f"path.{name}"
    if name in request.query_params or name in ("cursor", "limit"):
        return f"query.{name}"
    if name in ("Authorization", "If-Match", "Idempotency-Key"):
        return f"header.{name}"
    if name in BODY_FIELDS:
        return f"body.{name}"
    return name or "request"


async def bad_input(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, BadInput)
    errors = [
        {
            "location": _where(p.location.file, p.location.subject, request),
            "subject": p.location.subject,
            "detail": p.message,
        }
        for p in error.problems
    ]
    return problem(status_of(error), str(error.problems[0].message) if error.problems else str(error), errors)


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": ".".join(str(part) for part in item["loc"]), "detail": item["msg"]}
        for item in error.errors()
    ]
    return problem(422, "the request does not fit this operation: see errors", errors)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem(error.status_code, str(error.detail))


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    # A fault of ours: the message names its kind, never the request's data.
    return problem(500, f"internal error ({type(error).__name__}); the server log has the details")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of these error statuses: problem details, with an example."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {"example": {**PROBLEM, "status": status}}}}
        for status in statuses
    }


# What writes answer beyond reads' errors: a reused Idempotency-Key (409), a stale If-Match (412), an
# upload too large (413) and a missing If-Match (428).
WRITE_ERRORS = problem_responses(409, 412, 413, 428)


async def checks_failed(request: Request, error: Exception) -> JSONResponse:
    """A plan whose checks fail is not activated: 409, each failed check named (the CLI exits 3)."""
    assert isinstance(error, ChecksFailed)
    errors = [
        {
            "location": "plan.checks",
            "subject": failed.check.name,
            "detail": f"{failed.failed.height} of {failed.rows} rows fail: {failed.check.source.text}",
        }
        for failed in error.failures
    ]
    return problem(409, str(error), errors)


def too_large(limit: int) -> BadInput:
    return TooLarge.at(f"the body is larger than {limit:,} bytes (the upload_max_bytes setting)", "body")
