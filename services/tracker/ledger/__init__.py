"""The tracker's ledger: the tables (`models`), their Alembic history (`migrations`),
the engine and migrations runner (`database`), the write path (`store`) and the read
queries the API, pages and metrics share (`read_model`). Every SQL statement of the
commitments, evidence and statuses lives in this package."""
