"""The named things of a commitment and the other names news uses for them.

The extractor finds evidence by these names, so they must be the object of the
clause without its verb ("投用飞龙湖科创基地首建南区" -> 飞龙湖科创基地首建南区)
and the shortened forms a story would write: without quote marks, without
"省级/国家级", the quoted core alone (“医保地图”). What the parser cannot
know (飞龙湖科创基地首建南区 = 科创基地南区) comes from the overrides file.
"""

from __future__ import annotations

import re

from services.catalog.clauses import names_something
from services.catalog.lexicon import (
    EFFORT_VERBS,
    GENERIC_OBJECTS,
    INNER_VERBS,
    LEVEL_QUALIFIERS,
    MILESTONE_VERBS,
    MODAL_PREFIXES,
    OBJECT_TAILS,
    PLACES,
)

# Longest first; at equal length a milestone verb wins ("全力争创": 争创, not 力争). Sorted,
# never in set order, so the catalog is byte-identical across runs.
VERBS = tuple(
    sorted(
        set(MILESTONE_VERBS + EFFORT_VERBS), key=lambda v: (-len(v), v not in MILESTONE_VERBS, v)
    )
)
LEADERS = tuple(sorted(set(MODAL_PREFIXES + VERBS + ("并",)), key=lambda w: (-len(w), w)))
QUOTED_CORE = re.compile(r"“([^”]+)”|《([^》]+)》")
INNER_VERB = re.compile("(?:" + "|".join(re.escape(v) for v in INNER_VERBS) + ")")
ETC = re.compile(r"等(一批|一揽子|方面|领域|优质|相关|系列|新举措|国家).*$")
SCOPE = re.compile(r"^在.*?方面")
COUNT_PREFIX = re.compile(r"^(一批|更多|一系列)")


def verbs_in(clause: str) -> list[str]:
    """Lexicon verbs in the clause in reading order, longest match first, no overlaps."""
    found: list[tuple[int, str]] = []
    taken: set[int] = set()
    for verb in VERBS:
        for match in re.finditer(re.escape(verb), clause):
            span = set(range(*match.span()))
            if not span & taken:
                found.append((match.start(), verb))
                taken |= span
    return [verb for _, verb in sorted(found)]


def _strip_leaders(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for word in LEADERS:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word) :], True
                break
    return text


def _strip_tails(text: str) -> str:
    text = ETC.sub("", text)
    for tail in OBJECT_TAILS:
        if text.endswith(tail) and len(text) > len(tail) + 1:
            return text[: -len(tail)]
    return text


def _split_outside_quotes(text: str, marks: str) -> list[str]:
    items: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char in "“《(":
            depth += 1
        elif char in "”》)" and depth:
            depth -= 1
        elif char in marks and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return items


def _clean(item: str) -> str:
    return COUNT_PREFIX.sub("", _strip_tails(_strip_leaders(item.strip(" 、,"))))


def _objects(segment: str) -> list[str]:
    """One object, or several when every item of a 、/和 list names something by itself."""
    for marks in ("、", "和与"):
        items = [_clean(i) for i in _split_outside_quotes(segment, marks)]
        if len(items) > 1 and all(len(i) >= 3 and names_something(i) for i in items):
            return [o for i in items for o in _objects(i)]
    return [segment]


def named_things(clause: str, figures: list[str] | None = None) -> list[str]:
    """Objects of the clause that name something, plus the district places it mentions."""
    text = SCOPE.sub("", clause)
    for figure in figures or []:
        text = text.replace(figure, "")
    names: list[str] = []
    for segment in INNER_VERB.split(_clean(text)):
        for item in _objects(_clean(segment)):
            item = _clean(item)
            if len(item) >= 3 and item not in GENERIC_OBJECTS and names_something(item):
                names.append(item)
    for place in PLACES:
        if place in clause and not any(place in name for name in names):
            names.append(place)
    return list(dict.fromkeys(names))


def key_phrase(clause: str, figures: list[str] | None = None) -> str | None:
    """The clause's object when it names nothing: what a story would still have to mention."""
    text = SCOPE.sub("", clause)
    for figure in figures or []:
        text = text.replace(figure, "")
    phrase = _clean(INNER_VERB.split(_clean(text))[0])
    return phrase if len(phrase) >= 4 else None


def aliases_for(name: str) -> list[str]:
    """Shorter names a news story may use for ``name``."""
    aliases: list[str] = []
    plain = name.replace("“", "").replace("”", "").replace("《", "").replace("》", "")
    if plain != name:
        aliases.append(plain)
    for match in QUOTED_CORE.finditer(name):
        core = match.group(1) or match.group(2)
        aliases.extend(part for part in core.split("、") if len(part) >= 2)
    unqualified = LEVEL_QUALIFIERS.sub("", plain)
    if unqualified != plain and len(unqualified) >= 4:
        aliases.append(unqualified)
    return [a for a in dict.fromkeys(aliases) if a != name]
