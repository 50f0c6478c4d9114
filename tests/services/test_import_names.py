"""Related records named in an import (issue 21), on SQLite and PostgreSQL: by the related
table's display field ignoring case, width and surrounding spaces; a name that several
records hold refuses the row with the candidates listed."""

from __future__ import annotations

import io

from cairn.services import Services
from support.imports import records, run, upload


def test_relations_match_ignoring_case_width_and_spaces(services: Services) -> None:
    acme = services.records.create("crm", "customers", {"name": "Acme Trading"})
    beta = services.records.create("crm", "customers", {"name": "Beta Co"})
    beta2 = services.records.create("crm", "customers", {"name": "beta co"})
    text = "\n".join(
        [
            "标题,客户",
            "一,acme trading",
            "二,\u3000ＡＣＭＥ Trading\u3000",  # full-width letters and ideographic spaces
            "三,BETA CO",  # two records: refused, both named
            "四,Gamma",
            f"五,#{beta['id']}",  # an id settles it
        ]
    )
    job = run(services, upload(services, io.BytesIO(text.encode()), table="orders"), table="orders")
    assert job["counts"] == {"created": 3, "updated": 0, "skipped": 0, "refused": 2}
    reasons = {e["row"]: e["reason"] for e in job["errors"]}
    assert f"#{beta['id']} Beta Co" in reasons[4] and f"#{beta2['id']} beta co" in reasons[4]
    assert "Gamma" in reasons[5]
    got = {r["title"]: r["customer"] for r in records(services, "orders")}
    assert got == {"一": acme["id"], "二": acme["id"], "五": beta["id"]}
