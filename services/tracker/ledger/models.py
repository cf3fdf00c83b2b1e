"""The tracker's tables (SQLAlchemy 2.x typed models).

Evidence rows are never updated in place except for their review decision and
the pointer to the evidence that superseded them: the ledger is append-only so
an auditor can always see what was known when.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.db_types import UtcDateTime, enum_column
from services.events import Stage
from services.tracker.status_rules import Schedule, Status


class ReviewState(StrEnum):
    """Whether a piece of evidence counts: ``auto`` (confident enough) and
    ``confirmed`` count; ``pending`` waits for an auditor; ``rejected`` never counts."""

    AUTO = "auto"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


COUNTING_REVIEW_STATES = (ReviewState.AUTO, ReviewState.CONFIRMED)


class DeliveryState(StrEnum):
    """A notification's way out: ``pending`` until a webhook answered 2xx
    (``delivered``) or the attempts ran out (``failed``); ``feed_only`` for a
    subscription without a webhook, read from its Atom feed."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    FEED_ONLY = "feed_only"


class Base(DeclarativeBase):
    # Every moment is stored as UTC (services.db_types.UtcDateTime): a bare
    # `Mapped[datetime]` cannot reach a zone-dropping column by mistake.
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime}
    # Named CHECK constraints (the vocabularies' columns), so a migration can drop them.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class CommitmentRow(Base):
    __tablename__ = "commitments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(64), index=True)
    plan_year: Mapped[int] = mapped_column(Integer)
    section: Mapped[list[Any]] = mapped_column(JSON)
    section_key: Mapped[str] = mapped_column(String(255), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[date] = mapped_column(Date)
    targets: Mapped[list[Any]] = mapped_column(JSON)
    aliases: Mapped[list[Any]] = mapped_column(JSON)
    related: Mapped[list[Any]] = mapped_column(JSON)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvidenceRow(Base):
    __tablename__ = "evidence"

    evidence_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    commitment_id: Mapped[str] = mapped_column(ForeignKey("commitments.id"), index=True)
    article_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int] = mapped_column(Integer)
    quote_end: Mapped[int] = mapped_column(Integer)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, name="stage", length=16))
    figures: Mapped[list[Any]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    mentions: Mapped[int] = mapped_column(Integer, default=1)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    # EvidenceFound v2's typed facts the status rules read (migration 0003)
    regression: Mapped[str | None] = mapped_column(String(8), nullable=True)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    html_sha256: Mapped[str] = mapped_column(String(64), default="")
    extractor_version: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    superseded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState, name="review_state", length=16), default=ReviewState.AUTO
    )
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)


class StatusRow(Base):
    """One row per decision; the newest row per commitment is its current status."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commitment_id: Mapped[str] = mapped_column(ForeignKey("commitments.id"), index=True)
    status: Mapped[Status] = mapped_column(enum_column(Status, name="status", length=32))
    schedule: Mapped[Schedule | None] = mapped_column(
        enum_column(Schedule, name="schedule", length=16), nullable=True
    )
    progress_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    as_of: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    evidence_ids: Mapped[list[Any]] = mapped_column(JSON)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    set_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    # commitment | section | report | keyword | all
    scope: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text, default="")
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret: Mapped[str] = mapped_column(String(128))
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotificationRow(Base):
    """One notification per (subscription, status change): the unique key is what
    makes a replay notify nobody twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("subscription_id", "status_event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    status_event_id: Mapped[str] = mapped_column(String(64))
    commitment_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivery_state: Mapped[DeliveryState] = mapped_column(
        enum_column(DeliveryState, name="delivery_state", length=16),
        default=DeliveryState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CrawlReportRow(Base):
    """The crawler's report of one poll (luqiao.crawls): the page shows the newest so
    a failed crawl is never read as a verdict on the district. Only the newest few
    are kept (`service.CRAWL_REPORTS_KEPT`)."""

    __tablename__ = "crawl_reports"

    crawl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_url: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    articles_seen: Mapped[int] = mapped_column(Integer, default=0)
    articles_published: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    columns: Mapped[list[Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
