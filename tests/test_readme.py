"""The README's settings table is the documentation of every environment variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from services.catalog.settings import CatalogSettings
from services.crawler.settings import CrawlerSettings
from services.extractor.settings import ExtractorSettings
from services.tracker.settings import TrackerSettings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def env_names(cls: type[BaseSettings]) -> list[tuple[str, ...]]:
    """Per field, the environment names it can be set by (any one documented is enough)."""
    prefix = cls.model_config.get("env_prefix", "")
    names = []
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(tuple(str(c) for c in alias.choices if str(c).isupper()))
        else:
            names.append((f"{prefix}{field}".upper(),))
    return names


def documented() -> set[str]:
    return set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))


@pytest.mark.parametrize(
    "cls", [ExtractorSettings, TrackerSettings, CrawlerSettings, CatalogSettings]
)
def test_every_setting_is_in_the_readme_table(cls: type[BaseSettings]) -> None:
    missing = [n for n in env_names(cls) if not set(n) & documented()]
    assert not missing, f"document these in README.md's settings table: {missing}"


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
