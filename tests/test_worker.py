"""The worker skeleton without a broker: poison is diverted with where it came
from, the good messages of a batch are handled together, and a handler that fails
fails the whole batch, so nothing of it is published and it is delivered again."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import pytest

from services.deadletters import PoisonMessage
from services.events import StatusChanged
from services.worker import RawMessage, process_batch


class Doubler:
    """A worker over JSON numbers: poison unless a number; fails on 13."""

    service = "test"

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def decode(self, raw: bytes) -> int:
        value = json.loads(raw) if raw[:1].isdigit() else None
        if not isinstance(value, int):
            raise PoisonMessage(f"not_a_number: {raw[:10]!r}")
        return value

    def handle(self, items: list[int]) -> Sequence[StatusChanged]:
        if 13 in items:
            raise ConnectionError("database unavailable")
        self.batches.append(items)
        return []


def test_poison_is_diverted_and_the_rest_handled_as_one_batch() -> None:
    worker = Doubler()
    batch = [RawMessage(b"1"), RawMessage(b"oops", b"k", 2, 41), RawMessage(b"2")]
    outcome = process_batch(worker, "numbers", batch)
    assert worker.batches == [[1, 2]]
    [diverted] = outcome.dead
    assert diverted.key == b"k"
    letter = diverted.letter
    assert (letter.source_topic, letter.service, letter.source_partition, letter.source_offset) == (
        "numbers", "test", 2, 41
    )  # fmt: skip
    assert (
        letter.reason.startswith("not_a_number")
        and base64.b64decode(letter.original_b64) == b"oops"
    )


def test_a_failing_handler_fails_the_batch_before_anything_is_published() -> None:
    with pytest.raises(ConnectionError):
        process_batch(Doubler(), "numbers", [RawMessage(b"x"), RawMessage(b"13")])


def test_a_batch_of_poison_only_never_calls_the_handler() -> None:
    worker = Doubler()
    outcome = process_batch(worker, "numbers", [RawMessage(b"x"), RawMessage(b"y")])
    assert worker.batches == [] and len(outcome.dead) == 2 and outcome.out == []
