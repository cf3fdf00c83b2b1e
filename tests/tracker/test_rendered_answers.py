"""The store of rendered answers (api/rendered_answers.py): an answer is served only
at the ledger version it was rendered at, and the store stays bounded."""

from __future__ import annotations

import threading
import time

from services.tracker.api.rendered_answers import RenderedAnswers

V1, V2 = (1, "a"), (2, "b")


def test_an_answer_is_served_only_at_its_version() -> None:
    answers: RenderedAnswers[str, str | None] = RenderedAnswers()
    assert answers.get(V1, "q") is None
    answers.put(V1, "q", "body")
    answers.put(V1, "unknown", None)
    kept, unknown = answers.get(V1, "q"), answers.get(V1, "unknown")
    assert kept is not None and kept.answer == "body"
    assert unknown is not None and unknown.answer is None  # kept, and told apart from absent
    assert answers.get(V2, "q") is None


def test_a_new_version_forgets_the_old_answers() -> None:
    answers: RenderedAnswers[str, str] = RenderedAnswers()
    answers.put(V1, "q", "old")
    answers.put(V2, "r", "new")
    assert answers.get(V1, "q") is None and answers.get(V2, "q") is None
    kept = answers.get(V2, "r")
    assert kept is not None and kept.answer == "new"


def test_the_store_starts_again_past_its_bound() -> None:
    answers: RenderedAnswers[int, int] = RenderedAnswers(kept=3)
    for q in range(3):
        answers.put(V1, q, q)
    assert all(answers.get(V1, q) is not None for q in range(3))
    answers.put(V1, 3, 3)
    assert [q for q in range(4) if answers.get(V1, q) is not None] == [3]


def test_callers_that_miss_together_render_once() -> None:
    """Callers that arrive while the answer is being rendered wait for it instead of
    rendering it again (50 scrapes of a new version used to format /metrics 40 times)."""
    answers: RenderedAnswers[str, str] = RenderedAnswers()
    rendering, release = threading.Event(), threading.Event()
    renders: list[int] = []

    def render() -> str:
        renders.append(1)
        rendering.set()
        release.wait(30)
        return "body"

    got: list[str] = []
    callers = [
        threading.Thread(target=lambda: got.append(answers.render_once(V1, "q", render)))
        for _ in range(8)
    ]
    callers[0].start()
    assert rendering.wait(30)  # the first caller is rendering; the others arrive now
    for caller in callers[1:]:
        caller.start()
    # Give them a moment to reach the store: a store that let them render would show
    # it in `renders`; the assertion holds however the threads are scheduled.
    time.sleep(0.2)
    release.set()
    for caller in callers:
        caller.join(30)
    assert got == ["body"] * 8 and len(renders) == 1


def test_different_queries_render_side_by_side() -> None:
    """While one query's answer is being rendered, another query's is not held up."""
    answers: RenderedAnswers[str, str] = RenderedAnswers()
    slow_started, release, slow_done = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        slow_started.set()
        release.wait(5)
        slow_done.set()
        return "slow"

    def quick() -> str:
        return "quick, rendered after slow" if slow_done.is_set() else "quick"

    slow_caller = threading.Thread(target=lambda: answers.render_once(V1, "slow", slow))
    slow_caller.start()
    try:
        assert slow_started.wait(30)
        # Rendered on this thread while "slow" is still rendering: a lock shared by
        # all queries would make it wait until "slow" gave up waiting for `release`.
        assert answers.render_once(V1, "quick", quick) == "quick"
    finally:
        release.set()
        slow_caller.join(30)
    kept = answers.get(V1, "slow")
    assert kept is not None and kept.answer == "slow"
