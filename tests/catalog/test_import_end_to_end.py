"""A user adds next year's report to a running embedded product.

The product runs on the packaged catalog (the two seed reports) with its SQLite
database; ``luqiao-monitor catalog import`` of an invented 2026 report writes the
catalog into the data directory and feeds the report through the extractor and
tracker handlers; after a restart the API and the page show the 2026 commitments,
and the 2025 commitments that the report's review part speaks of carry it as
evidence. Nothing is written inside the installed package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import services
from services.catalog import load_catalog
from services.catalog.builder import CATALOG_PATH
from services.cli import app
from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog.test_catalog_cli import package_tree
from tests.live_server import serving

pytestmark = pytest.mark.slow
REPORT = Path(__file__).parent / "data" / "reports" / "markdown_2026.md"
REVIEWED = "改造老旧小区3个,打通“断头路”9条,完成城市有机更新10.5万平方米。"


@dataclass
class Product:
    base: str
    client: httpx.Client

    def commitments(self, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"{self.base}/api/commitments", params=params)
        response.raise_for_status()
        return dict(response.json())

    def detail(self, commitment_id: str) -> dict[str, Any]:
        response = self.client.get(f"{self.base}/api/commitments/{commitment_id}")
        response.raise_for_status()
        return dict(response.json())


@contextmanager
def running_product() -> Iterator[Product]:
    """The embedded product's tracker and HTTP API, as ``luqiao-monitor run`` starts them."""
    service = TrackerService(TrackerSettings())
    with serving(tracker_api(service)) as base, httpx.Client(timeout=30) as client:
        yield Product(base, client)
    service.engine.dispose()


@pytest.fixture
def imported(empty_data_dir: Path) -> Iterator[tuple[Product, str]]:
    with running_product() as before:
        assert before.commitments(report="luqiao-2026")["total"] == 0
        assert before.commitments(report="luqiao-2025", limit=1)["total"] == 115
    untouched = package_tree()
    result = CliRunner().invoke(
        app, ["catalog", "import", str(REPORT), "--adopted-on", "2026-01-09"]
    )
    assert result.exit_code == 0, result.output
    assert package_tree() == untouched
    with running_product() as after:  # a restart picks the new catalog up
        yield after, result.output


def by_text(text: str, year: int) -> str:
    return next(c.id for c in load_catalog() if c.text == text and c.report.plan_year == year)


def test_imported_commitments_appear_and_the_review_is_evidence(
    imported: tuple[Product, str], empty_data_dir: Path
) -> None:
    product, output = imported
    assert "imported markdown_2026.md as luqiao-2026 (七届五次党代会): 15 commitments" in output
    assert "fed the report as evidence (report:luqiao-2026, 2026-01-09)" in output
    assert load_catalog(CATALOG_PATH) != load_catalog()  # the data directory's catalog
    page = product.commitments(report="luqiao-2026", limit=100)
    assert page["total"] == 15
    assert "新增普惠托位300个" in {item["text"] for item in page["items"]}
    html = product.client.get(f"{product.base}/").text
    assert "新增普惠托位300个" in html
    # a 2025 commitment the review reports as done: evidence from the report, completed
    park = product.detail(by_text("建成中央绿轴公园", 2025))
    from_report = [e for e in park["evidence"] if e["url"] == "report:luqiao-2026"]
    assert from_report and from_report[0]["published_at"].startswith("2026-01-09")
    assert park["status"] == "achieved"
    # 9 of 10 断头路 reported in the review: the review sentence is evidence on it
    roads = product.detail(by_text("打通“断头路”10条", 2025))
    assert any(e["quote"] == REVIEWED and e["stage"] == "in_progress" for e in roads["evidence"])
    houses = product.detail(by_text("改造老旧小区4个", 2025))
    assert any(e["url"] == "report:luqiao-2026" for e in houses["evidence"])
    # restated in the 2026 plan: linked as carried over
    restated = {r["id"] for r in houses["related"] if r["relation"] == "restated_in"}
    assert by_text("改造老旧小区五个", 2026) in restated


def test_only_the_review_part_moves_the_previous_plan(imported: tuple[Product, str]) -> None:
    product, _ = imported
    houses = product.detail(by_text("改造老旧小区4个", 2025))
    assert any(e["quote"] == REVIEWED for e in houses["evidence"])
    # 3 of 4 from the review, not 5 of 4 from the 2026 plan's "改造老旧小区五个"
    assert houses["target_progress"]["progress_ratio"] == pytest.approx(0.75)
    assert houses["status"] in ("partially_achieved", "carried_over")
    plan_text = REPORT.read_text(encoding="utf-8").split("展望2026", 1)[1]
    for commitment in load_catalog():
        if commitment.report.plan_year != 2025:
            continue
        for evidence in product.detail(commitment.id)["evidence"]:
            if evidence["url"] == "report:luqiao-2026" and evidence["stage"] != "planned":
                assert evidence["quote"] not in plan_text, (commitment.text, evidence["quote"])


def test_import_works_from_a_read_only_installed_package(tmp_path: Path) -> None:
    """The package as installed in a container: read-only, seeds inside, no repository."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(services.__file__).parent,
        site / "services",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for path in [site, *site.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "LUQIAO_DATA_DIR": str(tmp_path / "data"),
        "LUQIAO_SEEDS_DIR": str(tmp_path / "no-seeds"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'luqiao.db'}",
    }
    command = [sys.executable, "-c", "from services.cli import app; app()", "catalog"]
    where = subprocess.run(
        [sys.executable, "-c", "import services; print(services.__file__)"],
        env=env, capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.startswith(str(site))
    try:
        result = subprocess.run(
            [*command, "import", str(REPORT), "--adopted-on", "2026-01-09"],
            env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "15 commitments" in result.stdout
        assert "fed the report as evidence" in result.stdout
        shown = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert "luqiao-2026\t15" in shown.stdout
    finally:
        for path in [site, *site.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
