"""YAML files read as node trees, so every error can name the file line (plans, catalogues, mappings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from territorial.errors import BadInput
from territorial.io.text_encoding import utf16_text


def read_yaml_text(path: str | Path, what: str) -> str:
    """A YAML file's text; a missing or unreadable file is BadInput naming it as `what`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput.at(f"{what} not found", str(path)) from None
    except IsADirectoryError:
        raise BadInput.at(f"this is a folder, not a {what}", str(path)) from None
    except OSError as err:
        raise BadInput.at(f"cannot read the {what}: {err}", str(path)) from None
    # Notepad's and Excel's "Unicode" (UTF-16) is read like UTF-8: the lines stay the same.
    text = utf16_text(data, str(path))
    if text is not None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _not_utf8(data, err, what, str(path)) from None


def _not_utf8(data: bytes, err: UnicodeDecodeError, what: str, file: str) -> BadInput:
    """Where the first byte that is not UTF-8 sits: Notepad's "ANSI" (Windows-1252) is the usual cause."""
    line_start = data.rfind(b"\n", 0, err.start) + 1
    column = len(data[line_start : err.start].decode("utf-8")) + 1
    return BadInput.at(
        f"byte 0x{data[err.start]:02x} is not UTF-8 (the {what} was saved in another encoding, "
        "such as Windows-1252); save it as UTF-8",
        file,
        data.count(b"\n", 0, err.start) + 1,
        column,
    )


def compose(text: str, file: str, expected: str, nesting: bool = True) -> MappingNode:
    """The document's node tree; a syntax error or a document that is not a mapping is BadInput.

    The C composer keeps every node's line and column and is ten times faster than round-trip loading,
    which matters for plans with thousands of territories and long ZIP lists."""
    try:
        tree = YAML(typ="safe", pure=False).compose(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise BadInput.at(f"YAML syntax error: {err.problem or err.context}", file, line, column) from None
    except ReaderError as err:  # a character YAML does not allow (a NUL, a control character)
        at = max(0, min(int(err.position), len(text)))
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "\0")
        raise BadInput.at(
            f"YAML files cannot hold the character U+{code:04X} (a control character); "
            "is this the right file, saved as text?",
            file,
            line,
            column,
        ) from None
    if not isinstance(tree, MappingNode):
        raise BadInput.at(f"expected a mapping with {expected}", file, 1)
    if nesting:  # a plan checks its tree's depth first, for a clearer message (plan_file)
        check_nesting(tree, file)
    return tree


# Values nested deeper than this are refused before anything recurses over them (validation,
# messages that quote them): a plan tree 100 territories deep is about 300 levels of YAML.
MAX_YAML_DEPTH = 400


def check_nesting(tree: Node, file: str) -> None:
    stack: list[tuple[Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_YAML_DEPTH:
            raise BadInput.at(
                f"values are nested more than {MAX_YAML_DEPTH} levels deep here; is this the right file?",
                file,
                line_of(node),
                node.start_mark.column + 1,
            )
        if isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, MappingNode):
            stack.extend((value, depth + 1) for _key, value in node.value)


def construct(tree: MappingNode, file: str, expected: str) -> dict[str, Any]:
    """The plain Python data of a composed document."""
    try:
        data = YAML(typ="safe", pure=False).constructor.construct_document(tree)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        raise BadInput.at(f"YAML error: {err.problem or err.context}", file, line) from None
    if not isinstance(data, dict):
        raise BadInput.at(f"expected a mapping with {expected}", file, 1)
    return data


def child(node: Node | None, key: int | str) -> Node | None:
    """The value node under a mapping key or sequence index."""
    if isinstance(node, MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        found: Node = node.value[key]
        return found
    return None


def key_node(node: Node | None, key: str) -> Node | None:
    """The key node of a mapping entry (where the key is written)."""
    if isinstance(node, MappingNode):
        return next((k for k, _v in node.value if k.value == key), None)
    return None


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def position(tree: Node, path: tuple[int | str, ...]) -> tuple[int | None, int | None, str | None]:
    """Line and column of the deepest node along a pydantic error path, and the `id` of the innermost
    mapping on the way that has one (a territory, a product)."""
    node: Node | None = tree
    line: int | None = 1
    column: int | None = None
    owner: str | None = None
    for key in path:
        located = key_node(node, key) if isinstance(key, str) else child(node, key)
        if located is None:
            break
        line, column = line_of(located), int(located.start_mark.column) + 1
        node = child(node, key)
        id_node = child(node, "id")
        if isinstance(id_node, ScalarNode):
            owner = str(id_node.value)
    return line, column, owner
