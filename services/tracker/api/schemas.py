"""The bodies the tracker's JSON API answers with, as pydantic models: FastAPI
validates every answer against them and `docs/openapi.json` describes them.

Field names are the API's contract (clients, the CSV export and the tests read
them): change them only with a new API version. The database holds UTC; the
ledger's times (publication, receipt, decisions) are sent in Asia/Shanghai
(`+08:00`), the district's clock, and the subscriptions' times in UTC (`+00:00`),
as the API has always sent them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.events import CHINA_TZ, StatusChanged
from services.tracker.ledger.models import DeliveryState, ReviewState

IsoDateTime = Annotated[
    datetime,
    PlainSerializer(
        lambda moment: moment.astimezone(UTC).isoformat(), return_type=str, when_used="json"
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
ChinaDateTime = Annotated[
    datetime,
    PlainSerializer(
        lambda moment: moment.astimezone(CHINA_TZ).isoformat(), return_type=str, when_used="json"
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
JsonObject = dict[str, Any]

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list; `total` counts every match, not only this page."""

    total: int
    offset: int
    limit: int
    items: list[Item]


class LatestEvidence(BaseModel):
    """The newest evidence that counts for a commitment, as the overview shows it."""

    quote: str
    url: str
    title: str
    published_at: date
    stage: str


class CommitmentBase(BaseModel):
    """A commitment from the catalog with its current status; an auditor's manual
    status, if any, wins over the automatic one in `status`."""

    id: str
    report: str
    plan_year: int
    section: list[str]
    text: str
    kind: str = Field(description="quantitative, milestone or ongoing")
    deadline: date
    targets: list[JsonObject] = Field(description="The report's figures: metric, value, unit")
    retired: bool = Field(description="No longer in the catalog; kept with its history")
    status: str = Field(description="Current status (`Status`): the manual one if set")
    auto_status: str
    manual_status: str | None
    schedule: str | None
    progress_ratio: float | None
    status_reasons: list[str]
    status_as_of: date | None


class CommitmentSummary(CommitmentBase):
    latest_evidence: LatestEvidence | None


class EvidenceOut(BaseModel):
    """One piece of evidence: a quote of an article linked to a commitment."""

    evidence_id: str
    commitment_id: str
    article_id: str
    url: str
    title: str
    published_at: ChinaDateTime
    quote: str
    quote_start: int
    quote_end: int
    stage: str
    figures: list[JsonObject]
    confidence: float
    mentions: int
    reasons: list[str]
    extractor_version: str
    superseded_by: str | None = Field(description="The corrected article's evidence, if any")
    review_state: ReviewState
    reviewer: str | None
    received_at: ChinaDateTime


class StatusOut(BaseModel):
    """One status decision, automatic or manual."""

    status: str
    schedule: str | None
    progress_ratio: float | None
    as_of: date
    rule: str
    reasons: list[str]
    evidence_ids: list[str]
    manual: bool
    set_by: str | None
    decided_at: ChinaDateTime


class TargetProgress(BaseModel):
    targets: list[JsonObject]
    progress_ratio: float | None
    schedule: str | None


class CommitmentDetail(CommitmentBase):
    """A commitment with one page of its evidence (newest first) and every decision."""

    aliases: list[str]
    related: list[JsonObject]
    evidence: list[EvidenceOut]
    evidence_total: int
    evidence_offset: int
    evidence_limit: int
    status_history: list[StatusOut]
    target_progress: TargetProgress


class ArticleOut(BaseModel):
    """An article with every revision's evidence."""

    article_id: str
    url: str
    title: str
    published_at: ChinaDateTime
    revisions: list[str] = Field(description="sha256 of each stored revision's HTML")
    evidence: list[EvidenceOut]


class ReviewResult(BaseModel):
    commitment_id: str
    decision: str
    changes: list[StatusChanged] = Field(description="Status changes the review caused")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """200 when every dependency answers, else 503 with the same body."""

    ready: bool
    database: bool
    broker: bool


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scope: str
    value: str
    webhook_url: str | None
    active: bool
    consecutive_failures: int
    feed_token: str
    feed_url: str
    created_at: IsoDateTime


class CreatedSubscription(SubscriptionOut):
    secret: str = Field(description="HMAC secret of the webhook signature; shown only here")


class DeliveryAttemptOut(BaseModel):
    notification_id: int
    status_event_id: str
    commitment_id: str
    attempted_at: IsoDateTime | None
    http_status: int | None
    error: str | None
    delivery_state: DeliveryState
    attempts: int
    next_attempt_at: IsoDateTime | None


class DeliveryLog(BaseModel):
    subscription_id: int
    active: bool
    consecutive_failures: int
    notifications_by_state: dict[str, int]
    total: int
    offset: int
    limit: int
    items: list[DeliveryAttemptOut]


def text_body(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that answers text, not JSON, so the document
    still says what a 200 carries."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string"}}},
        }
    }
