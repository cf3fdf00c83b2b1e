"""Add a report to the catalog: read it, check it, and only then write anything.

``prepare_import`` is pure (no file is written): it parses the new report, refuses
with what it found when it finds no plan part or fewer than a handful of
commitments, and builds the whole catalog as it would be with the report in.
``commit_import`` writes the report copy, the manifest and the catalog into the
data directory (``CatalogStore``), never into the package.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.catalog.builder import (
    ReportSource,
    build_from,
    catalog_json,
    detect_meeting,
    load_manifest,
    report_path,
    write_manifest,
)
from services.catalog.model import Commitment
from services.catalog.overrides import Overrides
from services.catalog.report_text import ReportText, parse_report
from services.catalog.store import CatalogStore

# Fewer commitments than this from a whole report means the parser misread it.
MIN_COMMITMENTS = 5


class ImportRefused(Exception):
    """The report was not imported; the message says what was found and what to pass."""


@dataclass
class PreparedImport:
    source: ReportSource
    raw: str
    parsed: ReportText
    catalog: list[Commitment]  # the whole catalog with the report in, linked

    @property
    def added(self) -> list[Commitment]:
        return [c for c in self.catalog if c.report.id == self.source.report_id]


def _found(parsed: ReportText) -> str:
    return f"found {parsed.summary()}"


def prepare_import(
    raw: str,
    file_name: str,
    reports_dir: Path,
    overrides: Overrides,
    *,
    year: int | None = None,
    meeting: str | None = None,
    adopted_on: date | None = None,
    plan_starts_at: str | None = None,
    min_commitments: int = MIN_COMMITMENTS,
) -> PreparedImport:
    """The catalog as it would be with this report in; raises ``ImportRefused``."""
    parsed = parse_report(
        raw, file_name, year, tuple(overrides.major_heading_prefixes), plan_starts_at
    )
    if not parsed.has_plan:
        example = plan_starts_at or (f"展望{year}" if year else "展望2026")
        raise ImportRefused(
            f"no plan part found in {file_name}: {_found(parsed)}.\n"
            f'Name the line where the plan starts, e.g. --plan-starts-at "{example}" '
            "(its opening words; one of the headings above)."
        )
    plan_year = year or parsed.plan_year
    if plan_year is None:
        raise ImportRefused(
            f"the plan part of {file_name} names no year: {_found(parsed)}.\nPass --year 2026."
        )
    meeting = meeting or detect_meeting(raw)
    if not meeting:
        raise ImportRefused(
            f"no meeting named in {file_name} (…召开七届五次党代会 / 在…人民代表大会第…次会议上);"
            " pass --meeting 七届五次党代会."
        )
    source = ReportSource(
        file=file_name,
        plan_year=plan_year,
        meeting=meeting,
        adopted_on=adopted_on,
        plan_starts_at=plan_starts_at,
    )
    sources = [s for s in load_manifest(reports_dir) if s.plan_year != plan_year]
    if any(s.file == file_name for s in sources):
        raise ImportRefused(f"{file_name} is already in the catalog for another year; rename it.")

    def read(entry: ReportSource) -> str:
        if entry.file == file_name:
            return raw
        return report_path(entry, reports_dir).read_text(encoding="utf-8-sig")

    try:
        catalog = build_from([*sources, source], read, overrides)
    except ValueError as problem:  # overrides of a replaced report that now match nothing
        raise ImportRefused(f"the catalog would not build with {file_name}: {problem}") from problem
    prepared = PreparedImport(source, raw, parsed, catalog)
    if len(prepared.added) < min_commitments:
        per_section = Counter(" › ".join(c.section) for c in prepared.added)
        raise ImportRefused(
            f"only {len(prepared.added)} commitments in the plan part of {file_name} "
            f"(at least {min_commitments} expected; per section: {dict(per_section)}): "
            f"{_found(parsed)}.\nIf the plan starts elsewhere, name it with "
            f'--plan-starts-at "展望{plan_year}"; if the report really is this short, '
            f"pass --min-commitments {len(prepared.added)}."
        )
    return prepared


def decode_report(data: bytes, file_name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030, in which many official texts are saved."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(f"{file_name} is neither UTF-8 nor GB18030 text; save it as UTF-8.")


def commit_import(prepared: PreparedImport, store: CatalogStore, reports_dir: Path) -> Path:
    """Write the report copy, the manifest (every report) and the catalog into the store."""
    store.reports_dir.mkdir(parents=True, exist_ok=True)
    (store.reports_dir / prepared.source.file).write_text(prepared.raw, encoding="utf-8")
    sources = [s for s in load_manifest(reports_dir) if s.plan_year != prepared.source.plan_year]
    write_manifest([*sources, prepared.source], store.reports_dir)
    store.catalog_path.write_text(catalog_json(prepared.catalog), encoding="utf-8")
    return store.catalog_path


def dry_run_lines(prepared: PreparedImport) -> list[str]:
    """What an import would add, per section, with targets and carried-over links."""
    source, parsed = prepared.source, prepared.parsed
    added = prepared.added
    by_id = {c.id: c for c in prepared.catalog}
    lines = [
        f"would import {source.file} as {source.report_id} ({source.meeting}), "
        f"plan year {source.plan_year}, review of {parsed.review_year or '—'}",
        f"  {parsed.summary()}",
        f"  {len(added)} commitments:",
    ]
    sections: dict[str, list[Commitment]] = {}
    for commitment in added:
        sections.setdefault(" › ".join(commitment.section), []).append(commitment)
    for section, members in sections.items():
        lines.append(f"  [{section}] {len(members)}")
        for c in members:
            targets = "; ".join(
                f"{t.metric} {t.comparator} {t.value:g}"
                + (f"–{t.upper:g}" if t.upper is not None else "")
                + f" {t.unit}"
                for t in c.targets
            )
            restates = [
                by_id[r.id].text for r in c.related if r.relation == "restates" and r.id in by_id
            ]
            line = f"    - {c.text} ({c.kind})"
            if targets:
                line += f"  targets: {targets}"
            if restates:
                line += f"  restates: {' / '.join(restates)}"
            lines.append(line)
    lines.append("nothing written (--dry-run)")
    return lines
