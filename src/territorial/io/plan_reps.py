"""A plan file's `reps:` rewritten from a roster, keeping everything else (comments included) as
written: what `plan clone active` stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ruamel.yaml.comments import CommentedSeq

from territorial.io.plan_edits import dumped, round_trip, territory_nodes


def with_reps(source: str, pools: Mapping[str, Sequence[str]]) -> str:
    """`source` (a plan's YAML) with each territory's `reps:` set to its pool in `pools`
    (territory_id -> reps in pool order); a territory with no pool loses its `reps:`."""
    yaml, tree = round_trip(source)
    for territory in territory_nodes(tree.get("territories")):
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
    return dumped(yaml, tree)
