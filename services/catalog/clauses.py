"""Split a paragraph into clauses and tell a commitment from a slogan.

The reports list several actions in one sentence separated by commas
("改造老旧小区4个,打通“断头路”10条"); each action is its own commitment. A
clause is kept when it is checkable: it has a target figure, or names a
project, place, title or institution (by a quoted name or a naming ending such
as 园区/基地/工程/试点), or says a milestone verb about something. Clauses that
only frame the next one ("以…为抓手", "聚焦…") and pure slogans are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.catalog.lexicon import (
    FRAMING,
    MILESTONE_VERBS,
    NAMED_SUFFIX,
    PLACES,
    SLOGAN_ENDINGS,
    YEAR_CHARACTER,
)
from services.catalog.targets import QUOTED, parse_targets

CLAUSE_BREAKS = {",", "\uff0c", ";", "\uff1b", "。", ":", "\uff1a", "!", "?"}
SENTENCE_BREAKS = {"。", ";", "\uff1b", "!", "?"}
OPENERS = {"“": "”", "《": "》", "(": ")", "\uff08": "\uff09"}

Verdict = Literal["commitment", "framing", "slogan"]


@dataclass(frozen=True)
class Clause:
    text: str  # verbatim slice of the paragraph text
    sentence: str  # the sentence it belongs to, verbatim
    start: int  # offset of ``text`` in the paragraph


def _split(text: str, breaks: set[str], offset: int = 0) -> list[tuple[int, str]]:
    """Split at ``breaks`` outside quotes and brackets; keeps offsets, drops the marks."""
    pieces: list[tuple[int, str]] = []
    closing: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if closing and char == closing[-1]:
            closing.pop()
        elif char in OPENERS:
            closing.append(OPENERS[char])
        elif char in breaks and not closing:
            pieces.append((offset + start, text[start:index]))
            start = index + 1
    pieces.append((offset + start, text[start:]))
    return pieces


def _trim(start: int, piece: str) -> tuple[int, str]:
    """Drop list markers and spaces around a clause, keeping its offset right."""
    stripped = piece.lstrip(" -\u3000")
    start += len(piece) - len(stripped)
    return start, stripped.rstrip(" \u3000")


def split_clauses(paragraph: str) -> list[Clause]:
    clauses: list[Clause] = []
    for s_start, sentence in _split(paragraph, SENTENCE_BREAKS):
        for c_start, piece in _split(sentence, CLAUSE_BREAKS - SENTENCE_BREAKS, s_start):
            start, text = _trim(c_start, piece)
            if text:
                clauses.append(Clause(text, sentence.strip(), start))
    return clauses


def milestone_verbs(clause: str) -> list[str]:
    """Milestone verbs in the clause, longest match first at each position."""
    found: list[tuple[int, str]] = []
    taken: set[int] = set()
    for verb in sorted(MILESTONE_VERBS, key=len, reverse=True):
        index = clause.find(verb)
        while index >= 0:
            span = set(range(index, index + len(verb)))
            if not span & taken:
                found.append((index, verb))
                taken |= span
            index = clause.find(verb, index + 1)
    return [verb for _, verb in sorted(found)]


def names_something(clause: str) -> bool:
    unquoted = QUOTED.sub("", clause)
    return bool(
        QUOTED.search(clause)
        or NAMED_SUFFIX.search(unquoted)
        or any(place in clause for place in PLACES)
    )


def judge(clause: str) -> Verdict:
    """Is this clause a commitment, framing for the next clause, or a slogan?"""
    if FRAMING.match(clause):
        return "framing"
    if YEAR_CHARACTER.match(clause):
        return "slogan"
    if parse_targets(clause):
        return "commitment"
    if SLOGAN_ENDINGS.search(clause) and not QUOTED.search(clause):
        return "slogan"
    if names_something(clause) or milestone_verbs(clause):
        return "commitment"
    return "slogan"
