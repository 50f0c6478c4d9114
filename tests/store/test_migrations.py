from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cairn.store import create_engine, current_revision, migrate
from cairn.store.engine import alembic_config
from cairn.store.system import metadata

#: The one head of the migration chain (branches get re-chained when merged).
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


def test_file_names_sort_in_the_order_the_migrations_run() -> None:
    """One linear chain, read top to bottom in the folder: the files' sorted names are the
    order Alembic runs them (base first), with no branch."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    run_order = [Path(r.path).name for r in reversed(list(script.walk_revisions()))]
    assert run_order == sorted(run_order)
    assert all(name.startswith("m") and name[1:4].isdigit() for name in run_order)


def test_a_database_of_the_old_file_names_upgrades(tmp_path: Path) -> None:
    """Renaming the files kept the revision ids: a database migrated to any released revision
    (here the last one before the rename, and an older one) upgrades to the head."""
    for revision in ("0016", "0009"):
        engine = create_engine(f"sqlite:///{tmp_path / f'old_{revision}.db'}")
        migrate(engine, revision)
        assert current_revision(engine) == revision
        migrate(engine)
        assert current_revision(engine) == HEAD
        engine.dispose()
