from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cairn.store import create_engine, current_revision, migrate
from cairn.store.engine import alembic_config
from cairn.store.system import metadata

#: The newest revision (one head: branches re-chain their revisions when merged).
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrations_build_exactly_the_system_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate(engine)
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_migrate_twice_is_harmless(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()
