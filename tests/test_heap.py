"""Freezing the start-up heap (services/heap.py): what is alive at the end of
start-up is skipped by later collections, what is made afterwards is not."""

from __future__ import annotations

import gc

from services.heap import freeze_startup_heap


class Marker:
    """An object the collector tracks (instances of a class with a __dict__)."""


def test_start_up_objects_are_frozen_and_later_ones_are_not() -> None:
    made_at_start_up = Marker()
    try:
        frozen = freeze_startup_heap()
        made_later = Marker()
        tracked = gc.get_objects()  # every generation except the frozen one
        assert frozen == gc.get_freeze_count() > 0
        assert not any(o is made_at_start_up for o in tracked)
        assert any(o is made_later for o in tracked)
    finally:
        gc.unfreeze()
