"""A file posted with a form (multipart, read with the standard library's MIME parser: no extra
dependency), and kept on the server under a random name until it is imported or a day old."""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from fastapi import Request

from territorial.errors import BadInput
from territorial.services.sign_in import same_token
from territorial.web.session import CSRF_FIELD, RefusedForm

# Shared by every serving process of this machine, so a preview made by one worker is imported by
# whichever answers next (the job runs on this machine too).
UPLOADS = Path(tempfile.gettempdir()) / "territorial-uploads"
KEEP_SECONDS = 24 * 3600  # an upload left unimported is removed the next day
FILE_FIELD = "file"


@dataclass(frozen=True)
class Upload:
    token: str
    user: str  # who uploaded it: only they may import it
    entity: str
    mapping: str | None
    file_name: str

    @property
    def path(self) -> Path:
        return UPLOADS / f"{self.token}.csv"


async def posted_file(request: Request, expected_token: str, limit: int) -> tuple[dict[str, str], bytes]:
    """A multipart form's text fields and its file's bytes, once its CSRF token matches."""
    kind = request.headers.get("content-type", "")
    if not kind.lower().startswith("multipart/form-data"):
        raise RefusedForm
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BadInput.at(f"the file is larger than the {limit:,} bytes an upload may be", FILE_FIELD)
    header = f"Content-Type: {kind}\r\n\r\n".encode("latin-1", "replace")
    message: Any = BytesParser(policy=HTTP).parsebytes(header + bytes(body))
    if not message.is_multipart():
        raise RefusedForm
    fields: dict[str, str] = {}
    content = b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == FILE_FIELD:
            content = payload
            fields["file_name"] = str(part.get_filename() or "")
        elif isinstance(name, str):
            fields[name] = payload.decode("utf-8", "replace")
    if not same_token(expected_token, fields.get(CSRF_FIELD)):  # before the file is kept anywhere
        raise RefusedForm
    return fields, content


def keep_upload(content: bytes, user: str, entity: str, mapping: str | None, file_name: str) -> Upload:
    """The file kept under a new random token, with who sent it and how to read it."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    _remove_old()
    upload = Upload(secrets.token_urlsafe(18), user, entity, mapping, file_name)
    upload.path.write_bytes(content)
    meta = {"user": user, "entity": entity, "mapping": mapping, "file_name": file_name}
    (UPLOADS / f"{upload.token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return upload


def upload_of(token: str, user: str) -> Upload:
    """The upload this user kept under `token`; another user's, or one removed, is not there."""
    if not token.replace("-", "").replace("_", "").isalnum():
        raise BadInput.at("no such upload: upload the file again", "upload")
    meta_path = UPLOADS / f"{token}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BadInput.at(
            "no such upload (a day old, or imported already): upload the file again", "upload"
        ) from None
    if meta["user"] != user or not (UPLOADS / f"{token}.csv").is_file():
        raise BadInput.at("no such upload: upload the file again", "upload")
    return Upload(token, meta["user"], meta["entity"], meta["mapping"], meta["file_name"])


def _remove_old() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in UPLOADS.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # another process removed it first


def forget_upload(path: str) -> None:
    """An imported upload is not imported twice: its file and note are removed (a path outside the
    uploads folder is none of ours)."""
    kept = Path(path)
    if kept.parent == UPLOADS and kept.suffix == ".csv":
        kept.unlink(missing_ok=True)
        kept.with_suffix(".json").unlink(missing_ok=True)
