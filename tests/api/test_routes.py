"""Routers are included busiest first (``cairn.api.app``): that is only safe while no path is
served by two routes, which this test checks for every route and method."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from starlette.routing import Match


def test_no_two_routes_serve_the_same_path(crm: TestClient) -> None:
    app = crm.app
    routes = []
    for r in app.router.routes:  # type: ignore[attr-defined]
        inner = getattr(r, "original_router", None)
        routes += list(inner.routes) if inner is not None else [r]
    routes = [r for r in routes if getattr(r, "methods", None)]
    # A literal segment that another route takes as a parameter is the same path twice:
    # within one router the order is the author's choice (e.g. /apps/recycle-bin before
    # /apps/{app}), across routers it would depend on the include order.
    clashes = []
    for r in routes:
        sample = re.sub(r"\{[^}]+\}", "123", r.path)
        for method in r.methods:
            scope = {"type": "http", "path": sample, "method": method, "root_path": ""}
            hits = [x for x in routes if x.matches(scope)[0] == Match.FULL]
            owners = {x.endpoint.__module__ for x in hits}
            if len(owners) > 1:
                clashes.append((method, r.path, sorted(x.path for x in hits)))
    assert clashes == []
    assert len(routes) > 100  # every router is seen
