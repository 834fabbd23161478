"""Write result tables atomically: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from territorial.errors import BadInput


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV spells booleans true/false and leaves NULLs empty."""
    return frame.with_columns(
        [pl.col(c).cast(pl.String).str.to_lowercase() for c, t in frame.schema.items() if t == pl.Boolean]
    )


def write_table(frame: pl.DataFrame, path: str | Path | None) -> None:
    """CSV, or Parquet when the name ends in .parquet; CSV to stdout without a path."""
    if path is None:
        sys.stdout.write(_csv_ready(frame).write_csv())
        sys.stdout.flush()
        return
    target, temp = _temp_beside(path)
    try:
        if target.suffix.lower() == ".parquet":
            frame.write_parquet(temp, statistics=False)
        else:
            _csv_ready(frame).write_csv(temp)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_text(text: str, path: str | Path) -> None:
    write_bytes(text.encode("utf-8"), path)


def write_bytes(data: bytes, path: str | Path) -> None:
    target, temp = _temp_beside(path)
    try:
        Path(temp).write_bytes(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def check_writable(*paths: str | Path | None, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse, before any work is done or stored, an output path that cannot be written, that is
    one of the command's `inputs`, or that two outputs share: a run that fails on its second file
    must not leave its first behind, and no output may overwrite what was read."""
    read = {_same_file_key(path): str(path) for path in inputs}
    written: dict[str, str] = {}
    for path in paths:
        if path is None:
            continue
        key = _same_file_key(path)
        if key in read:
            raise BadInput.at(
                f"this is an input of the command ({read[key]}); write to another file", str(path)
            )
        if key in written:
            raise BadInput.at(f"two outputs would go to this file ({written[key]} too)", str(path))
        written[key] = str(path)
        _target, temp = _temp_beside(path)
        Path(temp).unlink(missing_ok=True)


def _same_file_key(path: str | Path) -> str:
    """One spelling per file: absolute, links followed (and case folded on Windows)."""
    resolved = Path(path).resolve()
    return os.path.normcase(str(resolved))


def _temp_beside(path: str | Path) -> tuple[Path, str]:
    """The target and a new temporary file in its folder; a path that cannot be written is bad
    input, not a crash."""
    target = Path(path)
    if target.is_dir():
        raise BadInput.at("this is a folder; give a file name to write", str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise BadInput.at(f"cannot write here: {err.strerror or err}", str(target)) from None
    os.close(fd)
    return target, temp
