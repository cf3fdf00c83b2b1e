"""evidence v2: the regression code and the progress against the target as columns

EvidenceFound v2 carries them typed; rows stored from v1 events are filled once
here by the contract's own upgrade (`services.events.upgrade_evidence_v1`), so
the status rules read one shape whatever version a row arrived in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from services.catalog.model import Target
from services.events import upgrade_evidence_v1

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("evidence", sa.Column("regression", sa.String(length=8), nullable=True))
    op.add_column("evidence", sa.Column("progress", sa.JSON(), nullable=True))
    evidence = sa.table(
        "evidence",
        sa.column("evidence_id", sa.String),
        sa.column("commitment_id", sa.String),
        sa.column("figures", sa.JSON),
        sa.column("reasons", sa.JSON),
        sa.column("regression", sa.String),
        sa.column("progress", sa.JSON),
    )
    commitments = sa.table("commitments", sa.column("id", sa.String), sa.column("targets", sa.JSON))
    bind = op.get_bind()
    first_target = {
        cid: Target.model_validate(targets[0]) if targets else None
        for cid, targets in bind.execute(sa.select(commitments.c.id, commitments.c.targets))
    }
    rows = bind.execute(
        sa.select(
            evidence.c.evidence_id, evidence.c.commitment_id, evidence.c.figures, evidence.c.reasons
        )
    ).all()
    for evidence_id, commitment_id, figures, reasons in rows:
        typed = upgrade_evidence_v1(
            {"figures": figures, "reasons": reasons}, first_target.get(commitment_id)
        )
        if typed["regression"] is None and typed["progress"] is None:
            continue
        bind.execute(
            evidence.update()
            .where(evidence.c.evidence_id == evidence_id)
            .values(regression=typed["regression"], progress=typed["progress"])
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:  # SQLite rebuilds the table
        batch.drop_column("progress")
        batch.drop_column("regression")
