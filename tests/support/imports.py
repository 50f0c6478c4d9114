"""Helpers of the import tests: a CSV in memory, an upload and a run through the services."""

from __future__ import annotations

import io
from typing import Any

from cairn.auth import cli
from cairn.services import Services

HEADER = "客户名称,手机,等级,授信额度,签约日期,有效"


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO("\r\n".join([header, *rows]).encode(encoding))


def upload(
    services: Services, data: io.BytesIO, name: str = "c.csv", table: str = "customers"
) -> int:
    return services.imports.upload("crm", table, name, data, cli())["id"]


def run(
    services: Services, job_id: int, dry: bool = False, table: str = "customers", **body: Any
) -> dict[str, Any]:
    services.imports.start("crm", table, job_id, body, dry_run=dry, principal=cli())
    services.import_runs.work()
    return services.imports.get("crm", table, job_id)


def records(services: Services, table: str = "customers") -> list[dict[str, Any]]:
    return services.records.query("crm", table, sort=[{"field": "id"}], limit=1000)["items"]
