"""Read a work report as published and turn it into paragraphs under their headings.

Reports arrive in several shapes: the newspaper's Markdown-like ``#`` headings
(2025) or bare title lines and ``> `` lead paragraphs (2024), a 政府工作报告 with
numbered sections (一、二、), sub-items ((一)(二)) and numbered lists (1.…;), and
news articles that keep the report's line breaks. They carry photo captions and
credits between paragraphs, sentences broken across blank lines, Windows line
ends and full-width indentation.

The parts (front matter / review / plan) are found, in this order of trust, by
explicit markers ("回顾2025", "展望2026", "一、2025年工作回顾", "二、2026年工作安排",
"今年工作的总体要求和主要目标", "重点抓好以下几个方面"), by a line the caller names
(``plan_starts_at``), and only then by the seeds' opening words (a heading followed by
"2025年,是…"), which count only when two years are told apart or the caller says
which year is the plan. Ordinary news has none of these and comes back with no plan
part after one cheap scan.

Sections come from heading levels (``#`` count, 一、 above (一)); when one level
holds both the sections and their sub-sections (the 2025 seed's ``###``), the
sections are the headings that share a prefix with the part's first heading and
recur between the others ("聚力…").

Everything downstream (clause splitting, the verbatim-substring guarantee) relies
on one rule kept here: a paragraph's text is a substring of the source with its
line breaks removed (``flatten``).
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
# A line ending in one of these ends its paragraph even without a blank line after it.
LINE_END = ("。", "!", "\uff01", "?", "\uff1f", ";", "\uff1b", "。”", ":", "\uff1a")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
MD_LINE = re.compile(r"^[ \t\u3000]*#{1,6}\s+\S", re.MULTILINE)
CN_NUM = "一二三四五六七八九十"
NUMBERED_SECTION = re.compile(rf"^[{CN_NUM}]{{1,3}}[、.\uff0e]\s*")
NUMBERED_SUB = re.compile(rf"^[(\uff08][{CN_NUM}]{{1,3}}[)\uff09]\s*")
NUMBERED_ITEM = re.compile(
    r"^(?:\d{1,2}[.\uff0e、](?!\d)|[(\uff08]\d{1,2}[)\uff09]|[\u2460-\u2473])\s*"
)
TITLE_TAIL = re.compile("[:\uff1a]$")
TITLE_WRAPPERS = "*_\u3010\u3011[]"  # **展望2026**, 【展望2026】
SUB_LEAD_MAX = 30
TITLE_MAX = 40

_YEAR = r"(20\d\d)\s*年?"
REVIEW_MARKER = re.compile(
    rf"^(?:回顾\s*{_YEAR}(?:工作)?|{_YEAR}(?:工作)?(?:回顾|总结)"
    rf"|{_YEAR}(?:国民经济和社会发展)?(?:计划|工作|目标任务)(?:的)?(?:执行|完成)情况(?:回顾)?"
    r"|过去(?:的)?(?:一|五)年(?:来)?(?:的)?(?:工作)?(?:回顾)?|(?:本届政府)?(?:五年)?工作回顾)$"
)
PLAN_MARKER = re.compile(
    rf"^(?:展望\s*{_YEAR}"
    rf"|(?:{_YEAR}|今年|今后一年|新的一年)(?:的)?(?:政府)?(?:工作安排|主要任务|目标任务|重点工作"
    r"|工作任务|工作部署|主要工作|重点任务|工作思路和主要任务|(?:工作)?的?总体要求(?:和|与)主要(?:预期)?目标"
    r"|主要(?:预期)?目标(?:和重点任务)?|工作要点|工作思路|工作打算|工作计划)"
    rf"|(?:今年|{_YEAR})?(?:政府)?(?:工作|经济社会发展)?的?总体要求(?:和|与)主要(?:预期)?目标(?:任务)?"
    r"|重点抓好以下(?:几|[一二三四五六七八九十])个方面(?:工作)?)$"
)
# Markers that name the plan's own content stay a section; the others only open the part.
SECTION_MARKERS = re.compile(r"总体要求和主要")
YEAR_LEAD = re.compile(r"^(20\d\d)年")
YEAR_IS = re.compile(r"^20\d\d年[,\uff0c]?是")
# Opening words of a part that names no year: "过去一年,…" / "新的一年,…".
REVIEW_LEAD = re.compile(r"^(?:过去(?:的)?一年|一年来|回首(?:过去的)?一年)")
PLAN_LEAD = re.compile(r"^(?:新的一年|展望新的一年|今年[,\uff0c])")
# Cheap test for "could this be a report at all": any marker-like line or a heading.
REPORT_HINT = re.compile(
    r"^[\s\u3000>#]*(?:[一二三四五六七八九十]{1,3}[、.\uff0e]\s*)?"
    r"(?:回顾|展望|过去|今后一年|新的一年|今年.{0,12}(?:总体要求|任务|工作安排)|重点抓好以下"
    r"|20\d\d\s*年?(?:的)?(?:政府)?(?:工作)?(?:回顾|总结|安排|主要|目标任务|重点|任务|部署|总体要求"
    r"|思路|打算|计划)|#)",
    re.MULTILINE,
)
YEAR_LINE = re.compile(r"^[\s\u3000]*(20\d\d)年", re.MULTILINE)
# Photo captions and credit lines between paragraphs: never a heading.
CAPTION = re.compile(
    r"供图|摄影|[\s(\uff08]摄[)\uff09]?$|记者|通讯员|整理|^图为|^图[::\uff1a]|资料图|图片来源"
    r"|(?:景观|全景图?|夜景|一角|鸟瞰|掠影|风光|全貌|现场|剪影)$"
)
# Lead phrase of a "> " paragraph: short and without sentence marks.
LEAD_BREAK = re.compile(r"[。;、“]")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of prose with where it sits in the report."""

    text: str  # verbatim, line breaks removed; ``> ``, lead phrases and list numbers excluded
    section: tuple[str, ...]  # section › sub-section (or lead phrase), at most two
    part: Part
    line: int  # 1-based line of the paragraph's first line in the source


@dataclass
class ReportText:
    """A parsed report: its paragraphs plus what was recognised as headings and dropped."""

    source_file: str
    raw: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # captions, credits, stray title lines
    markers: list[str] = field(default_factory=list)  # the lines that opened a part
    plan_year: int | None = None  # the year the plan part is for
    review_year: int | None = None  # the year the review part looks back on

    def part_paragraphs(self, part: Part) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.part == part]

    @property
    def has_plan(self) -> bool:
        return any(p.part == "plan" for p in self.paragraphs)

    def summary(self) -> str:
        """What was found, in one paragraph: for an import that refuses."""
        counts = {part: len(self.part_paragraphs(part)) for part in ("front", "review", "plan")}
        return (
            f"paragraphs: {len(self.paragraphs)} "
            f"(front {counts['front']}, review {counts['review']}, plan {counts['plan']}); "
            f"part markers: {self.markers or 'none'}; "
            f"review year: {self.review_year}; plan year: {self.plan_year}; "
            f"headings ({len(self.headings)}): {self.headings[:12]}"
        )


def flatten(raw: str) -> str:
    """The source with line breaks and blank (whitespace-only) lines removed.

    A sentence broken across a blank line that holds a full-width space reads
    whole in the flat text, as it does on the page.
    """
    return "".join(line for line in raw.replace("\r", "").split("\n") if line.strip())


BlockKind = Literal["heading", "bare", "prose", "quote", "marker"]


@dataclass
class _Block:
    kind: BlockKind
    lines: list[str]
    line: int
    level: float = 0
    title: str = ""  # headings and markers: the title without its number

    @property
    def text(self) -> str:
        return "".join(self.lines).strip()


def _title(text: str) -> str:
    """A heading's title: emphasis and brackets, numbering and a trailing colon removed."""
    text = text.strip().strip(TITLE_WRAPPERS).strip()
    for pattern in (NUMBERED_SECTION, NUMBERED_SUB):
        text = pattern.sub("", text, count=1)
    return TITLE_TAIL.sub("", text.strip()).strip()


def _is_marker(text: str, plan_starts_at: str | None) -> bool:
    title = _title(text)
    if plan_starts_at and text.startswith(plan_starts_at) and len(title) <= TITLE_MAX:
        return not PROSE_MARKS.search(title)  # a prose line stays a paragraph that opens the part
    return len(title) <= TITLE_MAX and bool(REVIEW_MARKER.match(title) or PLAN_MARKER.match(title))


def _title_line(block: _Block) -> bool:
    """A lone short line without punctuation: a title or caption, never continued by the next."""
    if block.kind != "prose" or len(block.lines) != 1:
        return False
    text = block.lines[0].strip()
    return len(text) <= TITLE_MAX and not PROSE_MARKS.search(text)


def _blocks(raw: str, plan_starts_at: str | None) -> list[_Block]:
    """Group lines into blocks: headings, markers and list items stand alone.

    Consecutive lines form one block (the newspaper layout breaks lines inside a
    paragraph) unless a line ends a sentence or is a lone title line: then the next
    line starts a new paragraph, which is how a text without blank lines reads.
    """
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, raw_line in enumerate(raw.replace("\r", "").split("\n"), start=1):
        line = raw_line
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        heading = MD_HEADING.match(stripped)
        if heading:
            title = heading.group(2)
            kind: BlockKind = "marker" if _is_marker(title, plan_starts_at) else "heading"
            blocks.append(_Block(kind, [title], number, len(heading.group(1)), _title(title)))
            current = None
            continue
        if _is_marker(stripped, plan_starts_at):
            blocks.append(_Block("marker", [stripped], number, 1, _title(stripped)))
            current = None
            continue
        if NUMBERED_SECTION.match(stripped) and not PROSE_MARKS.search(
            NUMBERED_SECTION.sub("", stripped, count=1).rstrip(":\uff1a")
        ):
            blocks.append(_Block("heading", [stripped], number, 1, _title(stripped)))
            current = None
            continue
        sub = NUMBERED_SUB.match(stripped)
        if sub:
            rest = stripped[sub.end() :]
            head, stop, body = rest.partition("。")
            if not stop and not PROSE_MARKS.search(rest.rstrip(":\uff1a")):
                head, body = rest, ""
            if (stop or not body) and len(head) <= SUB_LEAD_MAX and head:
                blocks.append(_Block("heading", [head], number, 2, _title(head)))
                current = None
                if body.strip():
                    current = _Block("prose", [body], number)
                    blocks.append(current)
                continue
        item = NUMBERED_ITEM.match(stripped)
        if item:
            current = _Block("prose", [stripped[item.end() :]], number)
            blocks.append(current)
            continue
        quote = stripped.startswith("> ")
        body_line = stripped if quote else line
        if (
            current is None
            or quote
            or "".join(current.lines).rstrip().endswith(LINE_END)
            or current.kind not in ("prose", "quote")
            or _title_line(current)
        ):
            current = _Block("quote" if quote else "prose", [body_line], number)
            blocks.append(current)
        else:
            current.lines.append(line)
    for block in blocks:
        if block.kind == "prose" and not PROSE_MARKS.search(block.text):
            block.kind = "bare"
            block.title = _title(block.text)
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
            and not previous.text.endswith(SENTENCE_END)
            and not (block.kind == "bare" and CAPTION.search(block.text))
        ):
            previous.lines.extend(block.lines)
            continue
        joined.append(block)
    return joined


def _split_lead(block: _Block) -> tuple[str | None, str]:
    """A ``> `` block is a lead phrase plus body: "> 紧盯谋划招引,谋深…" or "> 主题教育铸忠诚\\n突出…"."""
    first = block.lines[0][2:]
    rest = "".join(block.lines[1:])
    if not PROSE_MARKS.search(first) and rest.strip():
        return first.strip(), rest.strip()
    body = (first + rest).strip()
    lead, comma, after = body.partition(",")
    if not comma:
        lead, comma, after = body.partition("\uff0c")
    if comma and len(lead) <= 12 and not LEAD_BREAK.search(lead):
        return lead.strip(), after.strip()
    return None, body


def looks_like_report(raw: str, plan_starts_at: str | None = None) -> bool:
    """Cheap pre-check: a marker line, a heading, or two year-led paragraphs of different years."""
    if plan_starts_at and plan_starts_at in raw:
        return True
    if REPORT_HINT.search(raw):
        return True
    return len(set(YEAR_LINE.findall(raw))) >= 2


def read_report(
    path: Path | str,
    plan_year: int | None = None,
    major_prefixes: tuple[str, ...] = (),
    plan_starts_at: str | None = None,
) -> ReportText:
    path = Path(path)
    return parse_report(
        path.read_text(encoding="utf-8-sig"), path.name, plan_year, major_prefixes, plan_starts_at
    )


@dataclass
class _Opening:
    """Where a part opens: a marker line or a heading over a year-led paragraph."""

    index: int
    part: Part | None  # None: decided by its year against the plan year
    year: int | None
    keeps_title: bool  # the marker is also the section title of what follows


def _marker_opening(index: int, block: _Block, plan_starts_at: str | None) -> _Opening:
    title = block.title
    review = REVIEW_MARKER.match(title)
    if review and not (plan_starts_at and block.text.startswith(plan_starts_at)):
        year = next((int(y) for y in review.groups() if y), None)
        return _Opening(index, "review", year, False)
    plan = PLAN_MARKER.match(title)
    year = next((int(y) for y in plan.groups() if y), None) if plan else None
    return _Opening(index, "plan", year, bool(SECTION_MARKERS.search(title)))


def _major_levels(blocks: list[_Block], indices: list[int], prefixes: tuple[str, ...]) -> None:
    """Within one part, demote the sub-sections that share a level with their sections.

    The sections are the headings starting with one of ``prefixes`` or, when none
    is given or none matches, with the two-character prefix of the part's first
    heading at that level, provided that prefix recurs after other headings.
    """
    by_level: dict[float, list[int]] = {}
    for index in indices:
        by_level.setdefault(blocks[index].level, []).append(index)
    for level, members in by_level.items():
        titles = [blocks[i].title for i in members]
        chosen = tuple(p for p in prefixes if any(t.startswith(p) for t in titles))
        if not chosen and len(titles) >= 3 and len(titles[0]) >= 2:
            prefix = titles[0][:2]
            marked = [t.startswith(prefix) for t in titles]
            first_gap = marked.index(False) if False in marked else len(marked)
            if sum(marked) >= 2 and any(marked[first_gap:]):
                chosen = (prefix,)
        if not chosen:
            continue
        for index in members:
            if not blocks[index].title.startswith(chosen):
                blocks[index].level = level + 0.5


def parse_report(
    raw: str,
    source_file: str,
    plan_year: int | None = None,
    major_prefixes: tuple[str, ...] = (),
    plan_starts_at: str | None = None,
) -> ReportText:
    """Paragraphs with their part (front matter / review / plan) and section path.

    ``plan_year`` says which year's part is the plan when the parts are told apart
    by their opening years (default: the latest); ``major_prefixes`` names the
    sections' common prefix when it cannot be found ("聚力"); ``plan_starts_at``
    is the opening words of the line where the plan part starts ("展望2026").
    """
    report = ReportText(source_file=source_file, raw=raw)
    blocks = _join_broken(_blocks(raw, plan_starts_at))
    markdown_style = MD_LINE.search(raw) is not None
    numbered_style = not markdown_style and any(
        b.kind == "heading" and b.level == 1 for b in blocks
    )

    def next_kind(index: int) -> str | None:
        return blocks[index + 1].kind if index + 1 < len(blocks) else None

    # Which bare lines are headings: in Markdown style none are (captions, credits);
    # otherwise a title line followed by prose is, unless it reads as a caption.
    for index, block in enumerate(blocks):
        if block.kind != "bare":
            continue
        if (
            not markdown_style
            and next_kind(index) in ("prose", "quote")
            and not CAPTION.search(block.text)
            and len(block.text) <= TITLE_MAX
        ):
            block.kind = "heading"
            block.level = 2 if numbered_style else 1
        else:
            report.dropped.append(block.text)
    report.headings = [b.title for b in blocks if b.kind in ("heading", "marker")]

    openings: dict[int, _Opening] = {}
    if looks_like_report(raw, plan_starts_at):
        openings = _find_openings(blocks, plan_starts_at, plan_year, report)
        _part_titles(blocks, openings)
    _assign(blocks, openings, major_prefixes, report)
    return report


def _year_lead(blocks: list[_Block], index: int) -> int | None:
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    if after is None or after.kind != "prose":
        return None
    match = YEAR_LEAD.match(after.text)
    return int(match.group(1)) if match else None


def _find_openings(
    blocks: list[_Block], plan_starts_at: str | None, plan_year: int | None, report: ReportText
) -> dict[int, _Opening]:
    """The blocks where a part opens, with the part and the year; sets the report's years."""
    openings: dict[int, _Opening] = {}
    for index, block in enumerate(blocks):
        if block.kind == "marker":
            openings[index] = _marker_opening(index, block, plan_starts_at)
        elif plan_starts_at and block.text.startswith(plan_starts_at):
            openings[index] = _Opening(index, "plan", None, False)
    # A heading over a year-led paragraph opens a part (the seeds' "2025年,是…"), and
    # so does one over "过去一年,…" (review) or "新的一年,…" (plan).
    titled: dict[int, int] = {}
    worded: dict[int, Part] = {}
    for index, block in enumerate(blocks):
        if block.kind != "heading" or index + 1 >= len(blocks):
            continue
        if (year := _year_lead(blocks, index)) is not None:
            titled[index] = year
        elif blocks[index + 1].kind == "prose":
            lead = blocks[index + 1].text
            if REVIEW_LEAD.match(lead):
                worded[index] = "review"
            elif PLAN_LEAD.match(lead):
                worded[index] = "plan"
    if openings:
        # Explicit markers decide the parts; a heading right after one over "2025年,是…"
        # is the part's title (a section whose paragraph merely starts with a year is not).
        for index, year in titled.items():
            marker = openings.get(index - 1)
            if marker is not None and not marker.keeps_title:
                marker.year = marker.year or year
                if YEAR_IS.match(blocks[index + 1].text):
                    openings[index] = _Opening(index, marker.part, marker.year, False)
        first_plan = min((i for i, o in openings.items() if o.part == "plan"), default=None)
        if first_plan is not None and not any(o.part == "review" for o in openings.values()):
            before = [i for i, part in worded.items() if part == "review" and i < first_plan]
            if before:
                openings[before[0]] = _Opening(before[0], "review", None, False)
    else:
        years = set(titled.values())
        if len(years) >= 2 or (plan_year is not None and plan_year in years):
            target = plan_year if plan_year in years else max(years)
            for index, year in titled.items():
                part: Part = "plan" if year == target else "review"
                openings[index] = _Opening(index, part, year, False)
        elif "plan" in worded.values() and "review" in worded.values():
            first_review = min(i for i, part in worded.items() if part == "review")
            for index, part in worded.items():
                if index >= first_review:
                    openings[index] = _Opening(index, part, None, False)
    report.markers = [blocks[i].text for i in sorted(openings) if blocks[i].kind == "marker"] or [
        blocks[i].text for i in sorted(openings)
    ]
    plan_years = [o.year for o in openings.values() if o.part == "plan" and o.year]
    review_years = [o.year for o in openings.values() if o.part == "review" and o.year]
    has_plan = any(o.part == "plan" for o in openings.values())
    has_review = any(o.part == "review" for o in openings.values())
    report.plan_year = plan_years[0] if plan_years else None
    report.review_year = review_years[0] if review_years else None
    if has_plan and report.plan_year is None:
        report.plan_year = plan_year or (report.review_year + 1 if report.review_year else None)
    if has_review and report.review_year is None and report.plan_year:
        report.review_year = report.plan_year - 1
    return openings


def _part_titles(blocks: list[_Block], openings: dict[int, _Opening]) -> None:
    """A heading right after a marker, above every other heading of its part, is its title.

    "展望2026" / "## 锚定目标 开局起步" / "### 推动…": the ``##`` line names the part,
    not a section, so its opening paragraph stays outside the sections.
    """
    starts = sorted(openings)
    for position, start in enumerate(starts):
        opening = openings[start]
        title = start + 1
        if (
            blocks[start].kind != "marker"
            or opening.keeps_title
            or title >= len(blocks)
            or title in openings
            or blocks[title].kind != "heading"
        ):
            continue
        end = starts[position + 1] if position + 1 < len(starts) else len(blocks)
        others = [b.level for b in blocks[title + 1 : end] if b.kind == "heading"]
        if others and blocks[title].level < min(others):
            openings[title] = _Opening(title, opening.part, opening.year, False)


def _assign(
    blocks: list[_Block],
    openings: dict[int, _Opening],
    major_prefixes: tuple[str, ...],
    report: ReportText,
) -> None:
    """Walk the blocks: part from the openings, section from a stack of heading levels."""
    part: Part = "front"
    part_headings: list[list[int]] = [[]]
    for index, block in enumerate(blocks):
        if index in openings:
            part_headings.append([])
            if openings[index].keeps_title:
                part_headings[-1].append(index)
        elif block.kind == "heading":
            part_headings[-1].append(index)
    for indices in part_headings:
        _major_levels(blocks, indices, major_prefixes)

    stack: list[_Block] = []
    for index, block in enumerate(blocks):
        opening = openings.get(index)
        if opening is not None:
            part = opening.part or part
            stack = [block] if opening.keeps_title else []
            if block.kind not in ("prose", "quote"):
                continue
        if block.kind == "heading":
            while stack and stack[-1].level >= block.level:
                stack.pop()
            stack.append(block)
            continue
        if block.kind in ("bare", "marker"):
            continue
        lead: str | None = None
        text = block.text
        if block.kind == "quote":
            lead, text = _split_lead(block)
        names = [b.title for b in stack] + ([lead] if lead else [])
        section = tuple(names) if len(names) <= 2 else (names[0], names[-1])
        if text:
            report.paragraphs.append(Paragraph(text, section, part, block.line))
