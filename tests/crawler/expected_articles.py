"""What a complete crawl of the fixture site must publish, derived from its data files."""

from __future__ import annotations

from datetime import date

from tests.fixture_site import Article, FixtureSite

BACKFILL = date(2024, 1, 1)


def publishable(site: FixtureSite, *, mirror_allowed: bool = False) -> dict[str, Article]:
    """Listed, in a crawled column, after the back-fill date, and parseable (not 'broken')."""
    found: dict[str, Article] = {}
    for path, article in site.data.articles.items():
        if article.template == "broken" or date.fromisoformat(article.date) < BACKFILL:
            continue
        if article.on_mirror:
            if mirror_allowed:
                found[f"{site.mirror_url}{path}"] = article
            continue
        if article.listed and article.column in site.data.columns:
            found[f"{site.url}{path}"] = article
    return found
