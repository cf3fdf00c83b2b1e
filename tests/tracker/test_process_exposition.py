"""The process's own part of /metrics (metrics.ProcessExposition): formatted again
once `max_age` has passed, reused before (a clock the test moves)."""

from __future__ import annotations

from services.pipeline_metrics import EVENTS_CONSUMED
from services.tracker.metrics import ProcessExposition


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _consumed(text: bytes, topic: str) -> float:
    prefix = f'luqiao_events_consumed_total{{service="tracker",topic="{topic}"}} '
    line = next(ln for ln in text.decode().splitlines() if ln.startswith(prefix))
    return float(line.removeprefix(prefix))


def test_the_process_part_is_reused_within_max_age_then_formatted_again() -> None:
    clock = Clock()
    own = ProcessExposition(max_age=1.0, clock=clock)
    topic = "test.process-exposition"
    EVENTS_CONSUMED.labels(service="tracker", topic=topic).inc()
    first = own.text()
    EVENTS_CONSUMED.labels(service="tracker", topic=topic).inc()
    clock.now += 0.9
    assert own.text() is first  # within a second: the same bytes
    clock.now += 0.1
    assert _consumed(own.text(), topic) == _consumed(first, topic) + 1
