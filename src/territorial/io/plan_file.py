"""Load a plan YAML file into a `Plan`, reporting every problem with its file line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from territorial.domain.fields import FieldType, canonical
from territorial.domain.plan import PRIMARY, Plan, RuleSource, Territory
from territorial.errors import BadInput, Location, Problem
from territorial.rules.parser import RuleError, parse_rule

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
LAYER_PATTERN = r"^[a-z0-9_-]+$"


class TerritorySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    rule: str | None = None
    priority: int = 0
    layer: str | None = Field(default=None, pattern=LAYER_PATTERN)
    reps: list[str] = Field(default_factory=list)
    children: list[TerritorySpec] = Field(default_factory=list)


class PlanSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    # Enum values arrive as YAML strings; strict mode would refuse them.
    fields: dict[str, Annotated[FieldType, Strict(False)]] = Field(default_factory=dict)
    workload: str | None = None
    territories: list[TerritorySpec] = Field(min_length=1)


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "missing": "this key",
    "enum": "one of string, number, boolean, date",
    "too_short": "at least one territory",
}


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput.at("plan file not found", str(path)) from None
    except (UnicodeDecodeError, IsADirectoryError) as err:
        raise BadInput.at(f"cannot read the plan: {err}", str(path)) from None
    return parse_plan(text, str(path))


def parse_plan(text: str, file: str = "<plan>") -> Plan:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise BadInput.at(f"YAML syntax error: {err.problem or err.context}", file, line, column) from None
    if not isinstance(tree, CommentedMap):
        raise BadInput.at("expected a mapping with name, fields and territories", file, 1)
    try:
        spec = PlanSpec.model_validate(_plain(tree))
    except ValidationError as err:
        raise BadInput([_validation_problem(e, tree, file) for e in err.errors()]) from None
    return _Builder(tree, file, tuple(text.splitlines())).build(spec)


def _plain(node: Any) -> Any:
    """ruamel's round-trip types, as plain dicts and lists (their line numbers stay on `tree`)."""
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _node_line(tree: Any, loc: tuple[int | str, ...]) -> tuple[int | None, int | None, str | None]:
    """Line and column of the deepest YAML node along a pydantic error path, and the territory id."""
    node = tree
    line: int | None = 1
    column: int | None = None
    territory: str | None = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, column = node.lc.key(key)[0] + 1, node.lc.key(key)[1] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line, column = node.lc.item(key)[0] + 1, node.lc.item(key)[1] + 1
            node = node[key]
        else:
            break
        if isinstance(node, CommentedMap) and "id" in node and isinstance(node.get("id"), str):
            territory = node["id"]
    return line, column, territory


def _validation_problem(error: Any, tree: Any, file: str) -> Problem:
    loc = tuple(error["loc"])
    line, column, territory = _node_line(tree, loc)
    key = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        allowed = TerritorySpec.model_fields if "territories" in loc else PlanSpec.model_fields
        close = [k for k in allowed if _similar(str(loc[-1]), k)]
        if close:
            message += f"; did you mean '{close[0]}'?"
    elif kind == "string_pattern_mismatch" and loc[-1] == "id":
        message = f"territory id {error['input']!r} must match [A-Za-z0-9_.:-]+"
    elif kind == "string_pattern_mismatch" and loc[-1] == "layer":
        message = f"layer {error['input']!r} must match [a-z0-9_-]+ (lower case)"
    elif kind == "missing":
        message = f"missing required key '{loc[-1]}'"
    else:
        expected = _EXPECTED.get(kind, error["msg"])
        message = (
            f"{loc[-1] if isinstance(loc[-1], str) else key}: expected {expected}, got {error.get('input')!r}"
        )
    return Problem(Location(file, line, column, territory), message)


def _similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.7


class _Builder:
    def __init__(self, tree: CommentedMap, file: str, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.tree = tree
        self.file = file
        self.problems: list[Problem] = []
        self.territories: list[Territory] = []
        self.seen: dict[str, int] = {}

    def build(self, spec: PlanSpec) -> Plan:
        field_lines = {}
        fields: dict[str, FieldType] = {}
        raw_fields = self.tree.get("fields") or {}
        for name, ftype in spec.fields.items():
            key = canonical(name)
            line = raw_fields.lc.key(name)[0] + 1 if isinstance(raw_fields, CommentedMap) else 1
            if key in fields:
                self.problem(line, None, None, f"field '{name}' is declared twice (names ignore case)")
            fields[key] = ftype
            field_lines[key] = line
        for index, (root, raw) in enumerate(zip(spec.territories, self.tree["territories"], strict=True)):
            line = self.tree["territories"].lc.item(index)[0] + 1
            self.add(root, raw, line, parent=None, layer=root.layer or PRIMARY, depth=0)
        workload_line = self.tree.lc.key("workload")[0] + 1 if "workload" in self.tree else None
        if self.problems:
            raise BadInput(self.problems)
        ordered = self.with_children()
        return Plan(
            name=spec.name,
            fields=fields,
            workload=canonical(spec.workload) if spec.workload else None,
            territories=tuple(ordered),
            file=self.file,
            field_lines=field_lines,
            workload_line=workload_line,
        )

    def problem(self, line: int | None, column: int | None, subject: str | None, message: str) -> None:
        self.problems.append(Problem(Location(self.file, line, column, subject), message))

    def add(
        self, spec: TerritorySpec, raw: CommentedMap, line: int, parent: str | None, layer: str, depth: int
    ) -> None:
        if spec.id in self.seen:
            self.problem(
                line, None, spec.id, f"duplicate territory id (first defined on line {self.seen[spec.id]})"
            )
        else:
            self.seen[spec.id] = line
        if parent is not None and spec.layer is not None and spec.layer != layer:
            key_line = raw.lc.key("layer")[0] + 1
            self.problem(
                key_line,
                None,
                spec.id,
                f"layer '{spec.layer}' differs from its parent's layer '{layer}'; "
                "set layer only on root territories (children inherit it)",
            )
        rule = None
        source = None
        if spec.rule is not None:
            source = self.rule_source(raw, spec.rule)
            try:
                rule = parse_rule(spec.rule)
            except RuleError as err:
                rline, rcol = source.position(err.pos)
                self.problem(rline, rcol, spec.id, f"bad rule: {err.message}")
        if len(set(spec.reps)) != len(spec.reps):
            self.problem(line, None, spec.id, "a rep is listed twice in reps")
        self.territories.append(
            Territory(
                id=spec.id,
                name=spec.name or spec.id,
                rule=rule,
                source=source,
                priority=spec.priority,
                layer=layer,
                reps=tuple(spec.reps),
                parent=parent,
                depth=depth,
                order=len(self.territories),
                children=(),
                line=line,
            )
        )
        children_raw: Any = raw.get("children") or []
        for index, child in enumerate(spec.children):
            child_line = children_raw.lc.item(index)[0] + 1
            self.add(child, children_raw[index], child_line, spec.id, layer, depth + 1)

    def rule_source(self, raw: CommentedMap, text: str) -> RuleSource:
        line, column = raw.lc.value("rule")
        value = raw["rule"]
        # A quoted scalar's text starts one column after its opening quote; a block scalar
        # (rule: >) starts on the next line, indented under its key.
        if isinstance(value, SingleQuotedScalarString | DoubleQuotedScalarString):
            column += 1
        elif isinstance(value, LiteralScalarString | FoldedScalarString):
            line += 1
            column = raw.lc.col + 2
        return RuleSource(text=text, line=line + 1, column=column + 1, file_lines=self.lines)

    def with_children(self) -> list[Territory]:
        children: dict[str, list[str]] = {}
        for t in self.territories:
            if t.parent is not None:
                children.setdefault(t.parent, []).append(t.id)
        return [
            Territory(**{**t.__dict__, "children": tuple(children.get(t.id, ()))}) for t in self.territories
        ]
