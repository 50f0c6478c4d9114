"""Per-app settings: one JSON value per (app, key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store import changes, system


def get(conn: sa.Connection, app_id: int, key: str) -> Any | None:
    s = system.app_settings
    q = sa.select(s.c.value).where(s.c.app_id == app_id, s.c.key == key)
    return conn.execute(q).scalar_one_or_none()


def put(conn: sa.Connection, app_id: int, key: str, value: Any, now: datetime) -> None:
    s = system.app_settings
    changes.touching(conn, s, (app_id, key))
    where = (s.c.app_id == app_id) & (s.c.key == key)
    done = conn.execute(sa.update(s).where(where).values(value=value, updated_at=now))
    if done.rowcount == 0:
        conn.execute(sa.insert(s).values(app_id=app_id, key=key, value=value, updated_at=now))
