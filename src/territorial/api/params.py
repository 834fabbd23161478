"""What every list operation takes (a cursor and a page size) and how it answers: a page of items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from territorial.services.pages import MAX_LIMIT

Cursor = Annotated[str | None, Query(description="The next_cursor of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")]
RepFilter = Annotated[str | None, Query(description="Only this rep's (a rep_id).")]


def page_body(model: Any, page: Any) -> dict[str, Any]:
    return {"items": [model.model_validate(row) for row in page.rows], "next_cursor": page.next_cursor}
