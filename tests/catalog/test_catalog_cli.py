"""The ``catalog`` command through typer's CliRunner: show, json, build, import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from services.catalog import load_catalog
from services.catalog.builder import CATALOG_PATH, REPORTS_DIR
from services.catalog.cli import catalog_app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_default_prints_table_and_counts() -> None:
    result = runner.invoke(catalog_app, [])
    assert result.exit_code == 0, result.output
    catalog = load_catalog()
    assert catalog[0].id in result.output
    assert "counts per report:" in result.output
    assert "counts per section:" in result.output
    n_2025 = sum(1 for c in catalog if c.report.id == "luqiao-2025")
    assert f"luqiao-2025\t{n_2025}" in result.output


def test_json_format_is_the_catalog() -> None:
    result = runner.invoke(catalog_app, ["--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["id"] for d in data] == [c.id for c in load_catalog()]
    assert {
        "id",
        "report",
        "section",
        "text",
        "kind",
        "targets",
        "deadline",
        "aliases",
        "related",
    } <= set(data[0])


def test_build_writes_the_same_catalog(tmp_path: Path) -> None:
    output = tmp_path / "catalog.json"
    result = runner.invoke(catalog_app, ["build", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == CATALOG_PATH.read_text(encoding="utf-8")


def test_import_adds_a_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(REPORTS_DIR, reports)
    output = tmp_path / "catalog.json"
    result = runner.invoke(
        catalog_app,
        [
            "import",
            str(DATA / "report_2026.txt"),
            "--year",
            "2026",
            "--reports-dir",
            str(reports),
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    catalog = load_catalog(output)
    new = [c for c in catalog if c.report.id == "luqiao-2026"]
    assert new[0].report.meeting == "七届五次党代会"
    assert new[0].report.source_file == "report_2026.txt"
    texts = [c.text for c in new]
    assert texts == [
        "力争固定资产投资增长7%以上",
        "投用飞龙湖科创基地首建南区",
        "开工示例大道改建工程",
        "改造老旧小区三个",
        "建成示例第一中学新校区",
        "新增普惠托位200个",
        "推进示例养老服务中心建设",
    ]
    old_houses = next(c for c in new if c.text == "改造老旧小区三个")
    assert old_houses.targets[0].value == 3 and old_houses.targets[0].unit == "个"
    south = next(c for c in new if c.text == "投用飞龙湖科创基地首建南区")
    restated = {r.id for r in south.related if r.relation == "restates"}
    assert any(c.id in restated and c.report.plan_year == 2025 for c in catalog)
    assert (reports / "report_2026.txt").is_file()
    assert len(catalog) == len(load_catalog()) + len(new)
