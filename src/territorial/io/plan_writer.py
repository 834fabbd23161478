"""Plan files as Territorial writes them: a generated plan's territory tree, or a draft plan from a
balance; byte for byte the same for the same input."""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from territorial.rules.ast import Expr, literals_of
from territorial.rules.text import to_lines

WIDTH = 100  # a draft plan's rule lines break between list items at about this many characters


@dataclass
class Territory:
    """One node of a plan as it will be written; empty fields are left out of the YAML."""

    id: str
    name: str | None = None
    layer: str | None = None
    rule: str | None = None
    priority: int = 0
    reps: tuple[str, ...] | None = None  # None: no reps key; (): a vacant territory
    children: list["Territory"] = field(default_factory=list)

    def walk(self) -> Iterator["Territory"]:
        yield self
        for child in self.children:
            yield from child.walk()


# Plain scalars that a YAML 1.1 or 1.2 reader would turn into something other than a string.
NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL
    | y | Y | yes | Yes | YES | n | N | no | No | NO | true | True | TRUE | false | False | FALSE
    | on | On | ON | off | Off | OFF | =
    | [-+]?(\.[0-9]+|[0-9][0-9_,]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?   # numbers
    | [-+]?0[xXoObB][0-9a-fA-F_]+ | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?   # hex, octal, base 60
    | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?   # dates and timestamps
    """
)
FLOW_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")


def yaml_string(text: str) -> str:
    """`text` as a block YAML scalar: plain if that reads back as the same string, else single-quoted."""
    plain = (
        text != ""
        and text == text.strip()
        and text[0] not in "-?:,[]{}#&*!|>'\"%@`"
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text.isprintable()
        and not NOT_A_STRING.fullmatch(text)
    )
    return text if plain else single_quoted(text)


def flow_string(text: str) -> str:
    """`text` as an item of a flow list ([a, b]), where commas and brackets also need quotes."""
    if FLOW_SAFE.fullmatch(text) and not NOT_A_STRING.fullmatch(text) and not text.endswith(":"):
        return text
    return single_quoted(text)


def single_quoted(text: str) -> str:
    if not text.isprintable():
        raise ValueError(f"cannot write a plan string with control characters: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def territory_lines(territory: Territory, indent: str) -> Iterator[str]:
    """The YAML lines of one list item ("- id: ...") and its subtree."""
    keys: list[tuple[str, str]] = [("id", yaml_string(territory.id))]
    if territory.name is not None:
        keys.append(("name", yaml_string(territory.name)))
    if territory.layer is not None:
        keys.append(("layer", yaml_string(territory.layer)))
    if territory.rule is not None:
        keys.append(("rule", yaml_string(territory.rule)))
    if territory.priority:
        keys.append(("priority", str(territory.priority)))
    if territory.reps is not None:
        keys.append(("reps", "[" + ", ".join(flow_string(rep) for rep in territory.reps) + "]"))
    for position, (key, value) in enumerate(keys):
        yield f"{indent}{'- ' if position == 0 else '  '}{key}: {value}"
    if territory.children:
        yield f"{indent}  children:"
        for child in territory.children:
            yield from territory_lines(child, indent + "    ")


def plan_yaml(name: str, fields: dict[str, str], territories: list[Territory]) -> str:
    """The whole plan file: name, fields (in the given order) and the territory forest."""
    field_map = ", ".join(f"{flow_string(key)}: {flow_string(kind)}" for key, kind in fields.items())
    lines = [f"name: {yaml_string(name)}", f"fields: {{{field_map}}}", "territories:"]
    for territory in territories:
        lines.extend(territory_lines(territory, "  "))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DraftEntry:
    """One territory of a draft plan: what it holds (a comment above it), its rep and its rule."""

    id: str
    rep_id: str | None
    summary: str
    rule: Expr
    name: str | None = None


def draft_plan_yaml(
    header: Sequence[str],
    entries: Sequence[DraftEntry],
    string_fields: Sequence[str],
    name: str = "Draft from territorial balance",
    workload: str | None = None,
) -> str:
    """The draft plan file: comment lines, the name, the fields declared as text, the workload and
    the territories, each rule over lines of about WIDTH characters in a folded scalar."""
    lines = [*(f"# {line}" for line in header), f"name: {yaml_string(name)}"]
    if string_fields:
        lines.append("fields: {" + ", ".join(f"{flow_string(f)}: string" for f in string_fields) + "}")
    if workload is not None:
        lines.append(f"workload: {yaml_string(workload)}")
    lines.append("territories:")
    for entry in entries:
        lines += [f"  # {entry.id}: {entry.summary}", f"  - id: {yaml_string(entry.id)}"]
        if entry.name is not None:
            lines.append(f"    name: {yaml_string(entry.name)}")
        if entry.rep_id is not None:
            lines.append(f"    reps: [{flow_string(entry.rep_id)}]")
        lines.append("    rule: >-")
        lines += ["      " + line for line in rule_lines(entry.rule)]
    return "\n".join(lines) + "\n"


def rule_lines(rule: Expr) -> list[str]:
    """The rule over lines of about WIDTH characters; a text no plan can hold is refused."""
    for _field, literal in literals_of(rule):
        if isinstance(literal.value, str):
            single_quoted(literal.value)
    return to_lines(rule, WIDTH)
