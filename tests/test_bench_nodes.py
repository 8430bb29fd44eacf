"""benchmarks/nodes.py's core plan: N nodes on their own cores, Redis and the generator apart,
and what shares a core when the machine has too few."""

from __future__ import annotations

import pytest

from benchmarks.nodes import plan


def test_enough_cores_give_every_process_its_own():
    assert plan(4, list(range(8))) == {
        "nodes": [0, 1, 2, 3],
        "redis": 4,
        "generator": [5, 6, 7],
        "shared": False,
    }


def test_one_core_short_puts_redis_beside_the_first_node():
    assert plan(1, [0, 1]) == {"nodes": [0], "redis": 0, "generator": [1], "shared": True}


def test_fewer_cores_than_nodes_share_round_robin_and_keep_the_generator_apart():
    layout = plan(3, [0, 1, 2])
    assert layout["nodes"] == [0, 1, 0] and layout["generator"] == [2] and layout["shared"]
    assert plan(2, [0]) == {"nodes": [0, 0], "redis": 0, "generator": [0], "shared": True}


def test_no_node_or_no_core_is_refused():
    with pytest.raises(ValueError):
        plan(0, [0, 1])
    with pytest.raises(ValueError):
        plan(1, [])
