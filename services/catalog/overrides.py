"""The curated corrections to the parser, read from ``overrides.json``.

Each entry names the clause it applies to by report id and verbatim clause text
(not by commitment id, so a reader sees what is being corrected) and carries a
one-line reason. The builder fails on an entry that matches nothing, so the
file cannot silently rot when the parser changes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from services.catalog.model import Kind, Target

OVERRIDES_PATH = Path(__file__).with_name("overrides.json")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str = Field(min_length=4)


class ClauseRef(_Entry):
    report: str
    text: str


class Correction(ClauseRef):
    kind: Kind | None = None
    targets: list[Target] | None = None
    deadline: date | None = None
    entities: list[str] | None = None  # replaces the parsed ones
    aliases: list[str] = Field(default_factory=list)


class AliasEntry(_Entry):
    entity: str
    aliases: list[str]


class LinkEntry(_Entry):
    report: str  # the earlier plan's commitment
    text: str
    later_report: str  # the later plan's commitment that restates it
    later_text: str


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Sections' common prefix, when the parser cannot find it itself (it finds "聚力").
    major_heading_prefixes: list[str] = Field(default_factory=list)
    include: list[ClauseRef] = Field(default_factory=list)
    exclude: list[ClauseRef] = Field(default_factory=list)
    merge: list[ClauseRef] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)
    aliases: list[AliasEntry] = Field(default_factory=list)
    links: list[LinkEntry] = Field(default_factory=list)
    unlinks: list[LinkEntry] = Field(default_factory=list)


def load_overrides(path: Path | None = None) -> Overrides:
    path = path or OVERRIDES_PATH
    if not path.exists():
        return Overrides()
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("_about", None)
    return Overrides.model_validate(data)
