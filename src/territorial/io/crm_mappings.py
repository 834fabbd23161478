"""Column mappings of CRM imports: which file column fills which field of accounts, reps,
opportunities and leads, and which of a column's values set other fields (`values:`). Built in: `plain`
(our own field names), `salesforce`, `hubspot` and `crm-sales-opportunities` (Maven Analytics' sample)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import polars as pl
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from territorial.domain.entities import SCHEMAS, Entity, EntitySchema
from territorial.domain.fields import canonical
from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.io.tables import RawTable
from territorial.io.yaml_tree import compose, line_of, read_yaml_text

PLAIN = "plain"
SALESFORCE = "salesforce"
HUBSPOT = "hubspot"
CRM_SALES_OPPORTUNITIES = "crm-sales-opportunities"
BUILTIN_MAPPINGS = (PLAIN, SALESFORCE, HUBSPOT, CRM_SALES_OPPORTUNITIES)
_CRM_NAMES = {SALESFORCE: "Salesforce", HUBSPOT: "HubSpot"}

# A rep has one `name`; CRMs that export first and last names apart get them joined with a space.
FIRST_NAME, LAST_NAME = "first_name", "last_name"
NAME_PARTS = (FIRST_NAME, LAST_NAME)
_REP_NAME = "name"

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = ("entity", "extends", "columns", "alternatives", "ignore", "values")


@dataclass(frozen=True)
class FieldColumns:
    """One field and the file columns that may fill it, the preferred spelling first."""

    field: str
    headers: tuple[str, ...]
    line: int | None  # where the mapping file names it; None for built-in rules
    required: bool  # a custom mapping's own columns must be in the file; built-in ones may be absent


@dataclass(frozen=True)
class ValueMap:
    """Fields a column's values set: `deal_stage: {Won: {won: true, is_closed: true}}`. A value not
    listed leaves the fields as the columns fill them; None empties a field."""

    column: str
    cases: dict[str, dict[str, str | None]]  # the column's value (stripped) -> field -> new value
    line: int | None
    required: bool  # as FieldColumns.required

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for case in self.cases.values() for f in case))


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of one entity's file become its fields.

    Columns that no rule names are taken as a field when already named like one (any case), kept as
    custom fields under their canonical (stripped, lower-case) name for accounts, and rejected for the
    other entities unless listed in `ignore`.
    """

    name: str  # a built-in's name, or the mapping file's path
    entity: Entity
    rules: tuple[FieldColumns, ...]
    ignore: frozenset[str]  # canonical column names to drop
    file: str | None = None  # the mapping file; None for a built-in mapping
    values: tuple[ValueMap, ...] = ()

    @property
    def schema(self) -> EntitySchema:
        return SCHEMAS[self.entity]

    def rule_for(self, field: str) -> FieldColumns | None:
        return next((r for r in self.rules if r.field == field), None)

    def described(self) -> str:
        return f"the {self.name} mapping" if self.file is None else f"the mapping file {self.file}"


@dataclass
class MappedTable:
    """A file's rows under field names: core fields in schema order, then custom fields in file order.

    Cells are as read (CSV text, null when empty); typing and clean-up happen in `domain.normalize`.
    Rows keep their order, so `line_of` names the file line of a row.
    """

    frame: pl.DataFrame
    mapping: ColumnMapping
    raw: RawTable
    sources: dict[str, str]  # field -> the file column it came from, for messages about its values
    custom_fields: tuple[str, ...]
    ignored: tuple[str, ...] = ()  # file columns a built-in mapping passed over

    @property
    def entity(self) -> Entity:
        return self.mapping.entity

    @property
    def file(self) -> str:
        return self.raw.file

    def line_of(self, row: int) -> int:
        return self.raw.line_of(row)

    def __len__(self) -> int:
        return self.frame.height


def targets_of(entity: Entity) -> tuple[str, ...]:
    """The fields a mapping may fill for an entity (accounts also take custom field names)."""
    fields = tuple(SCHEMAS[entity].fields)
    return (*fields, *NAME_PARTS) if entity is Entity.REPS else fields


# ---- finding a mapping ------------------------------------------------------------------------


def mapping_for(spec: str | Path | None, entity: Entity | str) -> ColumnMapping:
    """The mapping that `--mapping` names: a built-in by name, else a mapping file; `plain` if None."""
    entity = _entity(entity)
    if spec is None:
        return builtin_mapping(PLAIN, entity)
    if isinstance(spec, str) and spec.strip().lower() in BUILTIN_MAPPINGS:
        return builtin_mapping(spec, entity)
    _refuse_misspelt_builtin(spec)
    return load_mapping(spec, entity)


def file_mapping(spec: str | Path | None, entity: Entity) -> ColumnMapping | None:
    """What a command's `--mapping` means for one of its files: a built-in name maps every file
    by its entity (accounts, reps, leads), a mapping file only the files of its own entity."""
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip().lower() in BUILTIN_MAPPINGS:
        return builtin_mapping(spec, entity)
    _refuse_misspelt_builtin(spec)
    mapping = load_mapping(spec)
    return mapping if mapping.entity is entity else None


def _refuse_misspelt_builtin(spec: str | Path) -> None:
    """`--mapping salesfroce`: a bare word that is no file and close to a built-in's name is a typo
    of that name, said as such rather than "mapping file not found"."""
    text = str(spec).strip()
    if Path(text).suffix or "/" in text or Path(text).exists():
        return
    close = get_close_matches(text.lower(), BUILTIN_MAPPINGS, n=1, cutoff=0.6)
    if close:
        raise BadInput.at(
            f"no mapping '{text}': did you mean the built-in '{close[0]}'? "
            f"(built-in: {', '.join(BUILTIN_MAPPINGS)}; else give a mapping file's path)",
            "--mapping",
        )


def builtin_mapping(name: str, entity: Entity | str) -> ColumnMapping:
    entity = _entity(entity)
    key = name.strip().lower()
    if key == PLAIN:
        return ColumnMapping(PLAIN, entity, (), frozenset())
    if key not in BUILTIN_MAPPINGS:
        known = ", ".join(BUILTIN_MAPPINGS)
        raise BadInput.at(f"unknown built-in mapping '{name}'; expected one of {known} or a mapping file")
    if not builtin_covers(key, entity):
        raise BadInput.at(
            f"the built-in mapping '{key}' has no mapping for {entity.value}", subject="--mapping"
        )
    text = _builtin_file(key, entity).read_text(encoding="utf-8")
    mapping = parse_mapping(text, f"<built-in {key} {entity.value}>")
    values = tuple(ValueMap(v.column, v.cases, None, required=False) for v in mapping.values)
    return ColumnMapping(key, entity, _as_builtin(mapping.rules), mapping.ignore, values=values)


def _builtin_file(key: str, entity: Entity) -> Traversable:
    return resources.files("territorial.io") / "mappings" / f"{key.replace('-', '_')}_{entity.value}.yaml"


def builtin_covers(key: str, entity: Entity) -> bool:
    """Whether a built-in mapping covers an entity (every one but plain is a file per entity)."""
    return key == PLAIN or _builtin_file(key, entity).is_file()


def _as_builtin(rules: tuple[FieldColumns, ...]) -> tuple[FieldColumns, ...]:
    # A CRM export need not hold every column a built-in knows: users pick the columns to export.
    return tuple(FieldColumns(r.field, r.headers, None, required=False) for r in rules)


def _entity(entity: Entity | str) -> Entity:
    return entity if isinstance(entity, Entity) else Entity(entity)


# ---- mapping files ----------------------------------------------------------------------------


def load_mapping(path: str | Path, entity: Entity | str | None = None) -> ColumnMapping:
    """Read a mapping file; with `entity`, it must be that entity's mapping."""
    return parse_mapping(read_yaml_text(path, "mapping file"), str(path), entity)


def parse_mapping(text: str, file: str = "<mapping>", entity: Entity | str | None = None) -> ColumnMapping:
    """Parse mapping YAML, reporting every problem with its line in `file`.

    ```yaml
    entity: accounts            # accounts, reps, opportunities or leads
    extends: salesforce         # optional: start from a built-in mapping and change it
    columns:                    # file column: field
      Account Number: account_id
      Region__c: region         # a custom field (accounts and reps only)
      Account Name: [name, parent_name]   # one column filling several fields
    alternatives:               # optional: other spellings of a column above, tried in order
      Account Number: [Acct No]
    ignore: [Internal Notes]    # columns to leave out
    values:                     # optional: fields a column's values set (~ empties a field)
      Stage: {Won: {won: true, is_closed: true}, Lost: {won: false, is_closed: true}}
    ```
    """
    # The mapping is built from the nodes so that column names stay exactly as written (YAML would
    # read `yes:` as true and `2021:` as a number).
    tree = compose(text, file, "the keys entity and columns")
    return _MappingReader(tree, file).read(None if entity is None else _entity(entity))


class _MappingReader:
    def __init__(self, tree: MappingNode, file: str) -> None:
        self.tree = tree
        self.file = file
        self.problems = ProblemLog()

    def problem(self, node: Node, message: str) -> None:
        self.problems.add(Problem(Location(self.file, line_of(node)), message))

    def read(self, wanted: Entity | None) -> ColumnMapping:
        sections = self.sections()
        entity = self.entity(sections.get("entity"), wanted)
        self.problems.raise_if_any()
        assert entity is not None
        base = self.base(sections.get("extends"), entity)
        rules = self.columns(sections.get("columns"), entity)
        self.alternatives(sections.get("alternatives"), rules)
        ignore = self.ignored(sections.get("ignore"), rules)
        values = self.value_maps(sections.get("values"), entity, ignore)
        self.problems.raise_if_any()
        own = tuple(rule for column_rules in rules.values() for rule in column_rules)
        mapping = ColumnMapping(self.file, entity, own, frozenset(ignore), self.file, values)
        return mapping if base is None else _extended(base, mapping)

    def sections(self) -> dict[str, tuple[Node, Node]]:
        found: dict[str, tuple[Node, Node]] = {}
        for key, value in self.tree.value:
            name = str(key.value)
            if name not in _KEYS:
                hint = _did_you_mean(name, _KEYS)
                self.problem(key, f"unknown key '{name}'; expected {', '.join(_KEYS)}{hint}")
            elif name in found:
                self.problem(key, f"'{name}' is given twice (first on line {line_of(found[name][0])})")
            else:
                found[name] = (key, value)
        if "entity" not in found:
            self.problem(self.tree, "missing the key 'entity' (accounts, reps, opportunities or leads)")
        if "columns" not in found and "extends" not in found:
            self.problem(self.tree, "missing the key 'columns' (file column: field)")
        return found

    def entity(self, section: tuple[Node, Node] | None, wanted: Entity | None) -> Entity | None:
        if section is None:
            return None
        node = section[1]
        names = [e.value for e in Entity]
        text = self.scalar(node, "entity")
        if text is None:
            return None
        if text.lower() not in names:
            hint = _did_you_mean(text.lower(), names)
            self.problem(node, f"unknown entity '{text}'; expected {', '.join(names)}{hint}")
            return None
        entity = Entity(text.lower())
        if wanted is not None and entity is not wanted:
            self.problem(
                node,
                f"this mapping is for {entity.value} (entity: {entity.value}), but {wanted.value} are "
                f"being imported; give a mapping file with entity: {wanted.value}",
            )
        return entity

    def base(self, section: tuple[Node, Node] | None, entity: Entity) -> ColumnMapping | None:
        if section is None:
            return None
        node = section[1]
        text = self.scalar(node, "extends")
        if text is None:
            return None
        if text.lower() not in BUILTIN_MAPPINGS:
            self.problem(node, f"unknown built-in mapping '{text}'; expected {', '.join(BUILTIN_MAPPINGS)}")
            return None
        return builtin_mapping(text, entity)

    def columns(self, section: tuple[Node, Node] | None, entity: Entity) -> dict[str, list[FieldColumns]]:
        """Rules by canonical column name, in file order; a column may fill several fields."""
        rules: dict[str, list[FieldColumns]] = {}
        if section is None:
            return rules
        node = section[1]
        if not isinstance(node, MappingNode):
            self.problem(node, "columns: expected a mapping of file column: field")
            return rules
        field_lines: dict[str, int] = {}
        for key, value in node.value:
            column = self.scalar(key, "a column name")
            targets = self.strings(value, f"the field for column '{key.value}'")
            if column is None or not targets:
                continue
            if not column.strip():
                self.problem(key, "a column name is empty")
                continue
            column_key = canonical(column)
            if column_key in rules:
                first = rules[column_key][0].line
                self.problem(
                    key, f"column '{column}' is listed twice (first on line {first}); names ignore case"
                )
                continue
            column_rules = []
            for target, target_node in targets:
                field = self.target(target, target_node, entity)
                if field is None:
                    continue
                if field in field_lines:
                    self.problem(
                        target_node,
                        f"field {field} is mapped twice (first on line {field_lines[field]}); "
                        "list other spellings of one column under alternatives",
                    )
                    continue
                field_lines[field] = line_of(key)
                column_rules.append(FieldColumns(field, (column.strip(),), line_of(key), required=True))
            if column_rules:
                rules[column_key] = column_rules
        return rules

    def target(self, target: str, node: Node, entity: Entity) -> str | None:
        """The field a mapping names, when the entity has it or may keep it as a custom field."""
        field = canonical(target)
        allowed = targets_of(entity)
        if not SCHEMAS[entity].allows_custom and field not in allowed:
            hint = _did_you_mean(field, allowed)
            self.problem(
                node, f"unknown {entity.value} field '{target}'{hint}; {entity.value} take no custom fields"
            )
            return None
        if field not in allowed and not _FIELD_NAME.match(field):
            self.problem(
                node,
                f"custom field name '{target}' must start with a letter and hold only letters, digits and _",
            )
            return None
        return field

    def value_maps(
        self, section: tuple[Node, Node] | None, entity: Entity, ignore: set[str]
    ) -> tuple[ValueMap, ...]:
        if section is None:
            return ()
        node = section[1]
        if not isinstance(node, MappingNode):
            self.problem(node, "values: expected a mapping of column: {value: {field: new value}}")
            return ()
        found: list[ValueMap] = []
        for key, cases_node in node.value:
            column = self.scalar(key, "a column name")
            if column is None:
                continue
            if canonical(column) in ignore:
                self.problem(key, f"column '{column}' is both ignored and given values")
                continue
            if not isinstance(cases_node, MappingNode):
                self.problem(
                    cases_node, f"values of '{column}': expected a mapping of value: {{field: new value}}"
                )
                continue
            cases: dict[str, dict[str, str | None]] = {}
            for value_node, sets_node in cases_node.value:
                value = self.scalar(value_node, f"a value of '{column}'")
                if value is None:
                    continue
                if not isinstance(sets_node, MappingNode):
                    self.problem(sets_node, f"'{column}' {value}: expected a mapping of field: new value")
                    continue
                sets: dict[str, str | None] = {}
                for field_node, new_node in sets_node.value:
                    name = self.scalar(field_node, "a field name")
                    field = None if name is None else self.target(name, field_node, entity)
                    if field is not None:
                        sets[field] = self.cell(new_node, f"the new {field}")
                cases[value.strip()] = sets
            found.append(ValueMap(column.strip(), cases, line_of(key), required=True))
        return tuple(found)

    def cell(self, node: Node, what: str) -> str | None:
        """A new value as text, the way a CSV cell reads (import types it); ~ or nothing: empty."""
        if isinstance(node, ScalarNode) and str(node.tag).endswith(":null"):
            return None
        if not isinstance(node, ScalarNode):
            self.problem(node, f"{what}: expected a value, found a {_kind(node)}")
            return None
        return str(node.value)

    def alternatives(self, section: tuple[Node, Node] | None, rules: dict[str, list[FieldColumns]]) -> None:
        if section is None:
            return
        node = section[1]
        if not isinstance(node, MappingNode):
            self.problem(node, "alternatives: expected a mapping of column: [other spellings]")
            return
        taken = set(rules)
        for key, value in node.value:
            column = self.scalar(key, "a column name")
            if column is None:
                continue
            column_rules = rules.get(canonical(column))
            if column_rules is None:
                self.problem(key, f"alternatives for '{column}', which is not listed under columns")
                continue
            spellings = self.strings(value, f"alternatives of '{column}'")
            added: list[str] = []
            for spelling, spelling_node in spellings:
                spelling_key = canonical(spelling)
                if spelling_key in taken:
                    self.problem(spelling_node, f"column '{spelling}' is already mapped")
                    continue
                taken.add(spelling_key)
                added.append(spelling.strip())
            rules[canonical(column)] = [
                FieldColumns(r.field, (*r.headers, *added), r.line, r.required) for r in column_rules
            ]

    def ignored(self, section: tuple[Node, Node] | None, rules: dict[str, list[FieldColumns]]) -> set[str]:
        ignore: set[str] = set()
        if section is None:
            return ignore
        mapped = {canonical(h) for rs in rules.values() for r in rs for h in r.headers}
        for column, node in self.strings(section[1], "ignore"):
            key = canonical(column)
            if key in mapped:
                self.problem(node, f"column '{column}' is both mapped and ignored")
            else:
                ignore.add(key)
        return ignore

    def scalar(self, node: Node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and str(node.tag).endswith(":null"):
            self.problem(node, f"{what}: expected a name, found nothing")
            return None
        if not isinstance(node, ScalarNode):
            self.problem(node, f"{what}: expected a name, found a {_kind(node)}")
            return None
        return str(node.value)

    def strings(self, node: Node, what: str) -> list[tuple[str, Node]]:
        """A list of names; a single name is taken as a list of one."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        found = []
        for item in items:
            text = self.scalar(item, what)
            if text is not None:
                found.append((text, item))
        return found


def _extended(base: ColumnMapping, own: ColumnMapping) -> ColumnMapping:
    """A built-in changed by a mapping file: the file's rules replace the built-in's for the same
    fields, and a column the file maps or ignores leaves the built-in's rules and ignore list."""
    own_fields = {r.field for r in own.rules}
    own_columns = {canonical(h) for r in own.rules for h in r.headers}
    kept = []
    for rule in base.rules:
        if rule.field in own_fields:
            continue
        headers = tuple(h for h in rule.headers if canonical(h) not in own_columns | own.ignore)
        if headers:
            kept.append(FieldColumns(rule.field, headers, rule.line, rule.required))
    ignore = (base.ignore - own_columns) | own.ignore
    own_values = {canonical(v.column) for v in own.values}
    values = (*(v for v in base.values if canonical(v.column) not in own_values), *own.values)
    return ColumnMapping(own.name, own.entity, (*kept, *own.rules), ignore, own.file, values)


def _kind(node: Node) -> str:
    return (
        "list" if isinstance(node, SequenceNode) else "mapping" if isinstance(node, MappingNode) else "value"
    )


def _did_you_mean(name: str, choices: tuple[str, ...] | list[str]) -> str:
    close = get_close_matches(name, list(choices), n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


# ---- applying a mapping -----------------------------------------------------------------------


def apply_mapping(raw: RawTable, mapping: ColumnMapping, keep_others: bool = False) -> MappedTable:
    """Rename the table's columns to fields as `mapping` says; every problem is reported at once.

    Maps the columns that `raw` holds, so read the whole file (no `columns=` subset). With
    `keep_others`, columns the mapping does not name stay, under their field name, whatever the
    entity: a command's file may carry what a model or a rule reads (a lead's `visits`).
    """
    schema = mapping.schema
    by_key = {canonical(c): c for c in raw.frame.columns}
    header_keys = [canonical(h) for h in raw.header] or list(by_key)
    problems: list[Problem] = []
    chosen: dict[str, str] = {}  # field -> file column
    used: set[str] = set()  # canonical names of the columns the rules account for
    unfound: set[str] = set()  # fields whose required column the file lacks
    for rule in mapping.rules:
        present = [by_key[canonical(h)] for h in rule.headers if canonical(h) in by_key]
        used.update(canonical(h) for h in rule.headers)
        if present:
            chosen[rule.field] = present[0]
        elif rule.required:
            problems.append(_unknown_mapping_column(rule, mapping, raw))
            unfound.add(rule.field)
    for value_map in mapping.values:
        used.add(canonical(value_map.column))
        if value_map.required and canonical(value_map.column) not in by_key:
            problems.append(
                Problem(
                    Location(mapping.file, value_map.line, None, value_map.column),
                    f"values for column '{value_map.column}': {raw.file} has no such column",
                )
            )
    targets = targets_of(mapping.entity)
    ignored: list[str] = []
    for key, column in by_key.items():
        if key in used or key in mapping.ignore:
            continue
        name = field_name(key)
        if name in chosen:
            problems.append(_clash(raw, header_keys, column, name, chosen[name], mapping))
        elif name in targets or schema.allows_custom or keep_others:
            chosen[name] = column  # already named as a field, or an account's custom field
        elif mapping.file is None:
            # Real CRM exports carry portal-specific columns; a built-in mapping passes over them
            # (the import report lists them) where a custom mapping must account for each.
            ignored.append(column)
        else:
            problems.append(_not_a_field(raw, header_keys, column, mapping))
    if schema.id_field not in chosen and schema.id_field not in unfound:
        problems.insert(0, _missing_id(raw, mapping))
    if problems:
        raise BadInput(problems)
    mapped = _with_values(_mapped(raw, mapping, chosen), by_key)
    mapped.ignored = tuple(ignored)
    return mapped


def field_name(column: str) -> str:
    """A column's name as a field usable in rules: lower case, runs of other characters as `_`
    ("Lifecycle Stage" → lifecycle_stage, "Region__c" → region__c)."""
    name = re.sub(r"[^0-9a-z_]+", "_", canonical(column)).strip("_") or "field"
    return f"f_{name}" if name[0].isdigit() else name


def _mapped(raw: RawTable, mapping: ColumnMapping, chosen: dict[str, str]) -> MappedTable:
    schema = mapping.schema
    columns: list[pl.Expr] = []
    sources: dict[str, str] = {}
    for field in schema.fields:
        if field in chosen:
            columns.append(pl.col(chosen[field]).alias(field))
            sources[field] = chosen[field]
        elif field == _REP_NAME and mapping.entity is Entity.REPS and any(p in chosen for p in NAME_PARTS):
            parts = [chosen[p] for p in NAME_PARTS if p in chosen]
            columns.append(_joined_name(parts).alias(field))
            sources[field] = " + ".join(parts)
    position = {column: i for i, column in enumerate(raw.frame.columns)}
    custom = sorted(
        (f for f in chosen if f not in targets_of(mapping.entity)), key=lambda f: position[chosen[f]]
    )
    for field in custom:
        columns.append(pl.col(chosen[field]).alias(field))
        sources[field] = chosen[field]
    frame = raw.frame.select(columns)
    return MappedTable(frame, mapping, raw, sources, tuple(custom))


def _with_values(mapped: MappedTable, by_key: dict[str, str]) -> MappedTable:
    """The fields that the mapping's value maps set, over what the columns gave them; a field only
    value maps fill takes its place among the core fields, or after the custom ones."""
    mapping = mapped.mapping
    present = [v for v in mapping.values if canonical(v.column) in by_key]
    if not present:
        return mapped
    sources = [f"_values_of_{i}" for i in range(len(present))]
    frame = mapped.raw.frame.select(
        pl.col(by_key[canonical(v.column)]).cast(pl.String).str.strip_chars().alias(name)
        for v, name in zip(present, sources, strict=True)
    ).hstack(mapped.frame)
    for value_map, name in zip(present, sources, strict=True):
        source = pl.col(name)
        for field in value_map.fields:
            cases = [(value, sets[field]) for value, sets in value_map.cases.items() if field in sets]
            result = pl.col(field).cast(pl.String) if field in frame.columns else pl.lit(None, pl.String)
            for value, new in reversed(cases):
                result = pl.when(source == value).then(pl.lit(new, pl.String)).otherwise(result)
            frame = frame.with_columns(result.alias(field))
            mapped.sources.setdefault(field, f"{value_map.column} (values)")
    schema_fields = [f for f in mapping.schema.fields if f in frame.columns]
    custom = [*mapped.custom_fields]
    custom += [f for v in present for f in v.fields if f not in schema_fields and f not in custom]
    mapped.frame = frame.select(*schema_fields, *custom)
    mapped.custom_fields = tuple(custom)
    return mapped


def _joined_name(columns: list[str]) -> pl.Expr:
    """First and last name with one space between; null when both are empty."""
    parts = [pl.col(c).cast(pl.String).str.strip_chars() for c in columns]
    joined = pl.concat_str(parts, separator=" ", ignore_nulls=True).str.strip_chars()
    return pl.when(joined == "").then(None).otherwise(joined)


def _header_location(raw: RawTable, header_keys: list[str], column: str | None) -> Location:
    """The header line of a CSV or Excel file, and the column's position in it when known."""
    line = 1 if raw.is_csv or raw.is_excel else None
    key = canonical(column) if column is not None else None
    position = header_keys.index(key) + 1 if key in header_keys and line is not None else None
    return Location(raw.file, line, position, column)


def _unknown_mapping_column(rule: FieldColumns, mapping: ColumnMapping, raw: RawTable) -> Problem:
    names = " or ".join(f"'{h}'" for h in rule.headers)
    columns = [c for c in raw.header] or list(raw.frame.columns)
    close = get_close_matches(rule.headers[0], columns, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return Problem(
        Location(mapping.file, rule.line, None, rule.field),
        f"unknown mapping column {names}: {raw.file} has no such column{hint}",
    )


def _not_a_field(raw: RawTable, header_keys: list[str], column: str, mapping: ColumnMapping) -> Problem:
    entity = mapping.entity.value
    hint = _did_you_mean(canonical(column), targets_of(mapping.entity))
    how = (
        "add it to a mapping file (under columns, or under ignore to leave it out)"
        if mapping.file is not None
        else f"write a mapping file with 'extends: {mapping.name}' that maps it or lists it under ignore"
    )
    return Problem(
        _header_location(raw, header_keys, column),
        f"column '{column}' is not a field of {entity}, and {mapping.described()} does not map it{hint}; "
        f"{entity} take no custom fields, so {how}",
    )


def _clash(
    raw: RawTable, header_keys: list[str], column: str, field: str, first: str, mapping: ColumnMapping
) -> Problem:
    return Problem(
        _header_location(raw, header_keys, column),
        f"column '{column}' and column '{first}' would both fill {field} under {mapping.described()}; "
        "list one under ignore in a mapping file",
    )


def _missing_id(raw: RawTable, mapping: ColumnMapping) -> Problem:
    id_field = mapping.schema.id_field
    rule = mapping.rule_for(id_field)
    if rule is None:
        expected = f"a column named {id_field}"
    else:
        expected = " or ".join(f"'{h}'" for h in rule.headers) + f" ({mapping.described()})"
    # A users export given as leads lacks the leads' id: say what it looks like, as check_entity does.
    other = other_entity_export(raw.header, mapping.entity, mapping.name)
    looks = (
        f"; this looks like a {crm_label(mapping.name)} export of {other[0].value}, not of "
        f"{mapping.entity.value}"
        if other is not None
        else ""
    )
    return Problem(
        Location(raw.file, 1 if raw.is_csv or raw.is_excel else None, None, id_field),
        f"the {mapping.entity.value} id column is missing: expected {expected}{looks}"
        f"{crm_export_hint(raw.header, mapping.entity, mapping.name)}",
    )


def crm_export_hint(header: Sequence[str], entity: Entity, used: str = PLAIN) -> str:
    """ "; ... use --mapping hubspot" when the id column a built-in CRM mapping other than `used` knows
    is in `header` as the CRM spells it (a HubSpot export's "Record ID"), else "". Exact spelling:
    a plain file's `id` column is not taken for Salesforce's `Id`."""
    found = crm_export_of(header, entity, used)
    if found is None:
        return ""
    name, column = found
    return f"; the file has '{column}', the id column of a {_CRM_NAMES[name]} export: use --mapping {name}"


def crm_export_of(header: Sequence[str], entity: Entity, used: str = PLAIN) -> tuple[str, str] | None:
    """The built-in CRM mapping (other than `used`) whose id column `header` holds as the CRM spells
    it, with that column; None for a file that is no such export."""
    columns = {name.strip() for name in header}
    for name in (SALESFORCE, HUBSPOT):
        if not builtin_covers(name, entity):
            continue
        rule = builtin_mapping(name, entity).rule_for(SCHEMAS[entity].id_field)
        found = next((h for h in rule.headers if h in columns), None) if rule is not None else None
        if found is not None and name != used:
            return name, found
    return None


def crm_label(key: str) -> str:
    """A built-in CRM mapping's name as its vendor writes it (HubSpot), else the key as given."""
    return _CRM_NAMES.get(key, key)


def other_entity_export(header: Sequence[str], entity: Entity, crm: str) -> tuple[Entity, list[str]] | None:
    """The other entity whose `crm` export a file is, by its header: the one whose built-in mapping
    names more of the file's columns than `entity`'s does (a HubSpot companies export given as
    contacts), with the columns only that entity has; None when `entity`'s names the most."""
    if crm not in _CRM_NAMES or not builtin_covers(crm, entity):
        return None
    columns = {canonical(name): name for name in header}

    def named_by(other: Entity) -> set[str]:
        headers = {canonical(h) for rule in builtin_mapping(crm, other).rules for h in rule.headers}
        return headers & set(columns)

    own = named_by(entity)
    best: tuple[Entity, set[str]] | None = None
    for other in Entity:
        if other is entity or not builtin_covers(crm, other):
            continue
        found = named_by(other)
        if len(found) > len(own) and (best is None or len(found) > len(best[1])):
            best = (other, found)
    if best is None:
        return None
    return best[0], [columns[key] for key in columns if key in best[1] - own]
