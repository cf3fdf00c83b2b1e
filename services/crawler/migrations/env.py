"""Alembic environment for the crawler's own table(s), run by ``seen_store.migrate()``.

It keeps its history in ``alembic_version_crawler`` and only looks at the
crawler's metadata, so it shares a database with the tracker without either
one's migrations seeing (or dropping) the other's tables.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from services.crawler.seen_store import VERSION_TABLE, CrawlerBase

config = context.config
target_metadata = CrawlerBase.metadata


def _only_crawler_tables(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table":
        return name in target_metadata.tables
    return True


def _configure(**kwargs) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_object=_only_crawler_tables,
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
