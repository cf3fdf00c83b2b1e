"""The README's settings table is the documentation of every environment variable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from services.catalog.settings import CatalogSettings
from services.crawler.settings import CrawlerSettings
from services.extractor.settings import ExtractorSettings
from services.tracker.settings import TrackerSettings
from tests.settings_env import env_names

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def documented() -> set[str]:
    return set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))


@pytest.mark.parametrize(
    "cls", [ExtractorSettings, TrackerSettings, CrawlerSettings, CatalogSettings]
)
def test_every_setting_is_in_the_readme_table(cls: type[BaseSettings]) -> None:
    missing = [n for n in env_names(cls).values() if not set(n) & documented()]
    assert not missing, f"document these in README.md's settings table: {missing}"


def table_rows() -> dict[str, list[str]]:
    """Variable -> the default cells of its rows."""
    rows: dict[str, list[str]] = {}
    for name, default in re.findall(r"^\| `([A-Z_]+)` \| (.*?) \|", README, re.M):
        rows.setdefault(name, []).append(default)
    return rows


def documented_default(value: object) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


@pytest.mark.parametrize(
    "cls", [ExtractorSettings, TrackerSettings, CrawlerSettings, CatalogSettings]
)
def test_the_table_gives_each_setting_its_real_default(cls: type[BaseSettings]) -> None:
    """A default changed in code and not here misleads an operator (the batch size read
    500 for a while after it became 2000). An elided cell (`…`) shows the start."""
    rows = table_rows()
    wrong = []
    for field, names in env_names(cls).items():
        cells = next((rows[n] for n in names if n in rows), [])
        default = cls.model_fields[field].get_default(call_default_factory=True)
        shown = documented_default(default)
        if not any(
            (shown in cell)
            or (shown == "" and "empty" in cell)
            or ("…" in cell and shown.startswith(cell.strip("`").split("…")[0]))
            for cell in cells
        ):
            wrong.append((field, shown, cells))
    assert wrong == []


def test_each_variable_has_one_row() -> None:
    assert [name for name, cells in table_rows().items() if len(cells) > 1] == []


def test_every_file_the_readme_names_exists() -> None:
    """The layout walk and the prose name files by path: a move must update them."""
    root = Path(__file__).parents[1]
    named = set(
        re.findall(r"`((?:services|tests|bench|deploy|docs)/[\w/.-]+\.(?:py|json|md))`", README)
    )
    assert len(named) >= 20, "the layout section names the files an article passes"
    assert sorted(p for p in named if not (root / p).exists()) == []


def test_the_layout_names_every_tracker_module() -> None:
    """The layout's tree lists each of the tracker's modules, so a new room or a
    renamed file shows up in the README too."""
    root = Path(__file__).parents[1]
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    tracker = root / "services" / "tracker"
    modules = {
        p.name
        for p in tracker.rglob("*.py")
        if p.name != "__init__.py" and "migrations" not in p.parts
    }
    assert len(modules) > 20
    assert sorted(m for m in modules if m not in layout) == []
