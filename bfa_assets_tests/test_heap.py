"""A big step runs with fewer garbage collections and leaves the process as it found it."""

import gc

import pytest

from bfa_assets.steps.heap import YOUNG_THRESHOLD, fewer_collections


def test_inside_young_collections_are_rarer_and_what_existed_is_frozen():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_settings_come_back_when_the_step_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a listing failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cyclic_garbage_made_inside_is_still_collected():
    class Node:
        pass

    with fewer_collections():
        node = Node()
        node.self = node
        del node
        assert gc.collect() > 0
