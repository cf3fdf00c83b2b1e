"""``luqiao-monitor catalog``: show, rebuild and extend the commitment catalog.

Mounted by the main CLI as a sub-app. The bare command prints the catalog (a
table, or JSON with ``--format json``) and its counts, so a reader can check
the figures quoted in docs/catalog.md; ``build`` regenerates the data file
from the reports and overrides; ``import`` adds next year's report with one
command.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from services.catalog import load_catalog
from services.catalog.builder import (
    CATALOG_PATH,
    MANIFEST_NAME,
    REPORTS_DIR,
    ReportSource,
    build_catalog,
    catalog_json,
    detect_meeting,
    load_manifest,
    write_catalog,
)
from services.catalog.model import Commitment

catalog_app = typer.Typer(help="The catalog of commitments of the district work reports.")

TEXT_WIDTH = 40


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help="Catalog file (default: the packaged one).")
]
ReportsDirOption = Annotated[
    Path, typer.Option("--reports-dir", help="Directory of report copies and manifest.json.")
]
OutputOption = Annotated[Path, typer.Option("--output", help="Catalog file to write.")]


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
def build(reports_dir: ReportsDirOption = REPORTS_DIR, output: OutputOption = CATALOG_PATH) -> None:
    """Rebuild the catalog file from the reports in the manifest and the overrides."""
    commitments = build_catalog(reports_dir)
    write_catalog(commitments, output)
    typer.echo(f"wrote {len(commitments)} commitments to {output}")
    for line in counts_lines(commitments):
        typer.echo(line)


@catalog_app.command("import")
def import_report(
    report: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    year: Annotated[int, typer.Option("--year", help="The plan year of the report.")],
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
    reports_dir: ReportsDirOption = REPORTS_DIR,
    output: OutputOption = CATALOG_PATH,
) -> None:
    """Add a new report: copy it beside the others, list it in the manifest, rebuild."""
    raw = report.read_text(encoding="utf-8")
    meeting = meeting or detect_meeting(raw)
    if not meeting:
        raise typer.BadParameter(
            "no meeting found in the text; pass --meeting", param_hint="--meeting"
        )
    reports_dir.mkdir(parents=True, exist_ok=True)
    target = reports_dir / report.name
    if target.resolve() != report.resolve():
        shutil.copyfile(report, target)
    manifest = load_manifest(reports_dir) if (reports_dir / MANIFEST_NAME).exists() else []
    manifest = [s for s in manifest if s.plan_year != year]
    manifest.append(
        ReportSource(
            file=report.name,
            plan_year=year,
            meeting=meeting,
            adopted_on=adopted_on.date() if adopted_on else None,
        )
    )
    manifest.sort(key=lambda s: s.plan_year)
    (reports_dir / MANIFEST_NAME).write_text(
        json.dumps([s.model_dump(mode="json") for s in manifest], ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )
    commitments = build_catalog(reports_dir)
    write_catalog(commitments, output)
    added = sum(1 for c in commitments if c.report.plan_year == year)
    typer.echo(f"imported {report.name} as luqiao-{year} ({meeting}): {added} commitments")
    typer.echo(f"wrote {len(commitments)} commitments to {output}")
