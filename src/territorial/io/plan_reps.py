"""A plan file's `reps:` rewritten from a roster, keeping everything else (comments included) as
written: what `plan clone active` stores."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

# Wide enough that no rule line is folded anew: the clone changes only `reps:`.
UNFOLDED = 1 << 20


def with_reps(source: str, pools: Mapping[str, Sequence[str]]) -> str:
    """`source` (a plan's YAML) with each territory's `reps:` set to its pool in `pools`
    (territory_id -> reps in pool order); a territory with no pool loses its `reps:`."""
    # The file's own indentation (`  - id:` or `- id:`), so that only `reps:` lines change.
    _guessed, indent, offset = load_yaml_guess_indent(source)
    yaml = YAML()
    yaml.width = UNFOLDED
    yaml.preserve_quotes = True
    yaml.indent(mapping=indent or 2, sequence=indent or 2, offset=offset or 0)
    tree = yaml.load(source)
    for territory in _territories(tree.get("territories") or []):
        reps = list(pools.get(str(territory.get("id")), ()))
        if not reps:
            territory.pop("reps", None)
            continue
        listed = CommentedSeq(reps)
        listed.fa.set_flow_style()
        if "reps" in territory:
            territory["reps"] = listed
        else:
            keys = list(territory)
            at = keys.index("children") if "children" in keys else len(keys)
            territory.insert(at, "reps", listed)
    out = StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _territories(items: Sequence[Any]) -> Iterator[CommentedMap]:
    for item in items:
        if isinstance(item, CommentedMap):
            yield item
            yield from _territories(item.get("children") or [])
