"""The HTTP edge: FastAPI routers over the services."""

from cairn.api.app import create_app

__all__ = ["create_app"]
