"""A plan's YAML edited one territory at a time (add, change, move, delete) through ruamel's round
trip: comments, key order, quoting and every other line stay as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from territorial.errors import BadInput

# Wide enough that no rule line is folded anew: an edit changes only the lines it is about.
UNFOLDED = 1 << 20
# A new territory's keys in the order plan files write them.
KEY_ORDER = ("id", "name", "layer", "priority", "rule", "reps", "manager", "lead_skills", "children")


def round_trip(source: str) -> tuple[YAML, Any]:
    """A loader keeping the file's own indentation (`  - id:` or `- id:`), and the loaded tree."""
    _guessed, indent, offset = load_yaml_guess_indent(source)
    yaml = YAML()
    yaml.width = UNFOLDED
    yaml.preserve_quotes = True
    yaml.indent(mapping=indent or 2, sequence=indent or 2, offset=offset or 0)
    return yaml, yaml.load(source)


def dumped(yaml: YAML, tree: Any) -> str:
    out = StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def territory_nodes(items: Any) -> Iterator[CommentedMap]:
    """Every territory node, depth first in plan order."""
    for item in items or []:
        if isinstance(item, CommentedMap):
            yield item
            yield from territory_nodes(item.get("children"))


def _place(tree: Any, territory_id: str) -> tuple[CommentedSeq, int]:
    """The list holding the territory, and its index there."""

    def search(items: Any) -> tuple[CommentedSeq, int] | None:
        for index, item in enumerate(items or []):
            if not isinstance(item, CommentedMap):
                continue
            if str(item.get("id")) == territory_id:
                return items, index
            found = search(item.get("children"))
            if found is not None:
                return found
        return None

    found = search(tree.get("territories"))
    if found is None:
        raise BadInput.at(f"the plan has no territory {territory_id!r}", "territory_id")
    return found


def _without_empty_children(tree: Any) -> None:
    """A territory whose last child left loses its `children:` (an empty list reads as noise)."""
    for node in territory_nodes(tree.get("territories")):
        if "children" in node and not node["children"]:
            del node["children"]


def _children_of(tree: Any, parent_id: str | None) -> CommentedSeq:
    """The list a territory goes into under `parent_id` (None: the top level), made if missing."""
    if parent_id is None:
        if tree.get("territories") is None:
            tree["territories"] = CommentedSeq()
        found: CommentedSeq = tree["territories"]
        return found
    items, index = _place(tree, parent_id)
    parent = items[index]
    if parent.get("children") is None:
        parent["children"] = CommentedSeq()
    children: CommentedSeq = parent["children"]
    return children


def _set(node: CommentedMap, fields: Mapping[str, Any]) -> None:
    """Set or (None) remove keys; a new key goes where KEY_ORDER puts it among those present."""
    for key, value in fields.items():
        if value is None:
            node.pop(key, None)
            continue
        if isinstance(value, list):
            listed = CommentedSeq(value)
            listed.fa.set_flow_style()
            value = listed
        if key in node:
            node[key] = value
            continue
        later = KEY_ORDER[KEY_ORDER.index(key) + 1 :] if key in KEY_ORDER else ()
        keys = list(node)
        at = next((keys.index(k) for k in keys if k in later), len(keys))
        node.insert(at, key, value)


def with_territory_added(source: str, parent_id: str | None, fields: Mapping[str, Any]) -> str:
    """`source` with a new territory (`fields`, its id among them) last under `parent_id`."""
    yaml, tree = round_trip(source)
    territory_id = str(fields["id"])
    if any(str(node.get("id")) == territory_id for node in territory_nodes(tree.get("territories"))):
        raise BadInput.at(f"the plan has a territory {territory_id!r} already", "territory_id")
    node = CommentedMap()
    _set(node, {key: fields[key] for key in KEY_ORDER if fields.get(key) is not None})
    _children_of(tree, parent_id).append(node)
    return dumped(yaml, tree)


def with_territory_changed(source: str, territory_id: str, fields: Mapping[str, Any]) -> str:
    """`source` with the territory's keys set (None removes one)."""
    yaml, tree = round_trip(source)
    items, index = _place(tree, territory_id)
    _set(items[index], fields)
    return dumped(yaml, tree)


def with_territory_moved(source: str, territory_id: str, parent_id: str | None) -> str:
    """`source` with the territory (and its children) last under `parent_id` (None: the top level)."""
    yaml, tree = round_trip(source)
    items, index = _place(tree, territory_id)
    node = items[index]
    below = {str(n.get("id")) for n in territory_nodes([node])}
    if parent_id in below:
        raise BadInput.at(
            f"territory {territory_id!r} cannot move under {parent_id!r}, which is itself or below it",
            "parent_id",
        )
    target = _children_of(tree, parent_id)  # checks the parent exists before anything moves
    del items[index]
    target.append(node)
    _without_empty_children(tree)
    return dumped(yaml, tree)


def with_territory_deleted(source: str, territory_id: str) -> str:
    """`source` without the territory; one with children is refused (move or delete them first)."""
    yaml, tree = round_trip(source)
    items, index = _place(tree, territory_id)
    children = [str(n.get("id")) for n in territory_nodes(items[index].get("children"))]
    if children:
        raise BadInput.at(
            f"territory {territory_id!r} has {len(children)} territories below it "
            f"({', '.join(children[:5])}{', ...' if len(children) > 5 else ''}); move or delete them first",
            "territory_id",
        )
    del items[index]
    _without_empty_children(tree)
    return dumped(yaml, tree)
