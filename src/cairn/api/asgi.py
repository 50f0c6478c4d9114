"""The ASGI application uvicorn imports: settings from the environment."""

from __future__ import annotations

from cairn.api import create_app
from cairn.core import Settings
from cairn.services import build_services

app = create_app(build_services(Settings(), run_migrations=False))
