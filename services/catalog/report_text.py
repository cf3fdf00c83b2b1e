"""Read a work report as published and turn it into paragraphs under their headings.

The reports arrive as newspaper text: Markdown-like ``#`` headings (2025) or
bare title lines and ``> `` lead paragraphs (2024), photo captions between
paragraphs, and sentences broken across blank lines by the layout. Everything
downstream (clause splitting, the verbatim-substring guarantee) relies on one
rule kept here: a paragraph's text is the source with its line breaks removed
and nothing else changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Part = Literal["front", "review", "plan"]

# Sentence punctuation: a block that has none is a title, a caption or a credit line.
PROSE_MARKS = re.compile("[,\uff0c。;\uff1b、:\uff1a!\uff01?\uff1f]")
# A block ending in one of these is complete; anything else continues in the next block.
SENTENCE_END = (
    "。",
    ";",
    "\uff1b",
    "!",
    "\uff01",
    "?",
    "\uff1f",
    ":",
    "\uff1a",
    "”",
    ")",
    "\uff09",
)
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
PART_MARKER = re.compile(r"^(回顾|展望)(\d{4})$")
YEAR_LEAD = re.compile(r"^(\d{4})年")
# Top-level sections of the plan part ("聚力…"); the headings below them are sub-sections.
DEFAULT_MAJOR_PREFIXES = ("聚力",)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of prose with where it sits in the report."""

    text: str  # verbatim, line breaks removed, ``> `` and the lead phrase excluded
    section: tuple[str, ...]  # major heading › sub heading (or lead phrase)
    part: Part
    line: int  # 1-based line of the paragraph's first line in the source


@dataclass
class ReportText:
    """A parsed report: its paragraphs plus what was recognised as headings and dropped."""

    source_file: str
    raw: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # captions, credits, part markers
    plan_year: int | None = None  # the year the plan part is for (None: no plan part)
    review_year: int | None = None  # the year the review part looks back on

    @property
    def flat(self) -> str:
        """The source with line breaks removed: every paragraph text is a substring of it."""
        return flatten(self.raw)

    def part_paragraphs(self, part: Part) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.part == part]


def flatten(raw: str) -> str:
    return raw.replace("\r", "").replace("\n", "")


@dataclass
class _Block:
    kind: Literal["heading", "bare", "prose", "quote"]
    lines: list[str]
    line: int
    level: int = 0

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _blocks(raw: str) -> list[_Block]:
    """Group consecutive non-blank lines; a Markdown heading is always its own block."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(raw.replace("\r", "").split("\n"), start=1):
        if not line.strip():
            current = None
            continue
        heading = MD_HEADING.match(line)
        if heading:
            blocks.append(_Block("heading", [heading.group(2)], number, len(heading.group(1))))
            current = None
            continue
        if current is None or line.startswith("> "):
            current = _Block("quote" if line.startswith("> ") else "prose", [line], number)
            blocks.append(current)
        else:
            current.lines.append(line)
    for block in blocks:
        if block.kind == "prose" and not PROSE_MARKS.search(block.text):
            block.kind = "bare"
    return blocks


def _join_broken(blocks: list[_Block]) -> list[_Block]:
    """Join a prose block that stops mid-sentence with the prose block after it.

    The layout breaks a few sentences across blank lines ("…10万平方" / "米"); the
    next block is a continuation when the previous one did not end a sentence.
    """
    joined: list[_Block] = []
    for block in blocks:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.kind in ("prose", "quote")
            and block.kind in ("prose", "bare")
            and not previous.text.rstrip().endswith(SENTENCE_END)
        ):
            previous.lines.extend(block.lines)
            continue
        joined.append(block)
    return joined


def _split_lead(block: _Block) -> tuple[str | None, str]:
    """A ``> `` block is a lead phrase plus body: "> 紧盯谋划招引,谋深…" or "> 主题教育铸忠诚\\n突出…"."""
    first = block.lines[0][2:]
    rest = "".join(block.lines[1:])
    if not PROSE_MARKS.search(first) and rest:
        return first.strip(), rest
    body = first + rest
    lead, comma, after = body.partition(",")
    if comma and len(lead) <= 12 and not re.search(r"[。;、“]", lead):
        return lead.strip(), after
    return None, body


def read_report(
    path: Path | str,
    plan_year: int | None = None,
    major_prefixes: tuple[str, ...] = DEFAULT_MAJOR_PREFIXES,
) -> ReportText:
    path = Path(path)
    return parse_report(path.read_text(encoding="utf-8"), path.name, plan_year, major_prefixes)


def parse_report(
    raw: str,
    source_file: str,
    plan_year: int | None = None,
    major_prefixes: tuple[str, ...] = DEFAULT_MAJOR_PREFIXES,
) -> ReportText:
    """Paragraphs with their part (front matter / review / plan) and section path.

    A part starts at a heading whose first paragraph opens with a year ("2025年,是…");
    the plan part is the one for ``plan_year`` (default: the latest such year).
    """
    report = ReportText(source_file=source_file, raw=raw)
    blocks = _join_broken(_blocks(raw))
    markdown_style = any(b.kind == "heading" for b in blocks)

    def next_kind(index: int) -> str | None:
        return blocks[index + 1].kind if index + 1 < len(blocks) else None

    # Decide which bare lines are headings: in Markdown style none are (captions,
    # credits, part markers); in bare style a title line is followed by prose.
    headings: dict[int, str] = {}
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            headings[index] = block.text.strip()
        elif block.kind == "bare":
            text = block.text.strip()
            if not markdown_style and next_kind(index) in ("prose", "quote"):
                headings[index] = text
            else:
                report.dropped.append(text)
    report.headings = list(headings.values())

    part_years: dict[int, int] = {}
    for index in headings:
        if index + 1 < len(blocks) and blocks[index + 1].kind == "prose":
            match = YEAR_LEAD.match(blocks[index + 1].text.strip())
            if match:
                part_years[index] = int(match.group(1))
    year = plan_year or max(part_years.values(), default=0)
    if year in part_years.values():
        report.plan_year = year
    earlier = [y for y in part_years.values() if y < year]
    report.review_year = max(earlier) if earlier else None

    part: Part = "front"
    major: str | None = None
    minor: str | None = None
    for index, block in enumerate(blocks):
        if index in part_years:
            part = "plan" if part_years[index] == year else "review"
            major = minor = None
            continue
        if index in headings:
            title = headings[index]
            if PART_MARKER.match(title):
                continue
            if title.startswith(major_prefixes) or not (major or "").startswith(major_prefixes):
                major, minor = title, None
            else:
                minor = title
            continue
        if block.kind == "bare":
            continue
        lead: str | None = None
        text = block.text
        if block.kind == "quote":
            lead, text = _split_lead(block)
        section: tuple[str, ...] = tuple(s for s in (major, lead or minor) if s)
        if text.strip():
            report.paragraphs.append(Paragraph(text, section, part, block.line))
    return report
