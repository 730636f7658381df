"""A big step runs with fewer garbage collections and leaves the process as it found it:
the same thresholds, and the same objects frozen (none, or those the process froze itself)."""

import gc

import pytest

from bfa_assets.steps.heap import YOUNG_THRESHOLD, fewer_collections


def test_inside_young_collections_are_rarer_and_what_existed_is_frozen():
    before = gc.get_threshold(), gc.get_freeze_count()
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[0][1:])
        assert gc.get_freeze_count() > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_a_process_that_froze_its_heap_keeps_it_frozen():
    """The simulator freezes its start-up heap; a step inside it must not thaw it."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with fewer_collections():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_the_settings_come_back_when_the_step_fails():
    before = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a listing failed")
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_cyclic_garbage_made_inside_is_still_collected():
    class Node:
        pass

    with fewer_collections():
        node = Node()
        node.self = node
        del node
        assert gc.collect() > 0
