"""crawl reports: the crawler's outcome per poll, for the page's health banner

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_reports",
        sa.Column("crawl_id", sa.String(length=64), nullable=False),
        sa.Column("site_url", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("articles_seen", sa.Integer(), nullable=False),
        sa.Column("articles_published", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("crawl_id"),
    )
    op.create_index(
        op.f("ix_crawl_reports_finished_at"), "crawl_reports", ["finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crawl_reports_finished_at"), table_name="crawl_reports")
    op.drop_table("crawl_reports")
