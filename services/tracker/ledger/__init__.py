"""The tracker's ledger: the tables (`models`), their Alembic history (`migrations`),
the engine and migrations runner (`database`), the write path (`store`), the reads
the API, the pages and the metrics share (`read_model`, with the one
`ledger_version` their caches check) and the subscriptions' SQL (`subscriptions`).

The notification outbox and the webhook delivery keep their statements beside
their state machines in `notifications/` (claim with a lease, record an attempt).
"""
