"""Build the commitment catalog from the report texts and the curated overrides.

Only the plan part of each report yields commitments; its review part is
evidence about the previous year and is left to the extractor. The build is a
pure function of (report texts, overrides.json, this parser), which is what
lets a test prove that the committed ``data/catalog.json`` is not stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from services.catalog.clauses import Clause, judge, milestone_verbs, split_clauses
from services.catalog.entities import aliases_for, key_phrase, named_things, verbs_in
from services.catalog.lexicon import ENCOURAGEMENT_LEADS
from services.catalog.linking import link_restated
from services.catalog.model import Commitment, Kind, ReportRef
from services.catalog.overrides import Overrides, load_overrides
from services.catalog.report_text import parse_report
from services.catalog.store import MANIFEST_NAME, PACKAGED_CATALOG_PATH, PACKAGED_REPORTS_DIR
from services.catalog.targets import QUOTED, parse_targets

PACKAGE_DIR = Path(__file__).parent
REPO_ROOT = PACKAGE_DIR.parents[1]
REPORTS_DIR = PACKAGED_REPORTS_DIR
CATALOG_PATH = PACKAGED_CATALOG_PATH
MEETING = re.compile(r"召开(\S{2,12}?党代会)|在(\S{2,24}?人民代表大会第\S{1,3}次会议)上")
DEADLINE_IN_TEXT = re.compile(r"(20\d\d)年(底|前|内|末)?")


class ReportSource(BaseModel):
    """One report the catalog is built from (an entry of ``reports/manifest.json``)."""

    model_config = ConfigDict(frozen=True)
    file: str
    plan_year: int
    meeting: str
    adopted_on: date | None = None
    # The opening words of the line where the plan part starts, when the parser
    # cannot find it ("展望2026"); kept so that every rebuild reads the report alike.
    plan_starts_at: str | None = None

    @property
    def report_id(self) -> str:
        return f"luqiao-{self.plan_year}"

    def ref(self) -> ReportRef:
        return ReportRef(
            id=self.report_id,
            plan_year=self.plan_year,
            meeting=self.meeting,
            source_file=self.file,
            adopted_on=self.adopted_on,
        )


def seeds_dir() -> Path:
    """Where the original reports live (``LUQIAO_SEEDS_DIR``, default ../shared/seeds)."""
    configured = os.environ.get("LUQIAO_SEEDS_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "seeds"


def load_manifest(reports_dir: Path = REPORTS_DIR) -> list[ReportSource]:
    path = reports_dir / MANIFEST_NAME
    return [ReportSource.model_validate(e) for e in json.loads(path.read_text(encoding="utf-8"))]


def write_manifest(sources: list[ReportSource], reports_dir: Path) -> None:
    reports_dir.mkdir(parents=True, exist_ok=True)
    data = [s.model_dump(mode="json", exclude_none=True) for s in sorted(sources, key=_year)]
    (reports_dir / MANIFEST_NAME).write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def _year(source: ReportSource) -> int:
    return source.plan_year


def report_path(source: ReportSource, reports_dir: Path = REPORTS_DIR) -> Path:
    """The seeds copy when present, else the copy in ``reports_dir``, else the packaged one."""
    for candidate in (
        seeds_dir() / source.file,
        reports_dir / source.file,
        PACKAGED_REPORTS_DIR / source.file,
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"report {source.file} of the manifest is in none of {reports_dir}")


def detect_meeting(raw: str) -> str | None:
    match = MEETING.search(raw)
    return (match.group(1) or match.group(2)) if match else None


def normalise_clause(text: str) -> str:
    return re.sub(r"\s+", "", text)


def commitment_id(report_id: str, text: str) -> str:
    """Stable across parser changes: depends only on the report and the clause wording."""
    year = report_id.rsplit("-", 1)[-1][-2:]
    digest = hashlib.sha1(f"{report_id}|{normalise_clause(text)}".encode()).hexdigest()
    return f"c{year}-{digest[:10]}"


@dataclass
class _Used:
    """Which overrides matched something, so unmatched ones can be reported."""

    keys: set[tuple[str, str, str]]

    def mark(self, group: str, report: str, text: str) -> None:
        self.keys.add((group, report, text))


def _apply_merges(clauses: list[Clause], paragraph: str, merges: list[str]) -> list[Clause]:
    for merged in merges:
        start = paragraph.find(merged)
        if start < 0:
            continue
        end = start + len(merged)
        inside = [c for c in clauses if start <= c.start < end]
        if not inside:
            continue
        first = clauses.index(inside[0])
        clauses = [c for c in clauses if c not in inside]
        clauses.insert(first, Clause(merged, inside[0].sentence, start))
    return clauses


def _kind(text: str, has_targets: bool) -> Kind:
    if has_targets:
        return "quantitative"
    if text.startswith(ENCOURAGEMENT_LEADS):
        return "ongoing"
    # A verb inside a quoted name is part of the name: "推广“拿地即开工”模式" spreads a
    # practice (ongoing); it opens nothing.
    return "milestone" if milestone_verbs(QUOTED.sub("", text)) else "ongoing"


def _deadline(text: str, plan_year: int) -> date:
    match = DEADLINE_IN_TEXT.search(text)
    year = int(match.group(1)) if match and int(match.group(1)) >= plan_year else plan_year
    return date(year, 12, 31)


def build_report(
    raw: str, source: ReportSource, overrides: Overrides, used: _Used | None = None
) -> list[Commitment]:
    """Commitments of one report's plan part, overrides applied, in reading order."""
    used = used or _Used(set())
    rid = source.report_id
    parsed = parse_report(
        raw,
        source.file,
        source.plan_year,
        tuple(overrides.major_heading_prefixes),
        source.plan_starts_at,
    )
    include = {o.text for o in overrides.include if o.report == rid}
    exclude = {o.text for o in overrides.exclude if o.report == rid}
    merges = [o.text for o in overrides.merge if o.report == rid]
    corrections = {o.text: o for o in overrides.corrections if o.report == rid}
    commitments: list[Commitment] = []
    seen: set[str] = set()
    plan = parsed.part_paragraphs("plan")
    sectioned = any(p.section for p in plan)
    for paragraph in plan:
        # Outside any section: the plan's opening statement, overall aims, no actions.
        # A plan part without headings at all is read whole.
        if sectioned and not paragraph.section:
            continue
        clauses = _apply_merges(split_clauses(paragraph.text), paragraph.text, merges)
        for clause in clauses:
            text = clause.text
            if text in merges:
                used.mark("merge", rid, text)
            if text in include:
                used.mark("include", rid, text)
            elif text in exclude:
                used.mark("exclude", rid, text)
                continue
            elif judge(text) != "commitment":
                continue
            targets = parse_targets(text)
            entities = named_things(text, [t.text for t in targets])
            if not entities and not targets:
                entities = [phrase] if (phrase := key_phrase(text)) else []
            aliases = [a for name in entities for a in aliases_for(name)]
            kind = _kind(text, bool(targets))
            deadline = _deadline(text, source.plan_year)
            fix = corrections.get(text)
            if fix is not None:
                used.mark("corrections", rid, text)
                kind = fix.kind or ("quantitative" if fix.targets else kind)
                targets = fix.targets if fix.targets is not None else targets
                deadline = fix.deadline or deadline
                if fix.entities is not None:
                    entities = fix.entities
                    aliases = [a for name in entities for a in aliases_for(name)]
                aliases += fix.aliases
            cid = commitment_id(rid, text)
            if cid in seen:  # the same words twice in one plan: tell them apart by section
                cid = commitment_id(rid, " › ".join(paragraph.section) + "|" + text)
            seen.add(cid)
            commitments.append(
                Commitment(
                    id=cid,
                    report=source.ref(),
                    section=list(paragraph.section),
                    text=text,
                    sentence=clause.sentence,
                    kind=kind,
                    targets=targets,
                    verbs=verbs_in(text),
                    entities=entities,
                    aliases=[a for a in dict.fromkeys(aliases) if a not in entities],
                    deadline=deadline,
                )
            )
    return commitments


def _apply_alias_overrides(
    commitments: list[Commitment], overrides: Overrides, used: _Used
) -> list[Commitment]:
    result: list[Commitment] = []
    for commitment in commitments:
        extra: list[str] = []
        for entry in overrides.aliases:
            if entry.entity in commitment.entities or entry.entity in commitment.text:
                used.mark("aliases", "*", entry.entity)
                extra.extend(entry.aliases)
        if extra:
            merged = list(dict.fromkeys(commitment.aliases + extra))
            commitment = commitment.model_copy(update={"aliases": merged})
        result.append(commitment)
    return result


def _unused(overrides: Overrides, used: _Used) -> list[str]:
    missing: list[str] = []
    for group in ("include", "exclude", "merge", "corrections"):
        for entry in getattr(overrides, group):
            if (group, entry.report, entry.text) not in used.keys:
                missing.append(f"{group}: {entry.report} {entry.text}")
    for alias in overrides.aliases:
        if ("aliases", "*", alias.entity) not in used.keys:
            missing.append(f"aliases: {alias.entity}")
    return missing


def build_catalog(
    reports_dir: Path = REPORTS_DIR, overrides: Overrides | None = None
) -> list[Commitment]:
    """Every commitment of every report in the manifest, linked across years."""
    sources = load_manifest(reports_dir)
    return build_from(
        sources,
        lambda source: report_path(source, reports_dir).read_text(encoding="utf-8-sig"),
        overrides,
    )


def build_from(
    sources: list[ReportSource],
    read: Callable[[ReportSource], str],
    overrides: Overrides | None = None,
) -> list[Commitment]:
    """Every commitment of the given reports (their texts from ``read``), linked across years."""
    overrides = overrides or load_overrides()
    used = _Used(set())
    commitments: list[Commitment] = []
    for source in sorted(sources, key=_year):
        commitments.extend(build_report(read(source), source, overrides, used))
    commitments = _apply_alias_overrides(commitments, overrides, used)
    commitments, link_problems = link_restated(commitments, overrides)
    problems = _unused(overrides, used) + link_problems
    if problems:
        raise ValueError("overrides that match nothing:\n  " + "\n  ".join(problems))
    return commitments


def catalog_json(commitments: list[Commitment]) -> str:
    data = [c.model_dump(mode="json", exclude_none=True) for c in commitments]
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def write_catalog(commitments: list[Commitment], path: Path = CATALOG_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalog_json(commitments), encoding="utf-8")
