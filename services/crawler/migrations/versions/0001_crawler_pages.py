"""crawler_pages: one row per article address the crawler has fetched.

Revision ID: crawler_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "crawler_0001"
down_revision = None
branch_labels = ("crawler",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawler_pages",
        sa.Column("url", sa.String(1000), primary_key=True),
        sa.Column("article_id", sa.String(32), nullable=False),
        sa.Column("etag", sa.String(200)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("html_sha256", sa.String(64)),
        sa.Column("text_sha256", sa.String(64)),
        sa.Column("list_title", sa.String(500)),
        sa.Column("list_date", sa.String(10)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("http_status", sa.Integer),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("duplicate_of", sa.String(32)),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fetched", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_crawler_pages_article_id", "crawler_pages", ["article_id"])
    op.create_index("ix_crawler_pages_text_sha256", "crawler_pages", ["text_sha256"])


def downgrade() -> None:
    op.drop_index("ix_crawler_pages_text_sha256", table_name="crawler_pages")
    op.drop_index("ix_crawler_pages_article_id", table_name="crawler_pages")
    op.drop_table("crawler_pages")
