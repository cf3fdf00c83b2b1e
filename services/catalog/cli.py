"""``luqiao-monitor catalog``: show, rebuild and extend the commitment catalog.

Mounted by the main CLI as a sub-app. The bare command prints the catalog (a
table, or JSON with ``--format json``) and its counts, so a reader can check
the figures quoted in docs/catalog.md; ``build`` regenerates the data file
from the reports and overrides; ``import`` adds next year's report with one
command, into the data directory (never the package), and feeds it as
evidence; ``export`` writes it as JSON or CSV for journalists.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from services.catalog import load_catalog
from services.catalog.builder import CATALOG_PATH, build_catalog, catalog_json, write_catalog
from services.catalog.importing import (
    MIN_COMMITMENTS,
    ImportRefused,
    commit_import,
    decode_report,
    dry_run_lines,
    prepare_import,
)
from services.catalog.model import Commitment
from services.catalog.overrides import load_overrides
from services.catalog.review_feed import feed_embedded, publish_to_kafka, report_article
from services.catalog.settings import CatalogSettings
from services.catalog.store import CatalogStore

catalog_app = typer.Typer(help="The catalog of commitments of the district work reports.")

TEXT_WIDTH = 40


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help="Catalog file (default: the packaged one).")
]


def counts_lines(commitments: list[Commitment]) -> list[str]:
    """Counts per report and per report › top-level section, as quoted in the docs."""
    lines = ["counts per report:"]
    per_report = Counter(c.report.id for c in commitments)
    for report, count in sorted(per_report.items()):
        lines.append(f"  {report}\t{count}")
    lines.append("counts per kind:")
    per_kind = Counter((c.report.id, c.kind) for c in commitments)
    for (report, kind), count in sorted(per_kind.items()):
        lines.append(f"  {report}\t{kind}\t{count}")
    lines.append("counts per section:")
    per_section = Counter((c.report.id, c.section[0] if c.section else "") for c in commitments)
    for (report, section), count in per_section.items():
        lines.append(f"  {report}\t{section}\t{count}")
    return lines


def table_lines(commitments: list[Commitment]) -> list[str]:
    lines = ["id\treport\tsection\tkind\ttext"]
    for c in commitments:
        text = c.text if len(c.text) <= TEXT_WIDTH else c.text[: TEXT_WIDTH - 1] + "…"
        lines.append(f"{c.id}\t{c.report.id}\t{' › '.join(c.section)}\t{c.kind}\t{text}")
    return lines


@catalog_app.callback(invoke_without_command=True)
def show(
    ctx: typer.Context,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    catalog: CatalogOption = None,
) -> None:
    """Print the catalog and its counts per report and per section."""
    if ctx.invoked_subcommand is not None:
        return
    commitments = load_catalog(catalog)
    if output_format is OutputFormat.json:
        typer.echo(catalog_json(commitments), nl=False)
        return
    for line in table_lines(commitments) + [""] + counts_lines(commitments):
        typer.echo(line)


@catalog_app.command("build")
def build(
    reports_dir: Annotated[
        Path | None,
        typer.Option(
            "--reports-dir",
            help="Reports and manifest.json (default: the data directory's, else the packaged).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Catalog file to write (default: the data directory's once a report was "
            "imported, else the packaged one, for developers).",
        ),
    ] = None,
) -> None:
    """Rebuild the catalog file from the reports in the manifest and the overrides."""
    store = CatalogStore.from_settings()
    reports = reports_dir or store.effective_reports_dir()
    target = output or (store.catalog_path if store.has_reports() else CATALOG_PATH)
    commitments = build_catalog(reports, load_overrides(store.effective_overrides_path()))
    write_catalog(commitments, target)
    typer.echo(f"wrote {len(commitments)} commitments to {target}")
    for line in counts_lines(commitments):
        typer.echo(line)


class EvidenceMode(StrEnum):
    embedded = "embedded"
    kafka = "kafka"
    none = "none"


@catalog_app.command("import")
def import_report(
    report: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    year: Annotated[
        int | None, typer.Option("--year", help="The plan year (default: read from the text).")
    ] = None,
    meeting: Annotated[
        str | None, typer.Option("--meeting", help="e.g. 七届五次党代会 (default: from the text)")
    ] = None,
    adopted_on: Annotated[
        datetime | None,
        typer.Option(
            "--adopted-on",
            formats=["%Y-%m-%d"],
            help="Day the congress closed; news before it is not evidence (default: 1 January)",
        ),
    ] = None,
    plan_starts_at: Annotated[
        str | None,
        typer.Option(
            "--plan-starts-at",
            help='Opening words of the line where the plan part starts, e.g. "展望2026", '
            "when the import does not find it.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would be imported, per section; write nothing."),
    ] = False,
    min_commitments: Annotated[
        int,
        typer.Option("--min-commitments", help="Refuse a report that yields fewer commitments."),
    ] = MIN_COMMITMENTS,
    evidence: Annotated[
        EvidenceMode,
        typer.Option(
            "--evidence",
            help="Feed the report text as evidence: through the handlers on DATABASE_URL "
            "(embedded), onto the articles topic (kafka), or not at all (none).",
        ),
    ] = EvidenceMode.embedded,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (default: LUQIAO_DATA_DIR, ./data)."),
    ] = None,
) -> None:
    """Add a report: check it, copy it into the data directory, rebuild, feed it as evidence.

    Nothing is written when the report yields no plan part or too few commitments
    (exit code 2, with what was found and the option that fixes it).
    """
    settings = CatalogSettings()
    store = CatalogStore.from_settings(
        settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings
    )
    reports_dir = store.effective_reports_dir()
    try:
        raw = decode_report(report.read_bytes(), report.name)
        prepared = prepare_import(
            raw,
            report.name,
            reports_dir,
            load_overrides(store.effective_overrides_path()),
            year=year,
            meeting=meeting,
            adopted_on=adopted_on.date() if adopted_on else None,
            plan_starts_at=plan_starts_at,
            min_commitments=min_commitments,
        )
    except ImportRefused as refused:
        typer.echo(f"not imported: {refused}", err=True)
        raise typer.Exit(2) from refused
    if dry_run:
        for line in dry_run_lines(prepared):
            typer.echo(line)
        return
    written = commit_import(prepared, store, reports_dir)
    source = prepared.source
    typer.echo(
        f"imported {report.name} as {source.report_id} ({source.meeting}): "
        f"{len(prepared.added)} commitments"
    )
    typer.echo(f"wrote {len(prepared.catalog)} commitments to {written}")
    if evidence is EvidenceMode.none:
        return
    article = report_article(raw, source)
    if evidence is EvidenceMode.kafka:
        topic = publish_to_kafka(article)
        typer.echo(f"published the report as {article.url} to {topic}")
        return
    result = feed_embedded(article, prepared.catalog)
    if result.dead_letter:
        typer.echo(f"the report was not read as evidence: {result.dead_letter}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"fed the report as evidence ({article.url}, {article.published_at.date()}): "
        f"{result.evidence} evidence, {result.status_changes} status changes"
    )


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


CSV_COLUMNS = (
    "id",
    "report",
    "plan_year",
    "meeting",
    "section",
    "text",
    "kind",
    "targets",
    "deadline",
    "restates",
    "restated_in",
)


def csv_rows(commitments: list[Commitment]) -> list[dict[str, str]]:
    """One row per commitment; targets and links flattened for a spreadsheet."""
    rows = []
    for c in commitments:
        rows.append(
            {
                "id": c.id,
                "report": c.report.id,
                "plan_year": str(c.report.plan_year),
                "meeting": c.report.meeting,
                "section": " › ".join(c.section),
                "text": c.text,
                "kind": c.kind,
                "targets": "; ".join(
                    f"{t.metric} {t.comparator} {t.value:g}"
                    + (f"–{t.upper:g}" if t.upper is not None else "")
                    + t.unit
                    for t in c.targets
                ),
                "deadline": c.deadline.isoformat(),
                "restates": " ".join(r.id for r in c.related if r.relation == "restates"),
                "restated_in": " ".join(r.id for r in c.related if r.relation == "restated_in"),
            }
        )
    return rows


@catalog_app.command("export")
def export(
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="json or csv")
    ] = ExportFormat.json,
    out: Annotated[Path, typer.Option("--out", help="File to write.")] = Path("catalog.json"),
    catalog: CatalogOption = None,
) -> None:
    """Write the catalog for journalists: JSON (as loaded) or CSV (UTF-8 with BOM, for Excel)."""
    commitments = load_catalog(catalog)
    out.parent.mkdir(parents=True, exist_ok=True)
    if output_format is ExportFormat.json:
        out.write_text(catalog_json(commitments), encoding="utf-8")
    else:
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(csv_rows(commitments))
    typer.echo(f"wrote {len(commitments)} commitments to {out}")
