"""Every README command on the demo data and `tests/data` gives the stdout, files and exit code it
gave before the service-layer rework (the corpus recorded by `record.py` at f804ccf)."""

from __future__ import annotations

import csv
import difflib
import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from golden_corpus import CORPUS, SCRIPTS, load, normalise, prepare, run_script

from conftest import run_process

DRAFT_HEADER = [
    "# A draft plan written by `territorial balance --plan-out`: each territory takes the accounts",
    "# of its states (less their ZIP codes listed as going elsewhere) and of its ZIP codes, except",
    "# those listed as going elsewhere, plus its named accounts.",
]
ALIGNMENT_HEADER = ["id,territory_id,rep_id,moved"]
DRAFT_NAMED_BY_REPS = [
    *DRAFT_HEADER,
    "# 5 territories, 0 ZIP codes, 6 named accounts.",
    "name: Draft from territorial balance",
    "fields: {postal_code: string}",
    "territories:",
    *(
        line
        for rep, name, count, accounts in (
            ("bob", "Bob", 1, "'A-4'"),
            ("cy", "Cy", 1, "'A-6'"),
            ("dee", "Dee", 1, "'A-5'"),
            ("jane", "Jane", 2, "'A-1', 'A-3'"),
            ("max", "Max", 1, "'A-2'"),
        )
        for line in (
            f"  # {rep}: {count} account{'s' if count > 1 else ''}, 0 ZIP codes, {count} named "
            f"account{'s' if count > 1 else ''}",
            f"  - id: {rep}",
            f"    name: {name}",
            f"    reps: [{rep}]",
            "    rule: >-",
            f"      account_id IN ({accounts})",
        )
    ),
    "",
]
DRAFT_NAMED_BY_CITIES = [
    *DRAFT_HEADER,
    "# 2 territories, 0 ZIP codes, 6 named accounts.",
    "# The alignment was balanced on the workload employees / 1000 + 1; a plan's workload must be one field.",
    "name: Draft from territorial balance",
    "territories:",
    "  # dee: 4 accounts, 0 ZIP codes, 4 named accounts",
    "  - id: dee",
    "    name: New York City – Austin (NY, TX)",
    "    reps: [dee]",
    "    rule: >-",
    "      account_id IN ('A-2', 'A-3', 'A-5', 'A-6')",
    "  # jane: 2 accounts, 0 ZIP codes, 2 named accounts",
    "  - id: jane",
    "    name: San Francisco – Seattle (CA, WA)",
    "    reps: [jane]",
    "    rule: >-",
    "      account_id IN ('A-1', 'A-4')",
    "",
]


# Steps whose behaviour changed on purpose since the corpus was recorded: (script, step) -> the
# fields that differ now, and why.
def _recorded_stdout(script: str, index: int, old: str, new: str, *more: tuple[str, str]) -> list[str]:
    """A recorded step's stdout with `old` written `new` (and each further pair): a change of
    wording only, or a whole line written anew."""
    steps = json.loads((CORPUS / f"{script}.json").read_text())
    lines = steps[index]["stdout"]
    for was, now in ((old, new), *more):
        lines = [line.replace(was, now) for line in lines]
    return lines


def _table_rows_in_order(lines: list[str], order: list[str], added: dict[str, str]) -> list[str]:
    """Recorded stdout whose table rows (`│ ...`, by the territory in their second cell) are now
    those of `order`, in that order: recorded rows, or rows `added`."""
    first = next(i for i, line in enumerate(lines) if line.startswith("│ "))
    end = next(i for i in range(first, len(lines)) if not lines[i].startswith("│ "))  # the first table
    rows = {line.split("│")[2].strip(): line for line in lines[first:end]}
    rows.update(added)
    return [*lines[:first], *(rows[territory] for territory in order), *lines[end:]]


# `territorial demo`'s summary past 40 territories: the largest, with ties in plan order, and every
# empty territory (#18 slice 5).
DEMO_TERRITORIES_SHOWN = [
    *("NAMED", "SOUTH-ATLANTIC.FL.SMB.G1", "SOUTH-ATLANTIC.FL.SMB.G4", "WEST-NORTH-CENTRAL.KS-NE.SMB"),
    *("WEST-SOUTH-CENTRAL.LA.SMB", "PACIFIC.OR.SMB", "EAST-SOUTH-CENTRAL.TN.SMB.G1"),
    *("SOUTH-ATLANTIC.FL.SMB.OTHER", "SOUTH-ATLANTIC.FL.SMB.G2", "EAST-NORTH-CENTRAL.IL-02.SMB.G1"),
    *("PACIFIC.WA.SMB.G1", "PACIFIC.CA-01.SMB.G1", "WEST-NORTH-CENTRAL.SD-ND-MO.SMB.OTHER"),
    *("MIDDLE-ATLANTIC.NY-02.SMB.G1", "MOUNTAIN.MT-CO-WY.SMB.G1", "EAST-NORTH-CENTRAL.MI.SMB.G1"),
    *("WEST-SOUTH-CENTRAL.OK.SMB", "WEST-SOUTH-CENTRAL.AR.MM-SMB", "EAST-NORTH-CENTRAL.IN.SMB.G1"),
    *("WEST-NORTH-CENTRAL.SD-ND-MO.SMB.G1", "MIDDLE-ATLANTIC.PA-01.SMB.G1", "SOUTH-ATLANTIC.NC.SMB.G1"),
    *("EAST-SOUTH-CENTRAL.MS-KY.SMB.G1", "MOUNTAIN.ID-UT-AZ.SMB.G2", "WEST-SOUTH-CENTRAL.TX-03.SMB.OTHER"),
    *("NEW-ENGLAND.NH-ME-VT-CT.SMB.G1", "MIDDLE-ATLANTIC.NJ.SMB.G1", "WEST-SOUTH-CENTRAL.TX-02.SMB.G1"),
    *("PACIFIC.CA-01.SMB.OTHER", "NEW-ENGLAND.NH-ME-VT-CT.SMB.OTHER", "EAST-SOUTH-CENTRAL.MS-KY.SMB.OTHER"),
    *("WEST-NORTH-CENTRAL.IA-MN.SMB.G1", "MIDDLE-ATLANTIC.PA-01.SMB.OTHER"),
    *("WEST-SOUTH-CENTRAL.TX-01.SMB.G2", "MIDDLE-ATLANTIC.NY-01.SMB.G1", "MOUNTAIN.MT-CO-WY.SMB.OTHER"),
    "EAST-NORTH-CENTRAL.IN.SMB.OTHER",
    *("PACIFIC.CA-02.SMB.G1", "SOUTH-ATLANTIC.FL.SMB.G3", "PACIFIC.AK.ENT"),
]
DEMO_EMPTY_TERRITORY = (
    f"│ primary │ {'PACIFIC.AK.ENT':<37} │ {'rep-0001':<29} │ {0:>8} │ {0:>8} │ {0:>11} │ {0:>4} │ {0:>12} │"
)

# #18 review: past 40 territories the summary shows the largest of every layer, so the overlays
# (industry-vertical, security) take 10 of the 39 rows the primary layer filled, and the layer
# column widens to their names.
DEMO_OVERLAYS = {
    name: f"│ {layer:<17} │ {name:<37} │ {reps:<29} │ {accounts:>8} │ {accounts:>8} │ {0:>11} │ {0:>4} │ "
    f"{skipped:>12} │"
    for layer, name, reps, accounts, skipped in (
        ("industry-vertical", "VERT.RETAIL", "rep-vrt-05", "3,643", 0),
        ("industry-vertical", "VERT.HEALTHCARE", "rep-vrt-01", "2,268", 0),
        ("industry-vertical", "VERT.FINSERV", "rep-vrt-02", "2,228", 0),
        ("industry-vertical", "VERT.MANUFACTURING", "rep-vrt-03", "1,094", 0),
        ("industry-vertical", "VERT.TECH-MEDIA", "rep-vrt-01;rep-vrt-06", "596", 0),
        ("industry-vertical", "VERT.PUBLIC-SECTOR", "rep-vrt-04", "425", 0),
        ("security", "SEC.SOUTH", "rep-sec-03;rep-sec-04", "1,192", "3,073"),
        ("security", "SEC.WEST", "rep-sec-04", "727", "1,839"),
        ("security", "SEC.MIDWEST", "rep-sec-02", "682", "1,662"),
        ("security", "SEC.NORTHEAST", "rep-sec-01;rep-sec-02", "574", "1,339"),
    )
}
DEMO_PRIMARY_SHOWN = [*DEMO_TERRITORIES_SHOWN[:29], "PACIFIC.AK.ENT"]


def _layer_column_widened(lines: list[str], extra: int) -> list[str]:
    """Recorded lines whose first table's first column (layer) is `extra` characters wider, its
    title centred over the wider table."""
    out, done = [], False
    for line in lines:
        if not done and line[:1] in ("┏", "┃", "┡", "│", "└"):
            done = line.startswith("└")
            cut = min(line.find(mark, 1) for mark in "┳┃╇│┴" if line.find(mark, 1) > 0)
            fill = line[cut - 1] if line[0] in "┏┡└" else " "
            line = line[:cut] + fill * extra + line[cut:]
        out.append(line)
    for top in [i for i, line in enumerate(out) if line.startswith("┏")][:1]:
        out[top - 1] = out[top - 1].strip().center(len(out[top]))
    return out


def _plans_with_states(script: str, index: int) -> list[str]:
    """A recorded `plan list` with the columns state and effective (#19) before created_at, every
    plan a draft with no effective day."""
    steps = json.loads((CORPUS / f"{script}.json").read_text())
    recorded = steps[index]["stdout"]
    added = {"┏": "━━━━━━━┳━━━━━━━━━━━┳", "┃": " state ┃ effective ┃", "┡": "━━━━━━━╇━━━━━━━━━━━╇"}
    added |= {"│": " draft │           │", "└": "───────┴───────────┴"}
    lines = []
    for line in recorded[1:]:
        if line and line[0] in added:
            cut = max(line.rfind(mark, 0, len(line) - 1) for mark in "┳┃╇│┴") + 1
            line = line[:cut] + added[line[0]] + line[cut:]
        lines.append(line)
    return [recorded[0].strip().center(len(lines[0])).rstrip().ljust(len(lines[0])), *lines]


def _recorded_without(script: str, index: int, name: str, marker: str) -> list[str]:
    """A recorded file's lines less those holding `marker`: a change that only drops rows."""
    steps = json.loads((CORPUS / f"{script}.json").read_text())
    return [line for line in steps[index]["files"][name] if marker not in line]


# #24 slice 4: a lead matched to an account whose owner cannot take it says so before its territory.
OWNER_BYPASSED = (
    ("L-5,routed,dee,EAST,A-2,,", "account A-2 has no owner; routed by territory instead: "),
    (
        "L-10,fallback,,SOUTH,A-3,,",
        "owner ghost of A-3 takes no leads (inactive or unknown); routed by territory instead: ",
    ),
)


def _owner_bypass_named(lines: list[str]) -> list[str]:
    """Recorded decision rows whose reason now starts with the matched owner passed over."""
    out = []
    for line in lines:
        for start, said in OWNER_BYPASSED:
            if line.startswith(start):
                line = start + said + line[len(start) :]
        out.append(line)
    return out


def _routed_again(lines: list[str], run: int) -> list[str]:
    """Decision rows as sending the same leads again gives them back (#24 slice 3): every lead
    keeps its stored decision, its reason saying which run made it."""
    rows = list(csv.reader(lines))
    reason = rows[0].index("reason")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        if row:
            writer.writerow(
                [f"already routed in run {run}: {v}" if i == reason else v for i, v in enumerate(row)]
            )
    return out.getvalue().split("\n")


FIRST_DECISIONS = _owner_bypass_named(
    json.loads((CORPUS / "routing.json").read_text())[4]["files"]["decisions.csv"]
)


def _recorded_up_to(script: str, index: int, prefix: str) -> list[str]:
    """A recorded stdout up to the first line starting with `prefix`, then an empty last line."""
    lines = json.loads((CORPUS / f"{script}.json").read_text())[index]["stdout"]
    return [*lines[: next(i for i, line in enumerate(lines) if line.startswith(prefix))], ""]


def _line_added_after(lines: list[str], prefix: str, line: str) -> list[str]:
    """Recorded lines with `line` after the first one that starts with `prefix`."""
    at = next(i for i, recorded in enumerate(lines) if recorded.startswith(prefix)) + 1
    return [*lines[:at], line, *lines[at:]]


# #20 slice 1: the demo imports a pipeline for its book, written beside it.
DEMO_PIPELINE = (
    "   Pipeline: 16,697 opportunities over two years with their stage history (demo/opportunities.csv)"
)
DEMO_PIPELINE_FILES = {
    "demo/opportunities.csv": {
        "sha256": "41111032265110daefe278c316242c2e0128582f25735814d67c3a5b4f33f2b8",
        "lines": 16698,
    },
    "demo/opportunity_history.csv": {
        "sha256": "184f9c43d2642d0208b4c353d89e9fee9825741c28649fc4f022d51acb0be32d",
        "lines": 57100,
    },
}

# The demo's output as #18 left it (see the "why" of ("demo", 0)).
DEMO_SUMMARY = _table_rows_in_order(
    _layer_column_widened(
        _recorded_stdout(
            "demo",
            0,
            "--out export-sf",
            "--out-dir export-sf",
            (
                "… 204 more territories (largest shown; --summary FILE has all)",
                "… 260 more territories not shown (shown: the largest of each layer and every "
                "empty one; --summary FILE lists all)",
            ),
        ),
        10,
    ),
    [*DEMO_PRIMARY_SHOWN, *DEMO_OVERLAYS],
    {"PACIFIC.AK.ENT": _layer_column_widened([DEMO_EMPTY_TERRITORY], 10)[0], **DEMO_OVERLAYS},
)
DEMO_FAIRNESS_HINT = (
    "     territorial --database-url sqlite:///demo/territorial.db fairness --measure "
    "workload,open_pipeline,bookings --period 2026Q4"
)

# #23 slice 1: the demo ends with the command that serves the web app and a demo login.
DEMO_WEB_LOGIN = [
    "The web app: territorial --database-url sqlite:///demo/territorial.db serve",
    "     then open http://127.0.0.1:8000/sign-in and sign in as demo, password territorial-demo "
    "(a planner; this demo workspace only)",
    "",
]

# #24 slice 4: the explained lead's account has no owner, and its reason now says so.
DEMO_BYPASS_NAMED = {
    "reason: territory EAST-NORTH-CENTRAL.IN.SMB.OTHER; round robin chose rep-0080": (
        "reason: account ACC-0007413 has no owner; routed by territory instead: "
        "territory EAST-NORTH-CENTRAL.IN.SMB.OTHER; round robin chose rep-0080"
    )
}

# #24 slice 5: training names the features it uses and those it leaves out, then prints each
# grade's share and conversion rate (grades relative to the history) and the suggested fit_threshold.
# The grades' meaning follows their table: as its title it wrapped over the table's width (#24 review).
SCORING_GRADES_AND_THRESHOLDS = [
    "                         Grades (out-of-fold)                         ",
    "┏━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓",
    "┃ grade ┃ lowest_score ┃ leads ┃ share ┃ converted ┃ conversion_rate ┃",
    "┡━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩",
    "│     A │           95 │    34 │ 0.113 │        31 │           0.912 │",
    "│     B │           73 │    59 │ 0.197 │        48 │           0.814 │",
    "│     C │           52 │    87 │ 0.290 │        56 │           0.644 │",
    "│     D │            0 │   120 │ 0.400 │        26 │           0.217 │",
    "└───────┴──────────────┴───────┴───────┴───────────┴─────────────────┘",
    "grades: A is the top 10% of the history's scores, B the next 20%, C the next 30%, D the rest",
    "    Suggested fit_threshold (leads scoring below it go to nurture)    ",
    "┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓",
    "┃ keep_converters ┃ fit_threshold ┃ converters_kept ┃ leads_nurtured ┃",
    "┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩",
    "│             90% │            28 │           0.901 │          0.310 │",
    "│             95% │            16 │           0.950 │          0.183 │",
    "│             99% │             4 │           0.994 │          0.013 │",
    "└─────────────────┴───────────────┴─────────────────┴────────────────┘",
]
SCORING_TRAINED = [
    *_line_added_after(
        _line_added_after(
            json.loads((CORPUS / "scoring.json").read_text())[0]["stdout"],
            "excluded: ",
            "features used: visits, source",
        ),
        "features used: ",
        "not used: lead_id: an identifier (unique in every row)",
    )[:-1],
    *SCORING_GRADES_AND_THRESHOLDS,
    "",
]

INTENDED: dict[tuple[str, int], dict[str, Any]] = {
    ("scoring", 0): {
        "stdout": SCORING_TRAINED,
        "why": "#24 slice 5: training prints the features used and those left out with why, each grade's "
        "observed conversion rate and the fit_threshold keeping 90/95/99% of converters",
    },
    ("scoring", 1): {
        "files": {
            "scored.csv": {
                "sha256": "6efd74783261714792cb7323e7f1755859edbcd27e7d145e28daeea127bd3e25",
                "lines": 301,
            }
        },
        "why": "#24 slice 5: grades are relative to the history (A its top 10%, B the next 20%, C the next "
        "30%), not fixed at 75/50/25; scores and reasons are unchanged",
    },
    ("workspace", 12): {
        "stdout": _plans_with_states("workspace", 12),
        "why": "#19 slice 1: plan list shows each plan's state and effective day; stored plans are drafts",
    },
    ("demo", 3): {
        "stdout": _plans_with_states("demo", 3),
        "why": "#19 slice 1: plan list shows each plan's state and effective day; stored plans are drafts",
    },
    ("demo", 0): {
        "stdout": [
            *(
                DEMO_BYPASS_NAMED.get(line, line)
                for line in _line_added_after(
                    _line_added_after(DEMO_SUMMARY, "import 1: ", DEMO_PIPELINE),
                    "     territorial --database-url sqlite:///demo/territorial.db route fairness",
                    DEMO_FAIRNESS_HINT,
                )
            ),
            *DEMO_WEB_LOGIN,
        ],
        "files": {
            "demo/balance/plan.yaml": {
                "lines": 826,
                "sha256": "ae04d03437b94b15849597d3a3f4a13f59fd27ee8faaaa2a71a0f81df63b5c76",
            },
            **DEMO_PIPELINE_FILES,
            # #24 slice 4: the reasons of leads whose matched account has no owner say so.
            "demo/lead_decisions.csv": {
                "lines": 2001,
                "sha256": "07238b8cc755a43ab86cc5d1ae7e6a2899dd41bae3c0613ff0cea2ed972f74c6",
            },
        },
        "why": "draft plan rules are rendered from their tree (rules/text.py): 3 of 24 rules lose "
        "redundant outer brackets, `((a OR b) AND account_id NOT IN (...))` is now "
        "`(a OR b) AND account_id NOT IN (...)`; every rule means the same. #17: a territory takes "
        "its states less their ZIP codes that go elsewhere (`state IN (...) AND postal_code NOT IN "
        "(...)`) where that is shorter than listing ZIP codes (1,102 lines, 107 KB, to 826 lines, "
        "75 KB), each territory has a `name:` (New South Memphis named as Memphis, boroughs of a city "
        "already named passed over), and the header says so. #18 slice 4: the hint at the end says "
        "--out-dir for export's folder. #18 slice 5: past 40 territories the summary lists every "
        "empty one (PACIFIC.AK.ENT: its rep won no account) in place of the 40th largest, with ties "
        "in plan order (they were in no set order), and counts every territory it leaves out (204 "
        "counted only those with accounts). #18 review: the summary shows the largest of each layer, "
        "so the overlays' 10 territories (2,268 accounts in VERT.HEALTHCARE) are no longer dropped "
        "for the primary layer's 30th to 39th largest. #20 slice 1: the demo writes a pipeline for its "
        "book (opportunities.csv, opportunity_history.csv) and imports it, saying so after the accounts' "
        "import, and its last hint names `fairness`. #24 slice 4: a lead whose matched account has no "
        "owner says so in its reason (the explained lead, and lead_decisions.csv). #23 slice 1: the "
        "demo ends with the command that serves the web app and a demo login",
    },
    ("routing", 4): {
        "files": {"decisions.csv": FIRST_DECISIONS},
        "why": "#24 slice 4: when a matched account's owner cannot take the lead (no owner, inactive, "
        "away or capped), the reason says so before the territory's",
    },
    ("routing", 7): {
        "files": {"decisions2.csv": _routed_again(FIRST_DECISIONS, 1)},
        "why": "#24 slice 3: routing is idempotent by lead id. Sending the same leads again keeps each "
        "lead's stored decision (marked `already routed in run 1`) rather than making every lead a "
        "duplicate of itself and queueing the fallback leads twice; `--reroute` routes them again",
    },
    ("routing", 8): {
        "stdout": _recorded_up_to("routing", 8, "lead L-1 on 2026-03-02: duplicate"),
        "why": "#24 slice 3: the second run stored no decision for L-1 (it was already routed), so "
        "`route explain --all` shows its one decision",
    },
    ("routing", 12): {
        "stdout": _routed_again(FIRST_DECISIONS, 1),
        "why": "#24 slice 3: the same leads sent again keep their stored decisions (see step 7)",
    },
    ("routing", 15): {
        "files": {
            "draft.yaml": DRAFT_NAMED_BY_REPS,
            "alignment.csv": [
                *ALIGNMENT_HEADER,
                *("A-1,jane,jane,false", "A-2,max,max,false", "A-3,jane,jane,true"),
                *("A-4,bob,bob,false", "A-5,dee,dee,false", "A-6,cy,cy,false", ""),
            ],
        },
        "why": "#17: each draft territory has a `name:`, its rep's name, and the header says a "
        "territory may take whole states (these accounts have no state worth a rule). A-3's "
        "owner is none of these reps: it changes rep whatever the answer, so it counts as moved "
        "(with a warning naming the owner)",
    },
    ("routing", 16): {
        "files": {
            "draft2.yaml": DRAFT_NAMED_BY_CITIES,
            "alignment2.csv": [
                *ALIGNMENT_HEADER,
                *("A-1,jane,jane,false", "A-2,dee,dee,false", "A-3,dee,dee,true"),
                *("A-4,jane,jane,true", "A-5,dee,dee,false", "A-6,dee,dee,true", ""),
            ],
        },
        "why": "#17: each draft territory has a `name:`, its largest cities where a tenth of its "
        "accounts are, boroughs of a city already named passed over (New York City – Brooklyn "
        "became New York City – Austin), as the reps file has no names, and the header says a "
        "territory may take whole states (one account a state here: naming them is shorter). "
        "A-3, A-4 and A-6 are owned by reps not in two_reps.csv: they count as moved",
    },
    ("workspace", 9): {
        "files": {
            "bad_numbers.rejects.csv": _recorded_without(
                "workspace", 9, "bad_numbers.rejects.csv", "Raytheon"
            )
        },
        "why": "#18 item 8: n/a in NumberOfEmployees is a null word, empty in a number column, so "
        "Raytheon is imported (its employees empty, the change recorded as null_word), not rejected",
    },
    ("tutorial", 1): {
        "stdout": [
            "1 account unassigned (no primary territory matches): 5 territories in 2 layers "
            "(primary, security)",
            "2 pairs of territories match the same accounts:",
            "  primary: AMER & NAMED: 1 account",
            "  primary: AMER-EAST & NAMED: 1 account",
            "5 accounts missed at least one territory only because a field was empty (the rule was UNKNOWN)",
            "",
        ],
        "why": "#18 slice 5 item 5: validate with accounts counts those that match no primary territory "
        "(the one `assign` leaves unassigned) instead of saying ok; it still exits 0 (3 with --strict)",
    },
    ("workspace", 15): {
        "files": {"export/owner_update_skipped.csv": ["account_id,territory_id,why", ""]},
        "why": "#18 slice 5 item 8: a CRM export lists the accounts its owner update leaves out for want "
        "of a rep (none here)",
    },
    ("demo", 1): {
        "files": {
            "export-sf/AccountOwnerUpdate.csv": {
                "sha256": "2fce2862ac5d317eff218581018c0696b163034c8f756b0e9645f7f5d7531f72",
                "lines": 4607,
            },
            "export-sf/owner_update_skipped.csv": {
                "sha256": "cc315ae962426e6e4b0ad675ef44f3c01cc9e2f0b323624522983a56ed680947",
                "lines": 682,
            },
        },
        "why": "#18 slice 5 item 8: the owner update holds only the accounts whose owner changes against "
        "the workspace's owner_id (19,319 rows to 4,606: the rest keep their owner), and "
        "owner_update_skipped.csv lists the 681 accounts in vacant or no territories it leaves out",
    },
    ("workspace", 20): {
        "exit_code": 0,
        "why": "`db upgrade` on an existing SQLite workspace works: WAL is set outside a transaction "
        "(it failed with 'cannot change into wal mode from within a transaction')",
    },
}


def _shown(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(line) for line in value]
    return json.dumps(value, indent=1, sort_keys=True).split("\n")


def differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]], script: str) -> list[str]:
    found = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        change = {k: v for k, v in INTENDED.get((script, index), {}).items() if k != "why"}
        want = {**want, **change, "files": {**want["files"], **change.get("files", {})}}
        where = f"step {index} `territorial {' '.join(want['argv'])}`"
        if got["exit_code"] != want["exit_code"]:
            found.append(f"{where}: exit code {got['exit_code']}, expected {want['exit_code']}")
        if got["stdout"] != want["stdout"]:
            diff = difflib.unified_diff(want["stdout"], got["stdout"], "expected", "actual", lineterm="")
            found.append(f"{where}: stdout differs\n" + "\n".join(list(diff)[:60]))
        if sorted(got["files"]) != sorted(want["files"]):
            found.append(f"{where}: wrote {sorted(got['files'])}, expected {sorted(want['files'])}")
        for name in sorted(set(got["files"]) & set(want["files"])):
            if got["files"][name] != want["files"][name]:
                diff = difflib.unified_diff(
                    _shown(want["files"][name]), _shown(got["files"][name]), "expected", "actual", lineterm=""
                )
                found.append(f"{where}: {name} differs\n" + "\n".join(list(diff)[:60]))
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_the_readme_commands_behave_as_recorded(script: Any, tmp_path: Path) -> None:
    expected = load(script.name)
    assert [s["argv"] for s in expected] == [shlex.split(line) for line in script.steps], (
        "the script changed: record the corpus again"
    )
    actual = run_script(script, tmp_path / "run")
    problems = differences(expected, actual, script.name)
    assert not problems, "\n\n".join(problems)


def test_the_real_command_prints_what_the_recorded_one_did(tmp_path: Path) -> None:
    """The corpus runs in-process; the installed command, as its own process, gives the same."""
    script = SCRIPTS[0]
    prepare(script, tmp_path)
    expected = load(script.name)
    for index in (5, 6, 8):  # assign to stdout, explain, a missing account (exit 2)
        result = run_process(tmp_path, *shlex.split(script.steps[index]))
        assert result.returncode == expected[index]["exit_code"], result.stderr
        assert normalise(result.stdout, tmp_path).split("\n") == expected[index]["stdout"]
