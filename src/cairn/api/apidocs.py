"""The API documentation at ``/docs``, working with no network.

FastAPI's stock page loads Swagger UI from a public CDN and its icon from FastAPI's website, so it
stays blank where Cairn usually runs (a private network). This follows FastAPI's self-hosting
recipe with the assets of the ``swagger-ui-bundle-v2`` package (import name ``swagger_ui_bundle``,
Swagger UI 5, which renders OpenAPI 3.1). Only the three files the page uses are served, under
``/docs/swagger-ui-<version>/``, cached for good (the version is in the path). ReDoc is off: it
would load its script from a CDN.

Like FastAPI's own docs routes these are plain Starlette routes: the application's
authentication dependency does not apply to them (the OpenAPI document is public too).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse

SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
#: The files the page loads; nothing else of the package is served.
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
ASSETS_URL = f"/docs/{SWAGGER_DIR.name}"  # e.g. /docs/swagger-ui-5.31.0


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (create the app with ``docs_url=None, redoc_url=None``)."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )

    async def asset(request: Request) -> FileResponse:
        name = request.path_params["name"]
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(
            SWAGGER_DIR / name, headers={"cache-control": "public, max-age=31536000, immutable"}
        )

    app.add_route("/docs", docs, include_in_schema=False)
    app.add_route(ASSETS_URL + "/{name}", asset, include_in_schema=False)
