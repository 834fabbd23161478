"""Write result tables atomically: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import sys
import tempfile
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


def check_writable(*paths: str | Path | None) -> None:
    """Refuse, before any work is done or stored, an output path that cannot be written: a run that
    fails on its second file must not leave its first behind."""
    for path in paths:
        if path is not None:
            _target, temp = _temp_beside(path)
            Path(temp).unlink(missing_ok=True)


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
