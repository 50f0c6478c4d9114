"""create_app: the FastAPI application over a Services instance."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse

from cairn import __version__
from cairn.api import problems
from cairn.api.routers import apps, dashboards, files, records, reports, tables
from cairn.services import Services


def operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "api"
    return f"{tag}-{route.name}"


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Cairn",
        version=__version__,
        description="Cairn: a no-code customer-management platform. 无代码客户管理平台。",
        generate_unique_id_function=operation_id,
    )
    app.state.services = services
    problems.install(app)
    for module in (apps, tables, records, files, reports, dashboards):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # The web UI arrives with its own issue; until then the front door is the API's docs.
        return RedirectResponse("/docs")

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
