"""Real infrastructure for the tests: a Kafka broker and a PostgreSQL server started from the
scripts in deploy/, plus helpers that give each test its own topics and databases."""
