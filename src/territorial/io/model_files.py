"""Model files on disk: their bytes in and out; what the bytes hold is scoring.model_file's."""

from __future__ import annotations

from pathlib import Path

from territorial.errors import BadInput
from territorial.io.output import write_bytes


def read_model_file(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise BadInput.at(f"cannot read the model file: {err.strerror or err}", str(path)) from None


def write_model_file(data: bytes, path: str | Path) -> None:
    write_bytes(data, path)
