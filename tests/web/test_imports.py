"""The import pages in-process: an upload previewed with nothing written (its mapping, normalisation
and row errors, each as CSV), imported at once when the server runs no jobs, and bad input a 422
under its field; an upload is its uploader's only."""

from __future__ import annotations

import re
from collections.abc import Callable

from web_client import Signed, under

HEADER = "Account ID,Account Name,Billing State/Province,Billing Country\n"


def preview(signed: Signed, content: str, mapping: str = "salesforce", entity: str = "accounts") -> str:
    answer = signed.client.post(
        "/import/preview",
        data={"csrf_token": signed.csrf, "entity": entity, "mapping": mapping},
        files={"file": ("export.csv", content.encode(), "text/csv")},
    )
    return f"{answer.status_code}\n{answer.text}"


def test_a_preview_shows_row_errors_before_anything_is_written_then_imports(
    web_as: Callable[[str], Signed],
) -> None:
    pat = web_as("pat")
    assert pat.client.get("/import").status_code == 200
    bad = preview(pat, HEADER + "ACC-X1,X One,New Jersey,United States\n,No id,NJ,US\n")
    assert bad.startswith("200") and "1 row would stop the import" in bad and 'id="import-form"' not in bad
    token = re.search(r"/import/uploads/([\w-]+)/row-errors.csv", bad).group(1)  # type: ignore[union-attr]
    errors = pat.client.get(f"/import/uploads/{token}/row-errors.csv").text.splitlines()
    assert errors == ["line,file_column,value,expected", "3,Account ID,,a account_id; every row needs one"]
    changes = pat.client.get(f"/import/uploads/{token}/changes.csv").text
    assert "2,Billing State/Province,New Jersey,NJ,state" in changes
    first = pat.client.get(f"/import/uploads/{token}/first-rows.csv").text.splitlines()
    assert first[:2] == ["account_id,name,state,country", "ACC-X1,X One,NJ,US"]
    assert pat.client.get(f"/import/uploads/{token}/plans.csv").status_code == 404
    assert pat.client.get("/accounts/ACC-X1", headers={}).status_code in (401, 403)  # the API needs a token

    good = preview(pat, HEADER + "ACC-X1,X One,New Jersey,United States\n")
    assert 'id="import-form"' in good
    token = re.search(r'name="upload" value="([\w-]+)"', good).group(1)  # type: ignore[union-attr]
    assert web_as("root").post("/import/start", upload=token).status_code == 422  # not root's upload
    imported = pat.post("/import/start", upload=token)
    assert imported.status_code == 200 and "1 new" in imported.text
    again = pat.post("/import/start", upload=token)
    assert again.status_code == 422 and "upload the file again" in again.text  # not imported twice


def test_bad_uploads_are_refused_under_their_field(web_as: Callable[[str], Signed]) -> None:
    pat = web_as("pat")
    empty = preview(pat, "")
    assert empty.startswith("422") and "choose a CSV file" in under(empty.split("\n", 1)[1], "file")
    wrong = preview(pat, "Id,Name,Email\n005000000000001,Ann,ann@x.com\n")
    assert wrong.startswith("422") and under(wrong.split("\n", 1)[1], "file") != ""
    mapping = preview(pat, HEADER, mapping="zoho")
    assert mapping.startswith("422") and "choose one of" in under(mapping.split("\n", 1)[1], "mapping")
    entity = preview(pat, HEADER, entity="plans")
    assert entity.startswith("422") and "expected one of" in under(entity.split("\n", 1)[1], "entity")
    assert pat.client.get("/import/jobs/999").status_code == 404  # no such job: the form, saying so
    forged = pat.client.post(
        "/import/preview", data={"csrf_token": "forged"}, files={"file": ("a.csv", b"x")}
    )
    assert forged.status_code == 403
