"""Load a plan YAML file into a `Plan`, reporting every problem with its file line."""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from territorial.domain.fields import FieldType, NullWords, canonical
from territorial.domain.plan import (
    DEFAULT_DUPLICATE_WINDOW_DAYS,
    DEFAULT_FALLBACK_QUEUE,
    DEFAULT_INQUIRY_FIELD,
    PRIMARY,
    Plan,
    Potential,
    RoutingSettings,
    Territory,
)
from territorial.domain.plan_checks import TABLE_COLUMNS, CheckOver, PlanCheck
from territorial.domain.rule_source import RuleSource
from territorial.errors import BadInput, Location, Problem, shown
from territorial.io.yaml_tree import (
    check_nesting,
    child,
    compose,
    construct,
    key_node,
    line_of,
    position,
    read_yaml_text,
)
from territorial.rules.ast import field_refs
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.types import check_rule

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
LAYER_PATTERN = r"^[a-z0-9_-]+$"
# Real plans are a handful of levels deep (region, area, district, territory); validation recurses
# once or more per level, and a 300-level tree exhausted pydantic's recursion guard.
MAX_TREE_DEPTH = 100


class TerritorySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    rule: str | None = None
    priority: int = Field(default=0, ge=-1_000_000_000, le=1_000_000_000)
    layer: str | None = Field(default=None, pattern=LAYER_PATTERN)
    reps: list[str] = Field(default_factory=list)
    manager: str | None = Field(default=None, min_length=1)
    lead_skills: list[str] = Field(default_factory=list)
    children: list[TerritorySpec] = Field(default_factory=list)


class PotentialSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    field: str | None = None
    model: str | None = Field(default=None, min_length=1)


class RoutingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    fit_model: str | None = Field(default=None, min_length=1)
    fit_threshold: int | None = Field(default=None, ge=0, le=100)
    catalogue: str | None = Field(default=None, min_length=1)
    relevance_threshold: float | None = Field(default=None, ge=0, le=1)
    inquiry_field: str = Field(default=DEFAULT_INQUIRY_FIELD, min_length=1)
    duplicate_window_days: int = Field(default=DEFAULT_DUPLICATE_WINDOW_DAYS, ge=0, le=3650)
    fallback_queue: str = Field(default=DEFAULT_FALLBACK_QUEUE, pattern=ID_PATTERN)
    customer: str | None = Field(default=None, min_length=1)
    cap_counts: Literal["round_robin", "all"] = "round_robin"
    crm_owner: Literal["keep", "reassign"] = "keep"


class CheckSpec(BaseModel):
    """One item of `checks:`; `assert` is a Python keyword, hence the alias."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    # Strict mode would refuse the YAML string for the enum.
    over: Annotated[CheckOver, Strict(False)]
    assert_: str = Field(alias="assert")


class PlanSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    # Enum values arrive as YAML strings; strict mode would refuse them.
    fields: dict[str, Annotated[FieldType, Strict(False)]] = Field(default_factory=dict)
    workload: str | None = None
    # A field name, or {model: FILE} for a trained regression model's output.
    potential: str | PotentialSpec | None = None
    routing: RoutingSpec = Field(default_factory=RoutingSpec)
    # Cell values read as empty in every column (NullWords), and whether N/A, null, - and the like
    # are empty in number, date and boolean columns.
    null_words: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    default_null_words: bool = True
    territories: list[TerritorySpec] = Field(min_length=1)
    checks: list[CheckSpec] = Field(default_factory=list)


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "missing": "this key",
    "enum": "one of string, number, boolean, date",
    "too_short": "at least one territory",
    "float_type": "a number",
    "bool_type": "true or false",
    "model_type": "a mapping",
}


_BOUNDS = {
    "fit_threshold": ("0", "100"),
    "relevance_threshold": ("0", "1"),
    "duplicate_window_days": ("0", "3650"),
}


def load_plan(path: str | Path) -> Plan:
    return parse_plan(read_yaml_text(path, "plan file"), str(path))


def parse_plan(text: str, file: str = "<plan>") -> Plan:
    tree = compose(text, file, "name, fields and territories", nesting=False)
    _check_depth(tree, file)
    check_nesting(tree, file)
    data = construct(tree, file, "name, fields and territories")
    try:
        spec = PlanSpec.model_validate(data)
    except ValidationError as err:
        raise BadInput([_validation_problem(e, tree, file) for e in err.errors()]) from None
    return _Builder(tree, file, tuple(text.splitlines())).build(spec)


def _check_depth(tree: MappingNode, file: str) -> None:
    """Refuse a tree of children deeper than MAX_TREE_DEPTH before anything recurses into it."""
    stack = [(child(tree, "territories"), 1)]
    while stack:
        territories, depth = stack.pop()
        if not isinstance(territories, SequenceNode):
            continue
        for node in territories.value:
            if depth > MAX_TREE_DEPTH:
                id_node = child(node, "id")
                raise BadInput.at(
                    f"plan trees are at most {MAX_TREE_DEPTH} levels deep; this territory is level {depth}",
                    file,
                    line_of(node),
                    subject=str(id_node.value) if isinstance(id_node, ScalarNode) else None,
                )
            stack.append((child(node, "children"), depth + 1))


def _validation_problem(error: Any, tree: Any, file: str) -> Problem:
    loc = tuple(error["loc"])
    line, column, territory = position(tree, loc)
    key = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        section = loc[0] if len(loc) > 1 else None
        allowed = {
            "territories": TerritorySpec.model_fields,
            "routing": RoutingSpec.model_fields,
            "potential": PotentialSpec.model_fields,
            "checks": {field.alias or name: field for name, field in CheckSpec.model_fields.items()},
        }.get(str(section), PlanSpec.model_fields)
        close = [k for k in allowed if _similar(str(loc[-1]), k)]
        if close:
            message += f"; did you mean '{close[0]}'?"
    elif kind == "string_pattern_mismatch" and loc[-1] == "id":
        message = f"territory id {shown(error['input'])} must match [A-Za-z0-9_.:-]+"
    elif kind == "string_pattern_mismatch" and loc[-1] == "layer":
        message = f"layer {shown(error['input'])} must match [a-z0-9_-]+ (lower case)"
    elif kind == "missing":
        message = f"missing required key '{loc[-1]}'"
    elif kind == "enum" and loc[-1] == "over":
        message = f"over: expected one of plan, territory, rep, got {shown(error.get('input'))}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        low, high = _BOUNDS.get(str(loc[-1]), ("-1,000,000,000", "1,000,000,000"))
        kind_of = "a number" if loc[-1] == "relevance_threshold" else "a whole number"
        message = f"{loc[-1]}: expected {kind_of} from {low} to {high}, got {shown(error.get('input'))}"
    elif loc and loc[0] == "potential":
        got = shown(error.get("input"))
        message = f"potential: expected a field name or a mapping with 'model', got {got}"
    else:
        expected = _EXPECTED.get(kind, error["msg"])
        if kind == "literal_error":  # pydantic's "Input should be 'a' or 'b'": the choices alone
            expected = "one of " + str(error.get("ctx", {}).get("expected", "")).replace("' or '", "', '")
        name = loc[-1] if isinstance(loc[-1], str) else key
        message = f"{name}: expected {expected}, got {shown(error.get('input'))}{_quote_hint(error)}"
    return Problem(Location(file, line, column, territory), message)


def _quote_hint(error: Any) -> str:
    """An id of digits (a HubSpot or NetSuite id, a rep's employee number) that YAML read as a number."""
    value = error.get("input")
    if error["type"] != "string_type" or isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    written = f" '{value}'" if isinstance(value, int) else ""
    return (
        f"; put it in quotes{written}: YAML reads a value of digits as a number "
        "(HubSpot's ids are all digits)"
    )


def _similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.7


class _Builder:
    def __init__(self, tree: MappingNode, file: str, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.tree = tree
        self.file = file
        self.problems: list[Problem] = []
        self.territories: list[Territory] = []
        self.seen: dict[str, int] = {}

    def build(self, spec: PlanSpec) -> Plan:
        field_lines = {}
        fields: dict[str, FieldType] = {}
        raw_fields = child(self.tree, "fields")
        for name, ftype in spec.fields.items():
            key = canonical(name)
            written = key_node(raw_fields, name)
            line = line_of(written) if written is not None else 1
            if key in fields:
                self.problem(line, None, None, f"field '{name}' is declared twice (names ignore case)")
            fields[key] = ftype
            field_lines[key] = line
        roots = child(self.tree, "territories")
        assert isinstance(roots, SequenceNode)
        for root, raw in zip(spec.territories, roots.value, strict=True):
            self.add(root, raw, parent=None, layer=root.layer or PRIMARY, depth=0)
        workload_key = key_node(self.tree, "workload")
        workload_line = line_of(workload_key) if workload_key is not None else None
        potential = self.potential(spec.potential)
        routing_key = key_node(self.tree, "routing")
        routing_node = child(self.tree, "routing")
        routing = RoutingSettings(
            **spec.routing.model_dump(exclude={"customer"}),
            **self.customer_rule(spec.routing.customer, routing_node),
            line=line_of(routing_key) if routing_key is not None else None,
            key_lines={
                str(key.value): line_of(key)
                for key, _ in (routing_node.value if routing_node is not None else [])
            },
        )
        checks = self.checks(spec.checks, potential)
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
            potential=potential,
            routing=routing,
            null_words=NullWords(tuple(spec.null_words), spec.default_null_words),
            checks=checks,
        )

    def customer_rule(self, text: str | None, routing: Node | None) -> dict[str, Any]:
        """`routing.customer`, parsed and located: a rule over the matched account's fields."""
        if text is None:
            return {}
        assert isinstance(routing, MappingNode)
        source = self.rule_source(routing, text, "customer")
        try:
            return {"customer": parse_rule(text), "customer_source": source}
        except RuleError as err:
            line, column = source.position(err.pos)
            self.problem(line, column, "routing.customer", f"bad rule: {err.message}")
            return {}

    def checks(self, specs: list[CheckSpec], potential: Potential | None) -> tuple[PlanCheck, ...]:
        """Each check's rule parsed and checked against its table's columns, located in the file."""
        nodes = child(self.tree, "checks")
        checks: list[PlanCheck] = []
        seen: dict[str, int] = {}
        for index, spec in enumerate(specs):
            raw = child(nodes, index)
            assert isinstance(raw, MappingNode)
            line = line_of(raw)
            if spec.name in seen:
                self.problem(line, None, spec.name, f"a check of this name is on line {seen[spec.name]}")
            seen.setdefault(spec.name, line)
            source = self.rule_source(raw, spec.assert_, "assert")
            try:
                rule = parse_rule(spec.assert_)
                check_rule(rule, TABLE_COLUMNS[spec.over])
            except RuleError as err:
                at_line, column = source.position(err.pos)
                message = _column_hint(err.message, spec.over)
                self.problem(at_line, column, spec.name, f"bad assert: {message}")
                continue
            reads_potential = [ref for ref in field_refs(rule) if ref.name == "potential"]
            if potential is None and reads_potential:
                at_line, column = source.position(reads_potential[0].pos)
                self.problem(at_line, column, spec.name, "reads potential, but the plan sets no `potential:`")
            checks.append(PlanCheck(spec.name, spec.over, rule, source, line))
        return tuple(checks)

    def potential(self, spec: str | PotentialSpec | None) -> Potential | None:
        key = key_node(self.tree, "potential")
        if spec is None or key is None:
            return None
        line = line_of(key)
        if isinstance(spec, str):
            return Potential(field=canonical(spec), model=None, line=line)
        if (spec.field is None) == (spec.model is None):
            self.problem(line, None, None, "potential: give either a field name or a model file, not both")
            return None
        return Potential(field=canonical(spec.field) if spec.field else None, model=spec.model, line=line)

    def problem(self, line: int | None, column: int | None, subject: str | None, message: str) -> None:
        self.problems.append(Problem(Location(self.file, line, column, subject), message))

    def add(self, spec: TerritorySpec, raw: MappingNode, parent: str | None, layer: str, depth: int) -> None:
        line = line_of(raw)
        if spec.id in self.seen:
            self.problem(
                line, None, spec.id, f"duplicate territory id (first defined on line {self.seen[spec.id]})"
            )
        else:
            self.seen[spec.id] = line
        if parent is not None and spec.layer is not None and spec.layer != layer:
            layer_key = key_node(raw, "layer")
            key_line = line_of(layer_key) if layer_key is not None else line
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
        if len(set(spec.lead_skills)) != len(spec.lead_skills):
            self.problem(line, None, spec.id, "a field is listed twice in lead_skills")
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
                manager=spec.manager,
                lead_skills=tuple(canonical(name) for name in spec.lead_skills),
            )
        )
        children_raw = child(raw, "children")
        for index, sub in enumerate(spec.children):
            sub_node = child(children_raw, index)
            assert isinstance(sub_node, MappingNode)
            self.add(sub, sub_node, spec.id, layer, depth + 1)

    def rule_source(self, raw: MappingNode, text: str, key: str = "rule") -> RuleSource:
        node = child(raw, key)
        assert node is not None
        line, column = int(node.start_mark.line), int(node.start_mark.column)
        # A quoted scalar's text starts one column after its opening quote; a block scalar
        # (rule: >) starts on the next line (RuleSource finds the exact spot).
        style = getattr(node, "style", None)
        if style in ("'", '"'):
            column += 1
        elif style in ("|", ">"):
            line += 1
            column = 0
        return RuleSource(text=text, line=line + 1, column=column + 1, file_lines=self.lines)

    def with_children(self) -> list[Territory]:
        children: dict[str, list[str]] = {}
        for t in self.territories:
            if t.parent is not None:
                children.setdefault(t.parent, []).append(t.id)
        return [
            Territory(**{**t.__dict__, "children": tuple(children.get(t.id, ()))}) for t in self.territories
        ]


def _column_hint(message: str, over: CheckOver) -> str:
    """A rule error in a check, in the words of its table: a figure of another table is named as
    such, and an unknown one lists the table's columns."""
    if not message.startswith("unknown field '"):
        return message
    name = message.split("'")[1]
    columns = TABLE_COLUMNS[over]
    if any(name in TABLE_COLUMNS[other] for other in CheckOver):
        tables = ", ".join(str(other) for other in CheckOver if name in TABLE_COLUMNS[other])
        return f"over: {over} has no column '{name}' (it is a column of over: {tables})"
    close = get_close_matches(name, list(columns), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"over: {over} has no column '{name}'; {hint}its columns are {', '.join(columns)}"
