"""The contract between the services: one pydantic model per Kafka topic.

Every message carries ``schema_version``. A consumer accepts the versions it
knows and dead-letters the rest, so a producer can move to v2 without a
consumer silently misreading it. Identifiers that make replays idempotent
(``article_id``, ``evidence_id``, ``status_event_id``) are computed here and
nowhere else.

``EvidenceFound`` is at v2: the facts v1 carried as strings inside ``reasons``
("regression:延期", "anchor:…", "stage:…") are typed fields, and the progress
against the commitment's target is computed once, by the producer
(`Progress.toward`). v1 messages still on the topic are upgraded by
`upgrade_evidence_v1`, the one place that reads the old reason strings.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.catalog import units
from services.catalog.model import Target

SCHEMA_VERSION: Final = 1  # every event but EvidenceFound
EVIDENCE_SCHEMA_VERSION: Final = 2
DEADLETTER_MAX_ORIGINAL = 256 * 1024
CHINA_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")

# Default topic names; each service reads the real names from its settings.
ARTICLES_TOPIC = "luqiao.articles"
EVIDENCE_TOPIC = "luqiao.evidence"
STATUS_TOPIC = "luqiao.status"
DEADLETTER_TOPIC = "luqiao.deadletter"
CRAWLS_TOPIC = "luqiao.crawls"


def _require_tz(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a UTC offset (the site publishes in +08:00)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_tz)]


class Stage(StrEnum):
    """What an evidence sentence says about the commitment's progress."""

    PLANNED = "planned"
    STARTED = "started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    schema_version: Literal[1] = SCHEMA_VERSION


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, fragment dropped, default port dropped.

    The same page reached over http and https gets one article_id.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit(("https", host, path, parts.query, ""))


def article_id_for(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:24]


def evidence_id_for(commitment_id: str, article_id: str, html_sha256: str) -> str:
    """One evidence per (commitment, article revision): a replay yields the same id,
    a corrected article yields a new one that supersedes the old."""
    raw = f"{commitment_id}|{article_id}|{html_sha256}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def status_event_id_for(commitment_id: str, new_status: str, as_of: date, basis: str) -> str:
    raw = f"{commitment_id}|{new_status}|{as_of.isoformat()}|{basis}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class ArticleFetched(Event):
    """luqiao.articles, key = article_id."""

    article_id: str
    url: str
    title: str
    published_at: AwareDatetime
    source: str | None = None
    column: str | None = None
    text: str = Field(min_length=1)
    html_sha256: str
    fetched_at: AwareDatetime
    attachments: list[str] = Field(default_factory=list)
    is_update: bool = False


class Figure(BaseModel):
    """A number found near a match, normalised to the commitment's unit when it can be."""

    model_config = ConfigDict(frozen=True)
    value: float
    unit: str
    text: str
    role: Literal["done", "target", "percent_done", "other"] = "other"


Regression = Literal["延期", "暂缓", "调整"]
REGRESSION_CODES: tuple[Regression, ...] = ("延期", "暂缓", "调整")


class Progress(BaseModel):
    """Reported progress against the commitment's first target, as the extractor
    read it: "已改造3个" of a target of 4个 is done=3, ratio=0.75; "完成60%" is
    percent=60, ratio=0.6. The tracker uses `ratio` as it stands."""

    model_config = ConfigDict(frozen=True)
    target: float | None = None  # the target's value, in `unit`
    unit: str | None = None  # the target's unit
    done: float | None = None  # the largest figure reported done, in `unit`
    percent: float | None = None  # the largest "完成N%" reported, 0..100 as written
    ratio: float | None = None  # percent / 100 when reported, else done / target
    # Where the measure stands when nothing is said done ("总数达到86家"): the largest
    # other figure in the target's unit. The stage reads it; the ratio does not.
    level: float | None = None

    @classmethod
    def toward(cls, target: Target | None, figures: list[Figure]) -> Progress | None:
        """The one reading of figures against a target; None when no figure reports
        progress. A done figure counts when its unit compares with the target's
        ("1.2万亩" against "亩"); a percent-done figure counts for any target."""
        done = percent = level = None
        for f in figures:
            if f.role == "percent_done":
                percent = max(percent or 0.0, f.value)
            elif (
                f.role != "target" and target is not None and units.comparable(f.unit, target.unit)
            ):
                value = (
                    f.value
                    if f.unit == target.unit
                    else units.to_base(f.value, f.unit)[0] / units.to_base(1.0, target.unit)[0]
                )
                if f.role == "done":
                    done = max(done or 0.0, value)
                else:
                    level = max(level or 0.0, value)
        if done is None and percent is None and level is None:
            return None
        ratio = None
        if percent is not None:
            ratio = percent / 100.0
        elif target is not None and done is not None and target.value > 0:
            ratio = done / target.value
        return cls(
            target=target.value if target else None,
            unit=target.unit if target else None,
            done=done,
            percent=percent,
            ratio=ratio,
            level=level,
        )


class EvidenceFound(Event):
    """luqiao.evidence, key = commitment_id. Version 2: see the module docstring."""

    schema_version: Literal[2] = EVIDENCE_SCHEMA_VERSION  # type: ignore[assignment]
    evidence_id: str
    commitment_id: str
    article_id: str
    url: str
    title: str = ""
    published_at: AwareDatetime
    quote: str
    quote_start: int
    quote_end: int
    stage: Stage
    figures: list[Figure] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    mentions: int = 1
    reasons: list[str] = Field(default_factory=list)  # human-readable, not parsed
    anchors: list[str] = Field(default_factory=list)  # names of the commitment found
    keywords: list[str] = Field(default_factory=list)  # its keywords found
    stage_rule: str = ""  # which reading of the sentence gave the stage
    regression: Regression | None = None  # with stage "delayed": what the text said
    progress: Progress | None = None
    html_sha256: str = ""
    extractor_version: str


def upgrade_evidence_v1(data: dict[str, Any], target: Target | None) -> dict[str, Any]:
    """A v1 EvidenceFound (as decoded JSON) → the fields of v2.

    v1 carried anchors, keywords, the stage rule and the regression code as
    "anchor:…", "keyword:…", "stage:…" and "regression:…" strings in ``reasons``;
    this reads them, once. Progress is computed against `target` (the consumer's
    catalog) exactly as the extractor does for v2. ``reasons`` is kept as text.
    """
    listed = data.get("reasons")
    reasons = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []

    def tagged(prefix: str) -> list[str]:
        return [r.removeprefix(prefix) for r in reasons if r.startswith(prefix)]

    stage_rules = tagged("stage:")
    regression = next((c for c in tagged("regression:") if c in REGRESSION_CODES), None)
    given = data.get("figures")
    figures = [Figure.model_validate(f) for f in given] if isinstance(given, list) else []
    progress = Progress.toward(target, figures)
    return {
        **data,
        "schema_version": EVIDENCE_SCHEMA_VERSION,
        "anchors": tagged("anchor:"),
        "keywords": tagged("keyword:"),
        "stage_rule": stage_rules[0] if stage_rules else "",
        "regression": regression,
        "progress": progress.model_dump() if progress else None,
    }


class StatusChanged(Event):
    """luqiao.status, key = commitment_id."""

    status_event_id: str
    commitment_id: str
    old_status: str | None
    new_status: str
    as_of: date
    reasons: list[str] = Field(default_factory=list)
    schedule: str | None = None
    changed_at: AwareDatetime


class DeadLetter(Event):
    """luqiao.deadletter: what could not be handled, why, and the bytes as received.

    Originals larger than `DEADLETTER_MAX_ORIGINAL` are cut (a dead letter must
    fit the topic's message size); the sha256, size and source offset still
    identify the full message, which stays in its own topic until retention.
    """

    source_topic: str
    service: str
    reason: str
    original_b64: str
    original_truncated: bool = False
    original_size: int = 0
    original_sha256: str = ""
    original_key: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    failed_at: AwareDatetime


class ColumnCrawl(BaseModel):
    """How one watched column fared in one poll."""

    model_config = ConfigDict(frozen=True)
    column: str  # the configured id or name
    column_id: str | None = None  # the id it resolved to (None: not found on the site)
    name: str | None = None
    items_listed: int = 0
    new: int = 0
    error: str | None = None  # why the column gave nothing, in plain words


class CrawlReport(Event):
    """luqiao.crawls, key = crawler instance: the outcome of one poll.

    The tracker keeps the latest so the page can say when the site was last read and
    whether the last poll failed: a failed crawl must never read as a verdict on the
    district. ``ok`` is False when the site could not be read or a column was missing
    or empty.
    """

    crawl_id: str
    site_url: str
    started_at: AwareDatetime
    finished_at: AwareDatetime
    ok: bool
    articles_seen: int = 0
    articles_published: int = 0
    errors: int = 0
    last_error: str | None = None
    columns: list[ColumnCrawl] = Field(default_factory=list)
