"""The system tables' migrations (Alembic), one linear chain.

File names sort in the order the migrations run: ``m001_…``, ``m002_…`` and so on. A revision's
id is what a database records in ``alembic_version``, so the ids of migrations already released
keep their old values ("0001", "0101_app_settings", "0003", …) even where the file was renamed;
a new migration takes the next file number and uses its file name as its id (e.g.
``m017_segments.py`` with ``revision = "m017_segments"``), revising the previous file's id.
``tests/store/test_migrations.py`` checks the order."""
