"""A fixture site of more than a thousand articles, for the fault suite's crawler.

The articles are the labelled set's (``tests/data/labelled/articles.jsonl``: real
shapes of the district's news, with evidence in many of them), each published under
several addresses and spread over the four columns and both list engines. A copy
carries its number in the title, so the crawler does not take it for the same story
under a second address (which it rightly publishes once). The site's columns, robots.txt
and one article page that always answers 500 are data files in ``tests/data/site_faults``.

The test publishes them oldest first, in batches (``FixtureSite.publish``), as the real
site does over time: a later batch is never older than what the crawler has read.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from tests.fixture_site import Article

DATA = Path(__file__).parents[1] / "data"
LABELLED = DATA / "labelled" / "articles.jsonl"
SITE_DATA = DATA / "site_faults"
# Article page shapes of the portal that carry a whole article (not the hostile ones).
TEMPLATES = ("zoom", "content", "maintxt", "trs", "wzzw")


def labelled_articles(copies: int) -> list[Article]:
    """``copies`` articles per labelled one, oldest first (the order the site publishes)."""
    columns = list(json.loads((SITE_DATA / "site.json").read_text("utf-8"))["columns"])
    lines = LABELLED.read_text("utf-8").splitlines()
    # A page of the portal always has a title; the few labelled reprints without one are left out.
    base = [item for line in lines if line for item in [json.loads(line)] if item.get("title")]
    made = []
    for copy in range(copies):
        for n, item in enumerate(base):
            path = urlsplit(item["url"]).path.replace(".html", f"_{copy}.html")
            made.append(
                Article(
                    path=path,
                    title=item["title"] if copy == 0 else f"{item['title']}（{copy}）",
                    pubdate=item["published_at"][:16].replace("T", " "),
                    source=item.get("source") or "",
                    template=TEMPLATES[(n + copy) % len(TEMPLATES)],
                    paragraphs=[p for p in item["text"].split("\n") if p.strip()],
                    column=columns[(n + copy) % len(columns)]["id"],
                )
            )
    return sorted(made, key=lambda a: (a.pubdate, a.path))
