"""The built web UI (``src/cairn/webui``, made by ``make web``) served at ``/``.

Files are served as they are (hashed assets cached for a year); any other path that is not under
``/api`` gets ``index.html`` so the UI's own routes survive deep links and reloads. Unknown
``/api`` paths stay JSON 404 problems whatever the method.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

WEBUI_DIR = Path(__file__).resolve().parent.parent / "webui"
#: Paths FastAPI serves itself; everything else outside /api belongs to the UI.
API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json")


class WebUI:
    """An ASGI app mounted at ``/`` after every API route."""

    def __init__(self, directory: Path = WEBUI_DIR) -> None:
        self.directory = directory.resolve()

    @property
    def built(self) -> bool:
        return (self.directory / "index.html").is_file()

    def file_for(self, path: str) -> Path | None:
        """The file under the UI directory that ``path`` names, never one outside it."""
        if not path.strip("/"):
            return None
        candidate = (self.directory / path.lstrip("/")).resolve()
        if candidate.is_relative_to(self.directory) and candidate.is_file():
            return candidate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise HTTPException(404)
        request = Request(scope, receive)
        path = request.url.path
        if path == "/api" or path.startswith(API_PREFIXES):
            raise HTTPException(404)
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(405)
        response = self.respond(path)
        await response(scope, receive, send)

    def respond(self, path: str) -> Response:
        if not self.built:
            # No UI built (an API-only install): the front door is the API's documentation.
            if path == "/":
                return RedirectResponse("/docs")
            raise HTTPException(404)
        file = self.file_for(path)
        if file is not None:
            immutable = file.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(file, headers={"cache-control": cache})
        if path.startswith("/assets/"):
            raise HTTPException(404)  # a stale asset name: never answer a script with HTML
        return FileResponse(self.directory / "index.html", headers={"cache-control": "no-cache"})
