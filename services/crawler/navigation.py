"""The site's columns as its home page navigation names them, and names resolved to ids.

The real portal's column ids cannot be checked from the build machines, so the
crawler finds its columns by the names a reader sees (今日路桥, 部门动态, 镇街动态,
通知公告). Pure functions: page text in, columns out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

COLUMN_PATH = re.compile(r"/col/col(\d+)/index\.html?$")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NavColumn:
    column_id: str
    name: str
    url: str


@dataclass(frozen=True)
class ResolvedColumn:
    wanted: str  # as configured
    column_id: str | None
    name: str | None
    error: str | None = None


def navigation_columns(page_html: str, base_url: str) -> list[NavColumn]:
    """Every column linked from the page (navigation first, as the page orders them)."""
    if not page_html.strip():
        return []
    doc = lxml.html.document_fromstring(page_html)
    found: dict[str, NavColumn] = {}
    for link in doc.xpath("//a[@href]"):
        url = urljoin(base_url, (link.get("href") or "").strip())
        match = COLUMN_PATH.search(urlsplit(url).path)
        if not match:
            continue
        name = SPACES.sub("", link.get("title") or link.text_content() or "")
        column_id = match.group(1)
        if name and column_id not in found:
            found[column_id] = NavColumn(column_id, name, url)
    return list(found.values())


def _subsequence(short: str, long: str) -> bool:
    """镇街动态 in 乡镇街道动态: every character, in order."""
    rest = iter(long)
    return all(ch in rest for ch in short)


def resolve_columns(wanted: list[str], navigation: list[NavColumn]) -> list[ResolvedColumn]:
    """Ids stay ids (named when the navigation knows them); names become ids.

    A name matches a navigation entry exactly, or else when its characters appear
    in order in exactly one entry (镇街动态 → 乡镇街道动态); anything else is an
    error that names the candidates.
    """
    by_id = {c.column_id: c for c in navigation}
    resolved: list[ResolvedColumn] = []
    for entry in wanted:
        key = SPACES.sub("", entry)
        if key.isdigit():
            known = by_id.get(key)
            resolved.append(ResolvedColumn(entry, key, known.name if known else None))
            continue
        exact = [c for c in navigation if c.name == key]
        loose = exact or [c for c in navigation if _subsequence(key, c.name)]
        if len(loose) == 1:
            resolved.append(ResolvedColumn(entry, loose[0].column_id, loose[0].name))
        elif loose:
            names = "、".join(f"{c.name}({c.column_id})" for c in loose)
            resolved.append(ResolvedColumn(entry, None, None, f"栏目名不唯一 / ambiguous: {names}"))
        else:
            resolved.append(
                ResolvedColumn(entry, None, None, "导航中没有此栏目 / not in the site's navigation")
            )
    return resolved
