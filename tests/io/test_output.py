"""How outputs are written: nothing half-written, links and special files kept, modes as any
program's, no folder made, and real workbooks for .xlsx."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput
from territorial.io.output import check_writable, output_folder, write_files, write_table, write_text

FRAME = pl.DataFrame({"id": ["A", "B"], "n": [1, 2], "ok": [True, None]})


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    write_table(FRAME, link)
    assert link.is_symlink()
    assert target.read_text() == "id,n,ok\nA,1,true\nB,2,\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_table(FRAME, fifo)
    reader.join(10)
    assert got == ["id,n,ok\nA,1,true\nB,2,\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_full_device_is_bad_input_and_stays_a_device() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with pytest.raises(BadInput, match="cannot write here"):
        write_text("x" * 100_000, "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_dash_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_table(FRAME, "-")
    write_text("done\n", "-")
    assert capsys.readouterr().out == "id,n,ok\nA,1,true\nB,2,\ndone\n"


def test_a_new_file_gets_0666_less_the_umask_and_an_old_one_keeps_its_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_table(FRAME, tmp_path / "new.csv")
        kept = tmp_path / "kept.csv"
        kept.write_text("x\n")
        kept.chmod(0o604)
        write_table(FRAME, kept)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o604


def test_no_folder_is_made_for_a_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist; create it first"):
        write_table(FRAME, tmp_path / "typo" / "out.csv")
    with pytest.raises(BadInput, match="does not exist; create it first"):
        check_writable(tmp_path / "typo" / "out.csv")
    assert not (tmp_path / "typo").exists()


def test_an_output_folder_is_made_but_not_its_parents(tmp_path: Path) -> None:
    assert output_folder(tmp_path / "export").is_dir()
    with pytest.raises(BadInput, match="does not exist"):
        output_folder(tmp_path / "a" / "b")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput, match="this is a file"):
        output_folder(tmp_path / "file")


def test_an_output_that_is_an_input_by_another_name_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "accounts.csv"
    data.write_text("x\n")
    (tmp_path / "alias.csv").symlink_to(data.name)
    os.link(data, tmp_path / "hard.csv")
    for spelling in (data, tmp_path / "alias.csv", tmp_path / "hard.csv", tmp_path / "." / "accounts.csv"):
        with pytest.raises(BadInput, match="this is an input of the command"):
            check_writable(spelling, inputs=[data])
    with pytest.raises(BadInput, match="two outputs would go to this file"):
        check_writable(tmp_path / "r.csv", tmp_path / "r.csv")
    check_writable("-", inputs=["-"])  # stdout as an output and as an input (a pipe) is no clash


def test_xlsx_is_a_real_workbook_that_reads_back(tmp_path: Path) -> None:
    dated = FRAME.with_columns(pl.Series("day", ["2026-03-02", None]).str.to_date())
    write_table(dated, tmp_path / "out.xlsx")
    assert (tmp_path / "out.xlsx").read_bytes()[:2] == b"PK"
    back = pl.read_excel(tmp_path / "out.xlsx", engine="calamine")
    assert back["id"].to_list() == ["A", "B"]
    assert back["n"].to_list() == [1, 2]


def test_tsv_is_tab_separated_and_unknown_endings_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found by a new-user pass: .tsv came out with commas, and .xls and .json as CSV.
    write_table(FRAME, tmp_path / "o.tsv")
    assert (tmp_path / "o.tsv").read_text() == "id\tn\tok\nA\t1\ttrue\nB\t2\t\n"
    for name in ("o.xls", "o.json"):
        with pytest.raises(BadInput, match=r"written as \.csv, \.tsv, \.txt, \.parquet or \.xlsx"):
            write_table(FRAME, tmp_path / name)
        assert not (tmp_path / name).exists()
    with pytest.raises(BadInput, match="two outputs would go to stdout"):
        check_writable("-", "-")


def test_several_files_are_written_all_or_none(tmp_path: Path) -> None:
    kept = tmp_path / "a.csv"
    kept.write_text("old\n")
    (tmp_path / "c.csv").mkdir()  # the last file cannot be written: a folder stands there
    with pytest.raises(BadInput, match="this is a folder"):
        write_files({kept: b"new\n", tmp_path / "b.csv": b"b\n", tmp_path / "c.csv": b"c\n"})
    assert kept.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv"]  # no temporary file left
    write_files({kept: b"new\n", tmp_path / "b.csv": b"b\n"})
    assert (kept.read_text(), (tmp_path / "b.csv").read_text()) == ("new\n", "b\n")
