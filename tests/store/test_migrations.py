from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cairn.store import create_engine, current_revision, migrate
from cairn.store.engine import alembic_config
from cairn.store.indexes import index_names
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


def test_composite_indexes_built_before_they_were_partial_are_dropped(db_url: str) -> None:
    """m029: a composite automatic index over every record (built by the code before it was
    partial) is dropped with its row, so the advisor builds it again over live records; a
    partial one stays."""
    engine = create_engine(db_url)
    migrate(engine, "m028_imports")
    created = datetime(2027, 3, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS t_9901"))
        conn.execute(
            sa.text("CREATE TABLE t_9901 (id INTEGER PRIMARY KEY, deleted_at TIMESTAMP,"
                    " f_1 VARCHAR(20), f_2 INTEGER, f_3 INTEGER)")
        )  # fmt: skip
        conn.execute(sa.text("CREATE INDEX ix_t9901_c1_2 ON t_9901 (f_1, f_2)"))
        conn.execute(
            sa.text("CREATE INDEX ix_t9901_c1_3 ON t_9901 (f_1, f_3) WHERE deleted_at IS NULL")
        )
        for name in ("ix_t9901_c1_2", "ix_t9901_c1_3"):
            conn.execute(
                sa.text(
                    "INSERT INTO auto_indexes (name, table_id, kind, columns, shape, uses,"
                    " created_at) VALUES (:n, 9901, 'composite', '[]', '{}', 3, :c)"
                ),
                {"n": name, "c": created},
            )
    migrate(engine)
    with engine.begin() as conn:
        kept = {r[0] for r in conn.execute(sa.text("SELECT name FROM auto_indexes"))}
        names = index_names(conn, 9901)
        conn.execute(sa.text("DROP TABLE t_9901"))
    engine.dispose()
    assert kept == {"ix_t9901_c1_3"}
    assert "ix_t9901_c1_2" not in names and "ix_t9901_c1_3" in names
