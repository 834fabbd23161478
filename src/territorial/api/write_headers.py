"""The headers of writes: If-Match names the plan version a write was made against (required, so a
stale write gets 412 instead of losing another's), Idempotency-Key makes a creating POST safe to send
again (the same answer for 24 hours; another body with the same key gets 409)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from territorial.errors import VersionRequired
from territorial.services.context import Context
from territorial.services.idempotency import Answer, answer_once, request_fingerprint
from territorial.services.plan_versions import plan_version
from territorial.services.unit_of_work import WorkspaceStore

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The plan's ETag as last read (GET /plans/{plan_id}): a write to a plan that has "
        "changed since is refused with 412.",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Any unique text (a UUID): sending the request again with the same key within 24 "
        "hours gives back the first answer and changes nothing; another body with it is refused (409).",
    ),
]
Answered = TypeVar("Answered", bound=Response)
# The answer of a request sent again with its Idempotency-Key says so.
REPLAYED = "Idempotent-Replayed"


def required_version(if_match: str | None) -> str:
    if if_match is None or not if_match.strip():
        raise VersionRequired.at(
            "a write to a plan names the version it was made against: send the plan's ETag "
            "(GET /plans/{plan_id}) as If-Match",
            "If-Match",
        )
    return if_match


def with_plan_version(answer: Answered) -> Answered:
    """A plan in the answer comes with its version, the ETag to send back as If-Match."""
    source = json.loads(bytes(answer.body)).get("source") if answer.status_code < 300 else None
    if isinstance(source, str):
        answer.headers["ETag"] = plan_version(source)
    return answer


def once(
    workspace: WorkspaceStore,
    ctx: Context,
    request: Request,
    key: str | None,
    body: BaseModel | None,
    status: int,
    act: Callable[[], BaseModel],
) -> JSONResponse:
    """Do `act` and answer with its result; with a key, only the first time: a request sent again
    gets the kept answer, and the same key with another request gets 409."""
    if key is None:
        return JSONResponse(jsonable_encoder(act()), status_code=status)
    fingerprint = request_fingerprint(
        request.method, request.url.path, body.model_dump_json() if body is not None else ""
    )

    def answered() -> Answer:
        return Answer(status, json.dumps(jsonable_encoder(act())))

    answer = answer_once(workspace, ctx, key, fingerprint, answered)
    headers = {REPLAYED: "true"} if answer.replayed else None
    return JSONResponse(json.loads(answer.body), status_code=answer.status, headers=headers)
