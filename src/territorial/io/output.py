"""Write result files so that nothing is half-written and nothing read is lost.

A regular file is written to a temporary file in its folder, then renamed over it (over the file a
symbolic link points to, so the link stays a link), with the mode it had, or 0666 less the umask
for a new file, as any other program's output. A FIFO, a device and `-` (stdout) are written
straight to. No folder is ever created: a typo in a path is an error, not a new folder."""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import polars as pl

from territorial.errors import BadInput

STDOUT = "-"
# Formats by file name ending: CSV (.tsv with tabs), Parquet, Excel; no ending is CSV.
PARQUET, EXCEL, TSV = ".parquet", ".xlsx", ".tsv"
TABLE_ENDINGS = ("", ".csv", ".txt", TSV, PARQUET, EXCEL)


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV spells booleans true/false and leaves NULLs empty."""
    return frame.with_columns(
        [pl.col(c).cast(pl.String).str.to_lowercase() for c, t in frame.schema.items() if t == pl.Boolean]
    )


def table_bytes(frame: pl.DataFrame, suffix: str) -> bytes:
    """The table as a file of the kind its name ends in: Parquet, an Excel workbook or CSV."""
    buffer = io.BytesIO()
    suffix = suffix.lower()
    if suffix == PARQUET:
        frame.write_parquet(buffer, statistics=False)
    elif suffix == EXCEL:
        # One sheet, no autofilter or table style: what an analyst gets from "Save as .xlsx".
        frame.write_excel(buffer, worksheet="Sheet1", autofit=False, table_style=None, autofilter=False)
    elif suffix == TSV:
        _csv_ready(frame).write_csv(buffer, separator="\t")
    else:
        _csv_ready(frame).write_csv(buffer)
    return buffer.getvalue()


def write_table(frame: pl.DataFrame, path: str | Path | None) -> None:
    """CSV, Parquet (.parquet) or an Excel workbook (.xlsx); CSV to stdout without a path or `-`."""
    if path is None or str(path) == STDOUT:
        sys.stdout.write(_csv_ready(frame).write_csv())
        sys.stdout.flush()
        return
    target = Path(path)
    if target.suffix.lower() not in TABLE_ENDINGS:
        raise BadInput.at(
            f"a table is written as .csv, .tsv, .txt, .parquet or .xlsx, not {target.suffix}", str(target)
        )
    if target.suffix.lower() == PARQUET and _is_regular(target):
        # Parquet straight to the temporary file: no second copy of a large table in memory.
        _replace(target, lambda temp: frame.write_parquet(temp, statistics=False))
        return
    write_bytes(table_bytes(frame, target.suffix), target)


def write_text(text: str, path: str | Path) -> None:
    write_bytes(text.encode("utf-8"), path)


def write_bytes(data: bytes, path: str | Path) -> None:
    if str(path) == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if not _is_regular(target):
        _write_straight(target, data)
        return
    _replace(target, lambda temp: Path(temp).write_bytes(data))


def check_writable(*paths: str | Path | None, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse, before any work is done or stored, an output path that cannot be written, that is
    one of the command's `inputs`, or that two outputs share: a run that fails on its second file
    must not leave its first behind, and no output may overwrite what was read. Files are the same
    when they are the same file on disk (a link, another spelling), not only by name."""
    read = {_identity(path): str(path) for path in inputs if str(path) != STDOUT}
    written: dict[object, str] = {}
    if sum(1 for path in paths if path is not None and str(path) == STDOUT) > 1:
        raise BadInput.at("two outputs would go to stdout (-); give one of them a file", STDOUT)
    for path in paths:
        if path is None or str(path) == STDOUT:
            continue
        key = _identity(path)
        if key in read:
            raise BadInput.at(
                f"this is an input of the command ({read[key]}); write to another file", str(path)
            )
        if key in written:
            raise BadInput.at(f"two outputs would go to this file ({written[key]} too)", str(path))
        written[key] = str(path)
        _check_target(Path(path))


def output_folder(path: str | Path) -> Path:
    """A folder a command writes several files into: made when missing, but not its parents."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise BadInput.at("this is a file; this option names a folder to write files into", str(folder))
    if not folder.resolve().parent.is_dir():
        raise BadInput.at(
            f"the folder {folder.resolve().parent} does not exist; create it first "
            "(outputs never create folders above the one named)",
            str(folder),
        )
    try:
        folder.mkdir(exist_ok=True)
    except OSError as err:
        raise BadInput.at(f"cannot make this folder: {err.strerror or err}", str(folder)) from None
    return folder


def _identity(path: str | Path) -> object:
    """One key per file: its device and inode when it exists, else its absolute resolved path."""
    try:
        info = os.stat(path)
    except OSError:
        return os.path.normcase(str(Path(path).resolve()))
    return (info.st_dev, info.st_ino)


def _is_regular(path: Path) -> bool:
    """A path to write by replacing: a regular file, or nothing yet. FIFOs and devices are written
    to as they are."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode))


def _check_target(path: Path) -> None:
    """Bad input, before any work, when the path cannot be an output file."""
    if path.is_dir():
        raise BadInput.at("this is a folder; give a file name to write", str(path))
    if not _is_regular(path):
        if not os.access(path, os.W_OK):
            raise BadInput.at("cannot write here: permission denied", str(path))
        return
    target = path.resolve()
    folder = target.parent
    if not folder.is_dir():
        raise BadInput.at(
            f"the folder {folder} does not exist; create it first (outputs never create folders)",
            str(path),
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise BadInput.at("cannot write here: permission denied", str(path))


def _write_straight(path: Path, data: bytes) -> None:
    try:
        with path.open("wb") as handle:
            handle.write(data)
    except OSError as err:
        raise BadInput.at(f"cannot write here: {err.strerror or err}", str(path)) from None


def _replace(path: Path, write: Callable[[str], object]) -> None:
    """`write(temp)` fills a temporary file beside the resolved target, which then replaces it."""
    _check_target(path)
    target = path.resolve()
    mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else 0o666 & ~_umask()
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise BadInput.at(f"cannot write here: {err.strerror or err}", str(path)) from None
    os.close(fd)
    try:
        write(temp)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as err:  # a full disk, a quota: the old file is still whole
        Path(temp).unlink(missing_ok=True)
        raise BadInput.at(f"cannot write here: {err.strerror or err}", str(path)) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux), since
    setting it back is not safe while other threads create files."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_files(files: Mapping[Path, bytes]) -> None:
    """Several files, all of them or none: each is written to a temporary file beside it first, and
    only when every one is written do they replace their targets (renames, which do not fail for
    want of space). Regular files only; their folders must exist."""
    written: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            _check_target(path)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
            written.append((temp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o666 & ~_umask())
        for temp, path in written:
            os.replace(temp, path.resolve())
    except OSError as err:
        raise BadInput.at(
            f"cannot write here: {err.strerror or err}", str(written[-1][1] if written else "")
        ) from None
    finally:
        for temp, _path in written:
            Path(temp).unlink(missing_ok=True)
