"""Every commitment's summary at once, as CSV for spreadsheets and as JSON."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Response

from services.tracker.api.deps import SessionDep, SummariesDep
from services.tracker.api.schemas import CommitmentSummary, text_body
from services.tracker.api.summaries import section_path

router = APIRouter(tags=["export"])

CSV_FIELDS = ["id", "report", "section", "text", "kind", "deadline", "status", "auto_status",
              "manual_status", "schedule", "progress_ratio"]  # fmt: skip


@router.get(
    "/api/commitments.csv",
    response_class=Response,
    responses=text_body("text/csv", "One row per commitment (UTF-8 with a BOM)"),
)
def export_csv(db: SessionDep, summaries: SummariesDep) -> Response:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for item in summaries.all(db):
        writer.writerow({**item.model_dump(include=set(CSV_FIELDS)), "section": section_path(item)})
    return Response(
        "\ufeff" + buf.getvalue(),  # BOM so spreadsheet programs read UTF-8 Chinese
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="luqiao-commitments.csv"'},
    )


@router.get("/api/commitments.json", response_model=list[CommitmentSummary])
def export_json(db: SessionDep, summaries: SummariesDep) -> list[CommitmentSummary]:
    return summaries.all(db)
