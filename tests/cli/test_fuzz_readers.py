"""Every reader, fed damaged copies of real input files through the real command: the answer is
exit 0 or exit 2 (a clear error), never 1 (an internal error), and a failed command leaves no
output file and no temporary file behind.

Damage: truncation, random bytes, a huge cell, deep nesting, another encoding, a wrong file name
ending and a duplicated header, one or two at a time. Inputs stay under 10 MB. A model file is
only damaged in ways its checksum catches (bytes changed or cut), since a model file made to look
valid is not input a user can produce by accident. 20 examples a reader here; `make test-slow`
draws more (HYPOTHESIS_PROFILE=full)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, run_cli
from territorial.errors import BadInput
from territorial.io.catalogue import load_catalogue

DATA = Path(__file__).resolve().parents[1] / "data"
HUGE_CELL = 300_000  # bytes: over the csv module's 131,072-byte field limit

PLAN = """\
name: Fuzz plan
fields: {employees: number}
routing:
  fallback_queue: sdr-queue
territories:
  - id: WEST
    rule: state IN ('CA', 'WA') AND employees >= 100
    reps: [jane, bob]
  - id: EAST
    rule: state IN ('NY', 'MA')
    reps: [dee]
    children:
      - id: EAST-BIG
        rule: employees > 1000
        reps: [dee]
  - id: REST
    priority: -1
"""

ACCOUNTS = """\
account_id,name,website,industry,employees,state,country,postal_code,owner_id
A-1,Acme Corporation,acme.com,Manufacturing,5000,CA,US,94105,jane
A-2,Globex Inc.,globex.com,Healthcare,800,NY,US,10001,
A-3,Initech LLC,initech.com,Software,200,TX,US,75001,bob
A-4,Hooli,hooli.com,Software,1200,WA,US,98101,dee
"""

REPS = """\
rep_id,name,email,active,lead_weight,daily_lead_cap
jane,Jane,jane@x.com,true,1,
bob,Bob,bob@x.com,yes,2,5
dee,Dee,dee@x.com,true,1,
"""

LEADS = """\
lead_id,first_name,email,company,state,country,industry,visits,source,created
L-1,Ann,ann@acme.com,Acme,CA,US,,3,Referral,2026-03-02
L-2,Ben,ben@gmail.com,Someone Else,CA,US,,7,Ads,2026-03-02
L-3,Cat,cat@hooli.com,Hooli,WA,US,,1,Organic,2026-03-03
L-4,Eve,eve@globex.com,Globex,NY,US,Healthcare,9,Referral,2026-03-03
"""

AVAILABILITY = "rep_id,start,end\njane,2026-03-01,2026-03-05\n"

UNITS = "id,x,y,calls\n" + "".join(f"u{i},{i % 4},{i // 4},{1 + i % 3}\n" for i in range(16))
EDGES = "a,b\n" + "".join(
    f"u{i},u{j}\n" for i in range(16) for j in (i + 1, i + 4) if j < 16 and (j != i + 1 or i % 4 != 3)
)


@dataclass(frozen=True)
class Reader:
    """A reader, through a command: `args(path)` runs it on the damaged file at `path`."""

    source: str  # the undamaged file in the base folder
    args: Callable[[str], list[str]]
    workspace: bool = False  # the command needs the base folder's workspace


def _catalogue_only(path: str) -> list[str]:
    """The catalogue through `score relevance` costs an embedding of every product once it reads
    (1.5 s an example): its reader is called as the command calls it, and BadInput is exit 2."""
    return ["<catalogue>", path]


READERS = {
    "plan": Reader("plan.yaml", lambda f: ["assign", f, "--accounts", "accounts.csv", "--out", "out.csv"]),
    "accounts": Reader(
        "accounts.csv", lambda f: ["assign", "plan.yaml", "--accounts", f, "--out", "out.csv"]
    ),
    "reps": Reader(
        "reps.csv",
        lambda f: ["assign", "plan.yaml", "--accounts", "accounts.csv", "--reps", f, "--out", "out.csv"],
    ),
    "leads": Reader(
        "leads.csv",
        lambda f: ["route", f, "--plan", "plan.yaml", "--reps", "reps.csv", "--out", "out.csv"],
        workspace=True,
    ),
    "availability": Reader(
        "availability.csv",
        lambda f: [
            *("route", "leads.csv", "--plan", "plan.yaml", "--reps", "reps.csv"),
            *("--availability", f, "--out", "out.csv"),
        ],
        workspace=True,
    ),
    "units": Reader("units.csv", lambda f: ["balance", "--units", f, "--k", "2", "--out", "out.csv"]),
    "edges": Reader(
        "edges.csv",
        lambda f: [
            *("balance", "--units", "units.csv", "--edges", f, "--k", "2", "--contiguous"),
            *("--metric", "calls=0.5", "--out", "out.csv"),
        ],
    ),
    "mapping": Reader(
        "mapping.yaml",
        lambda f: ["import", "accounts", "fortune.csv", "--mapping", f, "--rejects", "out.csv"],
        workspace=True,
    ),
    "catalogue": Reader("catalogue.yaml", _catalogue_only),
    "model": Reader("fit.model", lambda f: ["score", "apply", "leads.csv", "--model", f, "--out", "out.csv"]),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The undamaged files, a workspace with the accounts, and a model trained on lead history."""
    folder = tmp_path_factory.mktemp("fuzz-base")
    texts = {
        "plan.yaml": PLAN,
        "accounts.csv": ACCOUNTS,
        "reps.csv": REPS,
        "leads.csv": LEADS,
        "availability.csv": AVAILABILITY,
        "units.csv": UNITS,
        "edges.csv": EDGES,
    }
    for name, text in texts.items():
        (folder / name).write_text(text)
    shutil.copy(DATA / "crm" / "custom_accounts_mapping.yaml", folder / "mapping.yaml")
    shutil.copy(DATA / "crm" / "custom_accounts_fortune1000.csv", folder / "fortune.csv")
    shutil.copy(DATA / "relevance" / "catalogue.yaml", folder / "catalogue.yaml")
    history = "lead_id,visits,source,converted\n" + "".join(
        f"H{i},{i % 10},{['Referral', 'Ads', 'Organic'][i % 3]},{str(i % 10 > 4 or i % 3 == 0).lower()}\n"
        for i in range(120)
    )
    (folder / "history.csv").write_text(history)
    for args in (
        [
            *("score", "train", "--history", "history.csv", "--label", "converted"),
            *("--estimator", "logistic", "--out", "fit.model"),
        ],
        ["init"],
        ["import", "accounts", "accounts.csv"],
    ):
        done = run_cli(folder, *args)
        assert done.returncode == 0, (args, done.stderr)
    for reader in READERS.values():  # every reader's command works on the undamaged files
        done = _run(folder, reader.args(reader.source))
        assert done.returncode == 0, (reader.args(reader.source), done.stderr)
        (folder / "out.csv").unlink(missing_ok=True)
    return folder


def _run(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    if args[0] != "<catalogue>":
        return run_cli(folder, *args)
    try:
        load_catalogue(folder / args[1])
    except BadInput as problem:
        return subprocess.CompletedProcess(args, 2, "", str(problem))
    return subprocess.CompletedProcess(args, 0, "", "")


# ---- damage ---------------------------------------------------------------------------------


def _truncate(data: bytes, where: float) -> bytes:
    return data[: int(len(data) * where)]


def _random_bytes(data: bytes, where: float, noise: bytes) -> bytes:
    at = int(len(data) * where)
    return data[:at] + noise + data[at + len(noise) :]


def _huge_cell(data: bytes, where: float) -> bytes:
    """A cell of 300 KB inside the second line (a CRM description field), or at `where`."""
    lines = data.split(b"\n")
    if len(lines) > 2 and b"," in lines[1]:
        head, _, tail = lines[1].partition(b",")
        lines[1] = head + b',"' + b"x" * HUGE_CELL + b'",' + tail
        return b"\n".join(lines)
    at = int(len(data) * where)
    return data[:at] + b"y" * HUGE_CELL + data[at:]


def _deep_nesting(data: bytes, where: float) -> bytes:
    """500 nested parentheses in a rule, or brackets in YAML, or opening quotes in CSV."""
    at = int(len(data) * where)
    return data[:at] + b"(" * 500 + b"[" * 300 + b'"' * 3 + data[at:]


def _encoding(data: bytes, codec: str) -> bytes:
    text = data.decode("utf-8", errors="replace")
    if codec == "cp1252":
        return (text.replace("a", "é", 1)).encode("cp1252", errors="replace")
    if codec == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    return text.encode(codec)  # utf-16 (with a BOM), utf-16-le (without), utf-32


def _duplicate_header(data: bytes) -> bytes:
    first, sep, rest = data.partition(b"\n")
    column = first.split(b",")[0].split(b":")[0]
    return first + b"," + column + sep + rest


ENCODINGS = ["cp1252", "utf-8-sig", "utf-16", "utf-16-le", "utf-32"]


@st.composite
def damage(draw: st.DrawFn, model: bool) -> tuple[Callable[[bytes], bytes], str]:
    """One or two damages, and the file name ending to give the result."""
    where = draw(st.floats(0.0, 1.0))
    noise = draw(st.binary(min_size=1, max_size=64))
    kinds: dict[str, Callable[[bytes], bytes]] = {
        "truncate": lambda d: _truncate(d, where),
        "bytes": lambda d: _random_bytes(d, where, noise),
    }
    if not model:
        codec = draw(st.sampled_from(ENCODINGS))
        kinds |= {
            "huge cell": lambda d: _huge_cell(d, where),
            "nesting": lambda d: _deep_nesting(d, where),
            "encoding": lambda d: _encoding(d, codec),
            "duplicate header": _duplicate_header,
        }
    chosen = draw(st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=2))
    ending = draw(st.sampled_from(["", "", "", ".xlsx", ".parquet", ".json", ".txt"])) if not model else ""

    def apply(data: bytes) -> bytes:
        for kind in chosen:
            data = kinds[kind](data)
        return data[:10_000_000]

    return apply, ending


def _run_damaged(base: Path, reader: Reader, apply: Callable[[bytes], bytes], ending: str) -> None:
    folder = base / f"case-{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    for path in base.iterdir():
        if path.is_file() and not path.name.startswith("territorial.db"):
            (folder / path.name).symlink_to(path)
    if reader.workspace:
        for path in base.glob("territorial.db*"):
            shutil.copy(path, folder / path.name)
    name = f"damaged{Path(reader.source).suffix}{ending}"
    (folder / name).write_bytes(apply((base / reader.source).read_bytes()))
    before = {p.name for p in folder.iterdir()}
    result = _run(folder, reader.args(name))
    assert result.returncode in (0, 2), f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    if result.returncode == 2:
        # The workspace's own side files (SQLite's -wal and -shm) are not outputs.
        left = {p.name for p in folder.iterdir() if not p.name.startswith("territorial.db")} - before
        assert not left, f"a failed command left {sorted(left)} behind\n{result.stderr}"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")], "a temporary file was left"
    shutil.rmtree(folder)


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(max_examples=examples(20, 200))
@given(data=st.data())
def test_a_damaged_file_is_exit_0_or_2_and_leaves_no_output(
    base: Path, reader: str, data: st.DataObject
) -> None:
    apply, ending = data.draw(damage(model=reader == "model"))
    _run_damaged(base, READERS[reader], apply, ending)
