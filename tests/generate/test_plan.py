import re
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from ruamel.yaml import YAML

from territorial.generate import generate_accounts, generate_plan
from territorial.generate.plan import apportion, contiguous_groups, industry_groups, plan_territories
from territorial.generate.vocabulary import INDUSTRY_NAMES, NAMED_ACCOUNT_REPS, SEGMENTS, rep_roster
from territorial.geo import load_zips
from territorial.io.plan_writer import Territory, yaml_string

ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
Node = dict[str, Any]
MID_SIZE, MID_SEED = 1000, 2  # leaves no bigger than a state: owners line up with pools


def parse(text: str) -> Node:
    parsed: Node = YAML(typ="safe").load(text)
    return parsed


@pytest.fixture(scope="module")
def small_plan() -> Node:
    return parse(generate_plan(20, seed=1))


@pytest.fixture(scope="module")
def mid_plan() -> Node:
    return parse(generate_plan(MID_SIZE, seed=MID_SEED))


@pytest.fixture(scope="module")
def large_plan() -> Node:
    return parse(generate_plan(5000, seed=1))


def walk(nodes: list[Node], parent: Node | None = None) -> Iterator[tuple[Node, Node | None]]:
    for node in nodes:
        yield node, parent
        yield from walk(node.get("children", []), node)


def count(plan: Node) -> int:
    return sum(1 for _ in walk(plan["territories"]))


@pytest.mark.parametrize("plan_name", ["small_plan", "large_plan"])
def test_territory_count_is_within_two_percent(plan_name: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(plan_name)
    wanted = 20 if plan_name == "small_plan" else 5000
    assert abs(count(plan) - wanted) <= 0.02 * wanted


@pytest.mark.parametrize("wanted", [10, 13, 37, 149, 150, 640, 1999, 3333, 8000])
def test_territory_count_for_other_sizes(wanted: int) -> None:
    total = sum(1 for root in plan_territories(wanted, seed=3) for _ in root.walk())
    assert abs(total - wanted) <= max(1, 0.02 * wanted)


@pytest.mark.parametrize("wanted", [5, 60_000])
def test_plan_sizes_out_of_range_are_refused(wanted: int) -> None:
    with pytest.raises(ValueError, match="10 to 50000 territories"):
        generate_plan(wanted, seed=1)


@pytest.mark.parametrize("plan_name", ["small_plan", "large_plan"])
def test_ids_are_unique_and_valid(plan_name: str, request: pytest.FixtureRequest) -> None:
    ids = [node["id"] for node, _ in walk(request.getfixturevalue(plan_name)["territories"])]
    assert len(ids) == len(set(ids))
    assert all(isinstance(id_, str) and ID_PATTERN.fullmatch(id_) for id_ in ids)


@pytest.mark.parametrize("plan_name", ["small_plan", "large_plan"])
def test_priorities_never_rise_from_parent_to_child(plan_name: str, request: pytest.FixtureRequest) -> None:
    for node, parent in walk(request.getfixturevalue(plan_name)["territories"]):
        if parent is not None:
            assert node.get("priority", 0) <= parent.get("priority", 0), node["id"]


@pytest.mark.parametrize("plan_name", ["small_plan", "large_plan"])
def test_shape_of_the_plan(plan_name: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(plan_name)
    roots = plan["territories"]
    assert plan["fields"] == {
        "employees": "number",
        "annual_revenue": "number",
        "postal_code": "string",
        "strategic": "boolean",
        "created_date": "date",
        "state": "string",
        "segment": "string",
        "industry": "string",
        "products": "string",
    }
    assert "workload" not in plan
    named = roots[0]
    assert (named["id"], named["rule"], named["priority"]) == ("NAMED", "strategic = TRUE", 100)
    assert named["reps"] == list(NAMED_ACCOUNT_REPS)
    assert {root.get("layer") for root in roots} == {None, "security", "industry-vertical"}
    for node, parent in walk(roots):
        assert parent is None or "layer" not in node
        assert set(node) <= {"id", "name", "layer", "rule", "priority", "reps", "children"}
        if "children" not in node:
            assert isinstance(node["reps"], list) and len(node["reps"]) <= 3
        else:
            assert "reps" not in node


def test_large_plan_has_three_levels_with_zip_lists(large_plan: Node) -> None:
    regions = [root for root in large_plan["territories"] if "layer" not in root and root["id"] != "NAMED"]
    districts = [district for region in regions for district in region["children"]]
    leaves = [leaf for district in districts for leaf in district.get("children", [])]
    assert len(leaves) > 3 * len(districts)
    assert not any("children" in leaf for leaf in leaves)  # three levels, no deeper
    assert len(regions) == 9  # census divisions
    zip_rules = [node["rule"] for node, _ in walk(regions) if "postal_code IN (" in node.get("rule", "")]
    assert len(zip_rules) > 500
    assert any("'01001'" in rule for rule in zip_rules)  # leading zeros kept
    real_zips = set(load_zips()["zip"])
    for rule in zip_rules[:50]:
        assert set(re.findall(r"'(\d{5})'", rule)) <= real_zips


def test_small_plan_uses_census_regions(small_plan: Node) -> None:
    regions = [root["id"] for root in small_plan["territories"] if "layer" not in root]
    assert regions == ["NAMED", "NORTHEAST", "MIDWEST", "SOUTH", "WEST"]


def test_about_two_percent_of_leaves_are_vacant(large_plan: Node) -> None:
    leaves = [node for node, _ in walk(large_plan["territories"]) if "children" not in node]
    vacant = sum(1 for leaf in leaves if leaf["reps"] == [])
    assert 0.01 < vacant / len(leaves) < 0.03


def test_same_seed_same_text_and_different_seed_different_text() -> None:
    assert generate_plan(300, seed=4) == generate_plan(300, seed=4)
    assert generate_plan(300, seed=4) != generate_plan(300, seed=5)


def as_dict(territory: Territory) -> Node:
    node: Node = {"id": territory.id}
    for key in ("name", "layer", "rule"):
        if getattr(territory, key) is not None:
            node[key] = getattr(territory, key)
    if territory.priority:
        node["priority"] = territory.priority
    if territory.reps is not None:
        node["reps"] = list(territory.reps)
    if territory.children:
        node["children"] = [as_dict(child) for child in territory.children]
    return node


def test_yaml_reads_back_as_the_tree_that_was_written(mid_plan: Node) -> None:
    expected = [as_dict(root) for root in plan_territories(MID_SIZE, seed=MID_SEED)]
    assert mid_plan["territories"] == expected
    assert mid_plan["name"] == f"Territorial sample plan: {MID_SIZE} territories (seed {MID_SEED})"


@pytest.mark.parametrize(
    "text",
    [
        "state = 'NY'",
        "'quoted' first",
        '"double" first',
        "a: b",
        "ends with colon:",
        "x #comment",
        "#hash",
        "- dash",
        "yes",
        "No",
        "null",
        "~",
        "123",
        "1e3",
        "0x1F",
        "2024-01-01",
        ".inf",
        "it's",
        "[list]",
        "{map}",
        "%percent",
        "@at",
        "`tick",
        "",
        " padded ",
        "products LIKE '%security%'",
        "Café Ñandú",
    ],
)
def test_tricky_strings_read_back_unchanged(text: str) -> None:
    assert parse(f"key: {yaml_string(text)}\n") == {"key": text}


def test_yaml_string_prefers_plain_rules() -> None:
    assert yaml_string("segment = 'SMB' AND industry IN ('Retail Trade')") == (
        "segment = 'SMB' AND industry IN ('Retail Trade')"
    )
    assert yaml_string("a: b") == "'a: b'"


def states_and_segments(node: Node, ancestors: list[Node]) -> tuple[set[str], set[str]]:
    """What a leaf covers, read from its own and its ancestors' rules."""
    states: set[str] = set()
    for owner in [node, *reversed(ancestors)]:
        rule = owner.get("rule", "")
        single = re.search(r"state = '([A-Z]{2})'", rule)
        listed = re.search(r"state IN \(([^)]*)\)", rule)
        if single or listed:
            states = {single.group(1)} if single else set(re.findall(r"'([A-Z]{2})'", listed.group(1)))  # type: ignore[union-attr]
            break
    rule = node.get("rule", "")
    single = re.search(r"segment = '([^']+)'", rule)
    listed = re.search(r"segment IN \(([^)]*)\)", rule)
    if single:
        segments = {single.group(1)}
    elif listed:
        segments = set(re.findall(r"'([^']+)'", listed.group(1)))
    else:
        segments = set(SEGMENTS)
    return states, segments


def pooled_cells(nodes: list[Node], ancestors: list[Node]) -> Iterator[tuple[str, str, str]]:
    for node in nodes:
        if "children" in node:
            yield from pooled_cells(node["children"], [*ancestors, node])
        elif "layer" not in node and node["id"] != "NAMED":
            states, segments = states_and_segments(node, ancestors)
            for rep in node["reps"]:
                for state in states:
                    for segment in segments:
                        yield state, segment, rep


def test_owners_are_in_the_pools_of_the_leaves_for_their_state_and_segment(mid_plan: Node) -> None:
    pools = pl.DataFrame(
        list(pooled_cells(mid_plan["territories"], [])), schema=["state", "segment", "owner_id"], orient="row"
    ).unique()
    accounts = generate_accounts(20_000, seed=8)
    ordinary = accounts.filter(~pl.col("strategic"))
    in_pool = ordinary.join(pools, on=["state", "segment", "owner_id"], how="semi").height / ordinary.height
    assert in_pool > 0.75
    # In a plan this size every rep of the roster works in a leaf that fits their state and segment.
    roster = rep_roster().rename({"rep_id": "owner_id"})
    assert roster.join(pools, on=["state", "segment", "owner_id"], how="anti").height == 0


def test_a_leaf_within_one_state_and_segment_gets_that_cells_team(mid_plan: Node) -> None:
    teams = rep_roster().group_by("state", "segment").agg(pl.col("rep_id").sort())
    team = {(state, segment): reps for state, segment, reps in teams.iter_rows()}
    checked = 0
    for node, ancestors in leaves_with_ancestors(mid_plan["territories"], []):
        states, segments = states_and_segments(node, ancestors)
        if len(states) == len(segments) == 1 and node["reps"]:
            assert node["reps"] == team[(states.pop(), segments.pop())]
            checked += 1
    assert checked > 500


def leaves_with_ancestors(nodes: list[Node], ancestors: list[Node]) -> Iterator[tuple[Node, list[Node]]]:
    for node in nodes:
        if "children" in node:
            yield from leaves_with_ancestors(node["children"], [*ancestors, node])
        elif "layer" not in node and node["id"] != "NAMED":
            yield node, ancestors


def test_apportion_keeps_the_total_and_bounds() -> None:
    assert apportion(10, [1, 1, 2]) == [2, 3, 5] or sum(apportion(10, [1, 1, 2])) == 10
    assert apportion(5, [100, 1, 1], minimum=1) == [3, 1, 1]
    assert apportion(9, [1, 1], caps=[2, 3]) == [2, 3]


def test_contiguous_groups_are_non_empty_and_cover_everything() -> None:
    runs = contiguous_groups([5, 0, 0, 1, 1, 1, 10], 4)
    assert [run.stop - run.start for run in runs if run.stop > run.start] == [
        run.stop - run.start for run in runs
    ]
    assert runs[0].start == 0 and runs[-1].stop == 7


def test_industry_groups_partition_the_industries() -> None:
    for groups in (industry_groups(count) for count in (2, 3, 7, 20)):
        names = [name for group in groups for name in group]
        assert sorted(names) == sorted(INDUSTRY_NAMES)
