"""Build ``articles.jsonl`` from the hand-written ``sources/*.txt`` batches.

Why a build step: long Chinese articles are far easier to write, review and
diff as plain text than as escaped JSON lines, so the batches are the source
of truth and the JSON-lines file is generated from them.

Source format, one article per block::

    @@ L001
    set: real-shape
    url: https://www.luqiao.gov.cn/art/2025/3/14/art_1229_5890123.html
    title: ...
    published_at: 2025-03-14T09:30:00+08:00
    source: 路桥区住建局
    column: 部门动态
    category: positive
    link: 2025 | 改造老旧小区4个 | in_progress
    planned: 2025 | 打通“断头路”10条
    note: one line

    first paragraph
    second paragraph

Header lines run until the first blank line; every following non-blank line
is one paragraph, joined with "\\n" in ``text``. A block without a ``title:``
line is a headline-less repost: its ``title`` is JSON ``null``. A block
without a ``set:`` line belongs to the first set, ``v1`` (L001-L135, short
uniform articles); the real-shape articles of issue 12 say ``set: real-shape``,
so an evaluation can report the two parts apart.

Split: fixed per article and stable when articles are appended. Within each
category, articles in id order are grouped in blocks of five; each block gets
the pattern dev, dev, dev, heldout, heldout shuffled with ``random.Random``
seeded by (SPLIT_SEED, category, block number). So the split is random,
stratified by category (60/40 per full block; a short last block gets
round(60%) dev but at least one heldout when it has two or more articles),
and stable for every article in a full block.

Blocks never straddle two sets: a later set's articles form their own blocks,
numbered on from the category's last block of the earlier sets (same seed
string). So appending a set cannot move any earlier article between dev and
heldout, not even one in a short last block, and the new articles' split is
decided by the same rule, not by hand.

A set in ``HELDOUT_ONLY_SETS`` (``real-shape-2``, ``real-shape-3``, ``real-shape-5``,
``real-shape-8`` and ``real-shape-10``, each written blind after the extractor was tuned on the earlier sets) is held out
whole: it is a test set only, so no article of it goes to dev and it numbers
no blocks.

A set in ``DEV_ONLY_SETS`` (``real-shape-4``, ``real-shape-6``, ``real-shape-7`` and ``real-shape-9``, each written apart from the
extractor as material to tune on) is the opposite: every article is dev, none held out, and it
numbers no blocks either, so adding it moves no earlier article.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

Article = dict[str, Any]  # one labelled article, as parsed from JSON

SPLIT_SEED = 20250509
BLOCK_PATTERN = ("dev", "dev", "dev", "heldout", "heldout")
HERE = Path(__file__).resolve().parent
SETS = (
    "v1",
    "real-shape",
    "real-shape-2",
    "real-shape-3",
    "real-shape-4",
    "real-shape-5",
    "real-shape-6",
    "real-shape-7",
    "real-shape-8",
    "real-shape-9",
    "real-shape-10",
)  # in the order added; blocks numbered on in this order
DEFAULT_SET = SETS[0]
# Sets written blind as a test of an extractor already tuned on the earlier sets: every article is
# held out (nobody may tune on them), so they take no part in the block rule.
HELDOUT_ONLY_SETS = frozenset(
    {"real-shape-2", "real-shape-3", "real-shape-5", "real-shape-8", "real-shape-10"}
)
# Sets written apart from the extractor to tune on: every article is dev (it is a tuning set, so
# none of it can serve as a test), and they take no part in the block rule either.
DEV_ONLY_SETS = frozenset({"real-shape-4", "real-shape-6", "real-shape-7", "real-shape-9"})
FIELD_ORDER = (
    "id",
    "split",
    "set",
    "url",
    "title",
    "published_at",
    "source",
    "column",
    "text",
    "category",
    "links",
    "planned_mentions",
    "note",
)


def parse_ref(value: str, with_stage: bool) -> Article:
    """Parse ``2025 | clause | stage`` (stage only for links)."""
    parts = [p.strip() for p in value.split("|")]
    expected = 3 if with_stage else 2
    if len(parts) != expected:
        raise ValueError(f"bad reference {value!r}")
    ref: Article = {"plan_year": int(parts[0]), "clause": parts[1]}
    if with_stage:
        ref["stage"] = parts[2]
    return ref


def parse_block(block: str) -> Article:
    """Turn one ``@@`` block into an article dict (without split)."""
    lines = block.split("\n")
    article: Article = {
        "id": lines[0].strip(),
        "set": DEFAULT_SET,
        "title": None,
        "links": [],
        "planned_mentions": [],
    }
    i = 1
    while i < len(lines) and lines[i].strip():
        key, _, value = lines[i].partition(":")
        key, value = key.strip(), value.strip()
        if key == "link":
            article["links"].append(parse_ref(value, True))
        elif key == "planned":
            article["planned_mentions"].append(parse_ref(value, False))
        else:
            article[key] = value
        i += 1
    paragraphs = [ln.strip() for ln in lines[i:] if ln.strip()]
    article["text"] = "\n".join(paragraphs)
    return article


def read_sources(directory: Path) -> list[Article]:
    """Read every batch file in name order."""
    articles: list[Article] = []
    for path in sorted(directory.glob("*.txt")):
        content = path.read_text(encoding="utf-8")
        for block in content.split("@@ ")[1:]:
            articles.append(parse_block(block))
    return articles


def block_pattern(size: int) -> list[str]:
    """Split labels for a block: 3 dev + 2 heldout, or 60/40 rounded for a short last block."""
    if size == len(BLOCK_PATTERN):
        return list(BLOCK_PATTERN)
    n_dev = max(1, round(0.6 * size)) if size < 2 else min(size - 1, round(0.6 * size))
    return ["dev"] * n_dev + ["heldout"] * (size - n_dev)


def assign_splits(articles: list[Article]) -> None:
    """Stratified, seeded, append-stable split (see module docstring)."""
    unknown = {str(a.get("set")) for a in articles} - set(SETS)
    if unknown:
        raise ValueError(f"unknown set(s) {sorted(unknown)}; known: {SETS}")
    next_block: dict[str, int] = {}
    for set_name in SETS:
        whole_split = (
            "heldout"
            if set_name in HELDOUT_ONLY_SETS
            else "dev"
            if set_name in DEV_ONLY_SETS
            else None
        )
        if whole_split is not None:
            for article in articles:
                if article.get("set") == set_name:
                    article["split"] = whole_split
            continue
        by_category: dict[str, list[Article]] = {}
        members_of_set = (a for a in articles if a.get("set") == set_name)
        for article in sorted(members_of_set, key=lambda a: str(a["id"])):
            by_category.setdefault(str(article["category"]), []).append(article)
        for category, members in by_category.items():
            for start in range(0, len(members), len(BLOCK_PATTERN)):
                block = members[start : start + len(BLOCK_PATTERN)]
                pattern = block_pattern(len(block))
                block_no = next_block.get(category, 0)
                next_block[category] = block_no + 1
                random.Random(f"{SPLIT_SEED}:{category}:{block_no}").shuffle(pattern)
                for offset, article in enumerate(block):
                    article["split"] = pattern[offset]


def serialize(article: Article) -> str:
    """One JSON line with the fields in a fixed order."""
    ordered = {k: article[k] for k in FIELD_ORDER if k in article}
    return json.dumps(ordered, ensure_ascii=False)


def main() -> int:
    articles = read_sources(HERE / "sources")
    assign_splits(articles)
    out = HERE / "articles.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(serialize(article) + "\n")
    print(f"wrote {len(articles)} articles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
