"""The ASGI application uvicorn imports: settings from the environment."""

from __future__ import annotations

from cairn.api import create_app
from cairn.api.heap import settle
from cairn.core import Settings
from cairn.services import build_services

app = create_app(build_services(Settings(), run_migrations=False))
# Everything built so far lives as long as the process: keep it out of the collector's walks.
settle()
