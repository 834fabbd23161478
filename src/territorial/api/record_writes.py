"""POST /accounts, /reps, /opportunities, /leads (one record, upserted as a one-row import) and
POST /imports/{entity} (a CRM export uploaded and imported as `territorial import` does)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Strict
from territorial.api.problems import too_large
from territorial.api.write_headers import IdempotencyKey, once
from territorial.api.write_models import AccountIn, Imported, LeadIn, OpportunityIn, RepIn
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.imports import ImportReport, import_records
from territorial.services.permissions import may_import
from territorial.services.record_upserts import in_body, upsert_record
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import WorkspaceStore

router = APIRouter()


def imported(report: ImportReport) -> Imported:
    return Imported(
        import_id=report.import_id,
        entity=report.entity.value,
        rows_read=report.rows_read,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        deactivated=report.deactivated,
        normalized_cells=report.normalized_cells,
        live_changes=None if report.live is None else report.live.changed,
    )


def _upsert(
    workspace: WorkspaceStore, ctx: Context, request: Request, key: str | None, entity: Entity, body: Strict
) -> JSONResponse:
    fields = body.model_dump(exclude_unset=True)
    custom = fields.pop("custom", None)

    def act() -> Imported:
        return imported(upsert_record(workspace, ctx, entity, fields, custom))

    return once(workspace, ctx, request, key, body, 200, act)


@router.post("/accounts", response_model=Imported, operation_id="upsert_account", tags=["accounts"])
def upsert_account(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    body: AccountIn,  # type: ignore[valid-type]
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Insert or update one account, as a one-row import: its history, the live assignment's
    re-evaluation, the audit and the reps' notifications follow as for `territorial import`. A field
    left out keeps its stored value; `custom` holds custom fields."""
    return _upsert(workspace, ctx, request, key, Entity.ACCOUNTS, body)


@router.post("/reps", response_model=Imported, operation_id="upsert_rep", tags=["reps"])
def upsert_rep(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    body: RepIn,  # type: ignore[valid-type]
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Insert or update one rep, as a one-row import (a rep set inactive leaves the roster)."""
    return _upsert(workspace, ctx, request, key, Entity.REPS, body)


@router.post(
    "/opportunities", response_model=Imported, operation_id="upsert_opportunity", tags=["opportunities"]
)
def upsert_opportunity(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    body: OpportunityIn,  # type: ignore[valid-type]
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Insert or update one opportunity, as a one-row import."""
    return _upsert(workspace, ctx, request, key, Entity.OPPORTUNITIES, body)


@router.post("/leads", response_model=Imported, operation_id="upsert_lead", tags=["leads"])
def upsert_lead(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    body: LeadIn,  # type: ignore[valid-type]
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Insert or update one lead, as a one-row import (POST /leads/route routes leads)."""
    return _upsert(workspace, ctx, request, key, Entity.LEADS, body)


class Importable(StrEnum):
    accounts = "accounts"
    reps = "reps"
    opportunities = "opportunities"
    leads = "leads"


class FileFormat(StrEnum):
    csv = "csv"
    tsv = "tsv"
    xlsx = "xlsx"
    parquet = "parquet"


UPLOAD = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as exported from the CRM.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/imports/{entity}",
    response_model=Imported,
    operation_id="import_upload",
    tags=["imports"],
    openapi_extra=UPLOAD,
)
async def import_upload(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    entity: Importable,
    format: Annotated[FileFormat, Query(description="The file's format.")] = FileFormat.csv,
    mapping: Annotated[
        str | None, Query(max_length=255, description="A CRM mapping: salesforce, hubspot or a file's name.")
    ] = None,
    full_sync: Annotated[bool, Query(description="Deactivate the records the file leaves out.")] = False,
) -> Imported:
    """Import an uploaded CRM export (up to the `upload_max_bytes` setting, 200 MB by default), all
    or nothing, as `territorial import` does."""
    kind = Entity(entity.value)
    may_import(ctx.principal, kind)  # before reading a byte of a file it may not import
    limit = load_settings().upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    with TemporaryDirectory(prefix="territorial-upload-") as folder:
        path = Path(folder) / f"{entity.value}.{format.value}"
        size = 0
        with path.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
        if size == 0:
            raise BadInput.at("the upload is empty; send the file's bytes as the body", "body")
        try:
            report = await run_in_threadpool(import_records, workspace, ctx, kind, path, mapping, full_sync)
        except BadInput as error:
            raise in_body(error, path) from None
    return imported(report)
