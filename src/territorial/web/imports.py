"""GET /import (upload a CRM export), POST /import/preview (its mapping, normalisation and row
errors, nothing written), POST /import/start (the import, as a job when the server runs jobs) and
GET /import/jobs/{job_id} (its progress, then what it did); each preview table as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from territorial.domain.jobs import JobState
from territorial.errors import BadInput
from territorial.services.import_preview import (
    CHANGE_COLUMNS,
    MAPPING_COLUMNS,
    PREVIEW_ROWS,
    PROBLEM_COLUMNS,
    ImportPreview,
    importable_entity,
    preview_import,
)
from territorial.services.imports import import_records
from territorial.services.jobs import job
from territorial.services.rep_home import as_csv
from territorial.services.settings import load_settings
from territorial.services.sign_in import WebSession
from territorial.web.home import csv_response, shell
from territorial.web.planner import GENERAL, field_errors, planner_session
from territorial.web.render import page
from territorial.web.session import form_of, workspace
from territorial.web.uploads import FILE_FIELD, Upload, forget_upload, keep_upload, posted_file, upload_of

router = APIRouter(include_in_schema=False)
TITLE = "Import"
MAPPINGS = {
    "salesforce": "Salesforce export",
    "hubspot": "HubSpot export",
    "plain": "Territorial's own column names",
}
ENTITIES = ("accounts", "reps", "opportunities", "leads")
FINISHED = {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED}


def _form(
    request: Request,
    session: WebSession,
    status: int = 200,
    errors: dict[str, str] | None = None,
    **typed: str,
) -> Response:
    return page(
        request,
        "import.html.j2",
        status,
        title=TITLE,
        mappings=MAPPINGS,
        entities=ENTITIES,
        errors=errors or {},
        typed={"entity": "accounts", "mapping": "salesforce", **typed},
        **shell(session),
    )


@router.get("/import")
def import_form(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    return refused or _form(request, session)


@router.post("/import/preview")
async def import_preview(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields, content = await posted_file(request, session.csrf_token, load_settings().upload_max_bytes)
    typed = {"entity": fields.get("entity", ""), "mapping": fields.get("mapping", "")}
    if typed["mapping"] not in MAPPINGS:
        return _form(request, session, 422, {"mapping": f"choose one of: {', '.join(MAPPINGS)}"}, **typed)
    if not content.strip():
        return _form(
            request, session, 422, {FILE_FIELD: "choose a CSV file with a header row and rows"}, **typed
        )
    try:
        entity = importable_entity(typed["entity"])
    except BadInput as problem:
        return _form(request, session, 422, field_errors(problem, ["entity"]), **typed)
    mapping = None if typed["mapping"] == "plain" else typed["mapping"]
    name = Path(fields.get("file_name", "")).name or f"{entity.value}.csv"  # the name, not a path
    upload = keep_upload(content, session.principal.name, entity.value, mapping, name)
    try:
        preview = await run_in_threadpool(_preview, session, upload)
    except BadInput as problem:
        upload.path.unlink(missing_ok=True)
        return _form(request, session, 422, {FILE_FIELD: _messages(problem)}, **typed)
    return page(
        request,
        "import_preview.html.j2",
        title="Import preview",
        preview=preview,
        upload=upload,
        mapping_name=MAPPINGS[typed["mapping"]],
        shown=PREVIEW_ROWS,
        mapping_columns=MAPPING_COLUMNS,
        change_columns=CHANGE_COLUMNS,
        problem_columns=PROBLEM_COLUMNS,
        **shell(session),
    )


def _preview(session: WebSession, upload: Upload) -> ImportPreview:
    return preview_import(session.context, importable_entity(upload.entity), upload.path, upload.mapping)


def _messages(problem: BadInput) -> str:
    said = "; ".join(p.message for p in problem.problems[:5])
    more = problem.total - min(len(problem.problems), 5)
    return said + (f" (and {more} more)" if more > 0 else "")


@router.get("/import/uploads/{token}/{table}.csv")
def preview_csv(request: Request, token: str, table: str) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    if table not in ("mapping", "changes", "row-errors", "first-rows"):
        return Response("no such table", status_code=404)
    try:
        preview = _preview(session, upload_of(token, session.principal.name))
    except BadInput as problem:
        return Response(_messages(problem), status_code=404, media_type="text/plain; charset=utf-8")
    tables = {
        "mapping": (preview.mapping, MAPPING_COLUMNS),
        "changes": (preview.changes, CHANGE_COLUMNS),
        "row-errors": (preview.problems, PROBLEM_COLUMNS),
        "first-rows": (preview.sample, preview.fields),
    }
    rows, columns = tables[table]
    return csv_response(as_csv(rows, columns), f"import-{table}.csv")


@router.post("/import/start")
async def import_start(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    try:
        upload = upload_of(fields.get("upload", ""), session.principal.name)
    except BadInput as problem:
        return _form(request, session, 422, {GENERAL: _messages(problem)})
    parameters: dict[str, Any] = {
        "entity": upload.entity,
        "path": str(upload.path),
        "mapping": upload.mapping,
    }
    background = getattr(request.app.state, "background", None)
    if background is not None:
        try:
            job_id = background.jobs.submit("import", parameters, session.context)
        except BadInput as problem:
            return _form(request, session, 422, {GENERAL: _messages(problem)})
        return RedirectResponse(f"/import/jobs/{job_id}", status_code=303)
    # A server without a job runner (a test client) imports while the form waits.
    try:
        report = await run_in_threadpool(
            import_records,
            workspace(request),
            session.context,
            importable_entity(upload.entity),
            upload.path,
            upload.mapping,
        )
    except BadInput as problem:
        return _form(request, session, 422, {GENERAL: _messages(problem)})
    forget_upload(str(upload.path))
    result = report.summary()
    return page(
        request,
        "import_job.html.j2",
        title="Import",
        done=True,
        result=result,
        upload=upload.file_name,
        **shell(session),
    )


@router.get("/import/jobs/{job_id}")
def import_job(request: Request, job_id: int) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    try:
        found = job(workspace(request), session.context, job_id)
    except BadInput:
        found = None
    if found is None or found.kind != "import":
        return _form(
            request, session, 404, {GENERAL: f"There is no import job {job_id}: upload the file again."}
        )
    done = found.state in FINISHED
    if found.state is JobState.SUCCEEDED:
        forget_upload(str(found.parameters.get("path", "")))
    return page(
        request,
        "import_job.html.j2",
        title="Import",
        job=found,
        done=done,
        result=found.result if found.state is JobState.SUCCEEDED else None,
        **shell(session),
    )
