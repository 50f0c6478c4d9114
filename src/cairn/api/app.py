"""create_app: the FastAPI application over a Services instance."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from cairn import __version__
from cairn.api import apidocs, problems
from cairn.api.deps import authenticate
from cairn.api.models.system import Health, Version
from cairn.api.routers import (
    alerts,
    apps,
    audit,
    auth,
    calendar,
    channels,
    comments,
    customer_view,
    customers,
    dashboards,
    deliveries,
    directory,
    files,
    form_publications,
    forms,
    identity,
    imports,
    interactions,
    kpi_mappings,
    merges,
    notifications,
    org,
    processes,
    public_forms,
    records,
    reports,
    rules,
    scores,
    segments,
    tables,
    tags,
    test_clock,
    timeline,
    users,
    views,
)
from cairn.api.webui import WEBUI_DIR, WebUI
from cairn.services import Services


def operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "api"
    return f"{tag}-{route.name}"


def create_app(services: Services, webui_dir: Path = WEBUI_DIR) -> FastAPI:
    app = FastAPI(
        title="Cairn",
        version=__version__,
        description="Cairn: a no-code customer-management platform. 无代码客户管理平台。",
        generate_unique_id_function=operation_id,
        # /docs is served from local assets (apidocs); ReDoc is off (it needs a CDN).
        docs_url=None,
        redoc_url=None,
        # Every route needs a signed-in principal (deps.PUBLIC lists the exceptions).
        dependencies=[Depends(authenticate)],
        responses=problems.RESPONSES,
    )
    app.state.services = services
    problems.install(app)
    apidocs.install(app)
    # Routes are matched in this order, router by router (a few microseconds each): the
    # busiest come first. No two routers serve the same path (tests/api/test_routes.py).
    for module in (
        records,
        reports,
        dashboards,
        auth,
        users,
        org,
        audit,
        apps,
        tables,
        comments,
        merges,
        files,
        imports,
        identity,
        customer_view,
        tags,
        segments,
        customers,
        interactions,
        scores,
        timeline,
        views,
        forms,
        form_publications,
        public_forms,
        alerts,
        kpi_mappings,
        processes,
        calendar,
        rules,
        notifications,
        channels,
        deliveries,
        directory,
    ):
        app.include_router(module.router)
    app.include_router(imports.mappings)
    app.include_router(rules.hooks)
    app.include_router(rules.formula)
    # Otherwise 404 and not in the OpenAPI document (``services`` is None where only the
    # document is wanted).
    if services is not None and services.settings.test_clock:
        app.include_router(test_clock.router)

    @app.get("/api/v1/health", tags=["system"], response_model=Health)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # The database kind is read once; ``services`` is None where only the document is wanted.
    database = services.engine.dialect.name if services is not None else "sqlite"

    @app.get("/api/v1/version", tags=["system"], response_model=Version)
    async def version() -> dict[str, str]:
        """The product, its version and the kind of database (no sign-in: for monitoring)."""
        return {"name": "Cairn", "version": __version__, "database": database}

    # Last: the web UI at "/" (files, else index.html for the UI's own routes).
    app.mount("/", WebUI(webui_dir), name="webui")

    return app
