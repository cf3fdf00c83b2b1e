"""Link a plan's commitments to the next year's plan that restates them.

A commitment restated in the next plan was, as a rule, not finished in its own
year: the tracker uses the link to carry the story over. Two commitments are
linked when a distinctive name of one (an entity or alias of four characters
or more) appears in the other; the overrides add the links the names cannot
show (renamed projects) and remove coincidental ones.
"""

from __future__ import annotations

from services.catalog.lexicon import LEVEL_QUALIFIERS
from services.catalog.model import Commitment, Related
from services.catalog.overrides import LinkEntry, Overrides

# Names too common across both plans to mean "the same commitment".
COMMON_NAMES = frozenset(
    {
        "一批",
        "全覆盖",
        "示范区",
        "产业园",
        "试点",
        "机制",
        "体系",
        "项目",
        "平台",
        "行动",
        "产业项目",
    }
)


def _plain(text: str) -> str:
    return text.replace("“", "").replace("”", "")


def _keys(commitment: Commitment) -> set[str]:
    keys: set[str] = set()
    for name in commitment.entities + commitment.aliases:
        plain = LEVEL_QUALIFIERS.sub("", _plain(name))
        if len(plain) >= 4 and plain not in COMMON_NAMES:
            keys.add(plain)
    return keys


def _pairs_by_name(earlier: list[Commitment], later: list[Commitment]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for old in earlier:
        old_keys, old_text = _keys(old), _plain(old.text)
        for new in later:
            new_text = _plain(new.text)
            if any(k in new_text for k in old_keys) or any(k in old_text for k in _keys(new)):
                pairs.add((old.id, new.id))
    return pairs


def _find(commitments: list[Commitment], report: str, text: str) -> Commitment | None:
    for commitment in commitments:
        if commitment.report.id == report and commitment.text == text:
            return commitment
    return None


def _resolve(
    commitments: list[Commitment], entries: list[LinkEntry], group: str, problems: list[str]
) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for entry in entries:
        old = _find(commitments, entry.report, entry.text)
        new = _find(commitments, entry.later_report, entry.later_text)
        if old is None or new is None:
            problems.append(f"{group}: {entry.report} {entry.text} -> {entry.later_text}")
        else:
            pairs.add((old.id, new.id))
    return pairs


def link_restated(
    commitments: list[Commitment], overrides: Overrides
) -> tuple[list[Commitment], list[str]]:
    """Commitments with ``related`` filled in both directions, plus override problems."""
    problems: list[str] = []
    years = sorted({c.report.plan_year for c in commitments})
    pairs: set[tuple[str, str]] = set()
    for year in years:
        earlier = [c for c in commitments if c.report.plan_year == year]
        later = [c for c in commitments if c.report.plan_year == year + 1]
        pairs |= _pairs_by_name(earlier, later)
    pairs |= _resolve(commitments, overrides.links, "links", problems)
    unlinked = _resolve(commitments, overrides.unlinks, "unlinks", problems)
    for pair in unlinked:
        if pair not in pairs:
            problems.append(f"unlinks: {pair} was not linked")
    pairs -= unlinked
    related: dict[str, list[Related]] = {}
    for old, new in sorted(pairs):
        related.setdefault(old, []).append(Related(id=new, relation="restated_in"))
        related.setdefault(new, []).append(Related(id=old, relation="restates"))
    linked = [
        c.model_copy(update={"related": related[c.id]}) if c.id in related else c
        for c in commitments
    ]
    return linked, problems
