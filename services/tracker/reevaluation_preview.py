"""What a re-evaluation as of a date would change, without changing it.

Runs the same decisions as `TrackerService.reevaluate` inside one transaction and
rolls it back: the report is exactly what a real run would write, yet no status is
stored, no notification is queued and no listener hears of it.
"""

from __future__ import annotations

from datetime import date

from services.events import StatusChanged
from services.tracker.ledger import store
from services.tracker.ledger.database import migrate
from services.tracker.service import TrackerService


def preview_reevaluation(service: TrackerService, as_of: date) -> list[StatusChanged]:
    migrate(service.engine)  # the schema only; a dry run on a new database must work
    session = service.sessions()
    try:
        session.begin()
        store.sync_catalog(session, service.catalog.values())
        changes = [
            change
            for commitment in service.catalog.values()
            if (
                change := store.evaluate(
                    session, commitment, as_of, stall_days=service.settings.stall_days
                )
            )
            is not None
        ]
    finally:
        session.rollback()
        session.close()
    return changes
