"""The store of rendered answers (api/rendered_answers.py): an answer is served only
at the ledger version it was rendered at, and the store stays bounded."""

from __future__ import annotations

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
