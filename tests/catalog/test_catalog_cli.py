"""The ``catalog`` command through typer's CliRunner: show, json, build, import, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

import services
from services.catalog import load_catalog
from services.catalog.builder import CATALOG_PATH
from services.catalog.cli import catalog_app
from services.catalog.overrides import OVERRIDES_PATH
from services.catalog.store import CatalogStore, current_catalog_path

DATA = Path(__file__).parent / "data"
REPORTS = DATA / "reports"
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


def package_tree() -> dict[str, tuple[int, int]]:
    """Every file of the installed package (but bytecode caches) with its size and mtime."""
    root = Path(services.__file__).parent
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def import_args(report: Path, *extra: str) -> list[str]:
    return ["import", str(report), "--evidence", "none", *extra]


def test_import_adds_a_report_to_the_data_directory(empty_data_dir: Path) -> None:
    before = package_tree()
    result = runner.invoke(catalog_app, import_args(DATA / "report_2026.txt", "--year", "2026"))
    assert result.exit_code == 0, result.output
    assert package_tree() == before  # nothing written inside the package
    store = CatalogStore(empty_data_dir / "catalog")
    assert (store.reports_dir / "report_2026.txt").is_file()
    assert [s["plan_year"] for s in json.loads(store.manifest_path.read_text())] == [
        2024,
        2025,
        2026,
    ]
    catalog = load_catalog()  # the data directory's catalog now
    assert current_catalog_path() == store.catalog_path
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
    assert len(catalog) == len(load_catalog(CATALOG_PATH)) + len(new)
    # a second import reads the data directory's manifest and keeps the earlier years
    again = runner.invoke(
        catalog_app, import_args(REPORTS / "gov_2026.txt", "--adopted-on", "2026-01-08")
    )
    assert again.exit_code == 0, again.output
    years = {c.report.id: c.report.source_file for c in load_catalog()}
    assert years["luqiao-2026"] == "gov_2026.txt" and "luqiao-2024" in years


def test_import_refuses_a_report_without_a_plan_part(empty_data_dir: Path) -> None:
    before = package_tree()
    result = runner.invoke(
        catalog_app, import_args(REPORTS / "no_parts_2026.txt", "--year", "2026")
    )
    assert result.exit_code == 2
    message = result.output
    assert "no plan part found in no_parts_2026.txt" in message
    assert "plan 0" in message and "paragraphs: 9" in message
    assert "在开局起步中奋勇争先" in message  # the headings it found
    assert '--plan-starts-at "展望2026"' in message
    assert not empty_data_dir.exists()
    assert package_tree() == before
    fixed = runner.invoke(
        catalog_app,
        import_args(
            REPORTS / "no_parts_2026.txt", "--year", "2026", "--plan-starts-at", "在开局起步中"
        ),
    )
    assert fixed.exit_code == 0, fixed.output
    assert "9 commitments" in fixed.output
    manifest = json.loads(CatalogStore(empty_data_dir / "catalog").manifest_path.read_text())
    assert manifest[-1]["plan_starts_at"] == "在开局起步中"  # kept for every rebuild


def test_import_refuses_too_few_commitments(empty_data_dir: Path) -> None:
    result = runner.invoke(
        catalog_app,
        import_args(DATA / "report_2026.txt", "--year", "2026", "--min-commitments", "8"),
    )
    assert result.exit_code == 2
    assert "only 7 commitments" in result.output
    assert "--min-commitments 7" in result.output and "--plan-starts-at" in result.output
    assert not empty_data_dir.exists()


def test_import_reads_gb18030_and_refuses_undecodable_bytes(
    empty_data_dir: Path, tmp_path: Path
) -> None:
    gbk = tmp_path / "gov_2026.txt"
    gbk.write_bytes((REPORTS / "gov_2026.txt").read_text(encoding="utf-8").encode("gb18030"))
    result = runner.invoke(catalog_app, import_args(gbk, "--adopted-on", "2026-01-08"))
    assert result.exit_code == 0, result.output
    assert "20 commitments" in result.output
    copy = CatalogStore(empty_data_dir / "catalog").reports_dir / "gov_2026.txt"
    assert copy.read_text(encoding="utf-8") == (REPORTS / "gov_2026.txt").read_text("utf-8")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe\x00\xd8" * 10)
    result = runner.invoke(catalog_app, import_args(broken, "--year", "2027"))
    assert result.exit_code == 2
    assert "neither UTF-8 nor GB18030" in result.output


def test_dry_run_prints_sections_and_targets_and_writes_nothing(empty_data_dir: Path) -> None:
    before = package_tree()
    result = runner.invoke(catalog_app, ["import", str(REPORTS / "gov_2026.txt"), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "would import gov_2026.txt as luqiao-2026 (路桥区第十八届人民代表大会第六次会议), "
        "plan year 2026, review of 2025"
    )
    assert "  20 commitments:" in lines
    assert "  [用心办好民生实事] 5" in lines
    assert (
        "    - 新改建农村公路25公里 (quantitative)  targets: 新改建农村公路 = 25 公里"
        in "\n".join(lines)
    )
    assert any(
        line.startswith(
            "    - 农村居民人均可支配收入增长6%—6.5% (quantitative)  targets: "
            "农村居民人均可支配收入增长 between 6–6.5 %"
        )
        for line in lines
    )
    assert any("改造老旧小区五个" in line and "restates: 改造老旧小区4个" in line for line in lines)
    assert lines[-1] == "nothing written (--dry-run)"
    assert not empty_data_dir.exists()
    assert package_tree() == before


def test_export_json_and_csv(tmp_path: Path) -> None:
    out_json = tmp_path / "out" / "catalog.json"
    result = runner.invoke(catalog_app, ["export", "--format", "json", "--out", str(out_json)])
    assert result.exit_code == 0, result.output
    assert json.loads(out_json.read_text(encoding="utf-8")) == json.loads(
        CATALOG_PATH.read_text(encoding="utf-8")
    )
    out_csv = tmp_path / "catalog.csv"
    result = runner.invoke(catalog_app, ["export", "--format", "csv", "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    catalog = load_catalog()
    assert [r["id"] for r in rows] == [c.id for c in catalog]
    houses = next(r for r in rows if r["text"] == "改造老旧小区4个")
    assert houses["targets"] == "改造老旧小区 = 4个" and houses["report"] == "luqiao-2025"
    park = next(c for c in catalog if c.text == "建成中央绿轴公园")
    row = next(r for r in rows if r["id"] == park.id)
    assert row["restates"] == " ".join(r.id for r in park.related if r.relation == "restates")


def test_data_directory_overrides_and_rebuild(empty_data_dir: Path) -> None:
    """A user's overrides.json in the data directory replaces the packaged one; build rebuilds
    the data directory's catalog, never the packaged file."""
    store = CatalogStore(empty_data_dir / "catalog")
    store.root.mkdir(parents=True)
    overrides = json.loads(OVERRIDES_PATH.read_text(encoding="utf-8"))
    overrides["exclude"].append(
        {"report": "luqiao-2026", "text": "新增普惠托位200个", "reason": "a user's correction"}
    )
    store.overrides_path.write_text(json.dumps(overrides, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(catalog_app, import_args(DATA / "report_2026.txt", "--year", "2026"))
    assert result.exit_code == 0, result.output
    imported = store.catalog_path.read_text(encoding="utf-8")
    assert "新增普惠托位200个" not in {c.text for c in load_catalog()}
    packaged = CATALOG_PATH.read_text(encoding="utf-8")
    store.catalog_path.unlink()
    rebuilt = runner.invoke(catalog_app, ["build"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"wrote 249 commitments to {store.catalog_path}" in rebuilt.output
    assert store.catalog_path.read_text(encoding="utf-8") == imported
    assert CATALOG_PATH.read_text(encoding="utf-8") == packaged
