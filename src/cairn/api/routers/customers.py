"""Customers across apps (issue 22): screen pop by an identity key, and the 360° summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.insight import CustomerLookup, CustomerSummary
from cairn.api.schemas import Id
from cairn.core import Invalid

router = APIRouter(tags=["customers"])


@router.get("/api/v1/customers/lookup", response_model=CustomerLookup)
def lookup_customers(
    services: ServicesDep,
    principal: PrincipalDep,
    phone: str | None = None,
    email: str | None = None,
    vin: str | None = None,
    id_number: str | None = None,
    ffp: str | None = None,
    key: str | None = None,
    value: str | None = None,
    app: str | None = None,
) -> dict[str, Any]:
    """Customers whose identity key equals the value (normalised: ``+86 138-0013-8000`` and
    ``13800138000`` are one number), in the apps and records the caller may read: in each
    app its customer table, or (without a customer view) every table with such a key. None
    found: ``matches`` is empty."""
    given = {
        k: v
        for k, v in (
            ("phone", phone),
            ("email", email),
            ("vin", vin),
            ("id_number", id_number),
            ("ffp", ffp),
        )
        if v is not None
    }
    if key is not None:
        given[key] = value if value is not None else ""
    if len(given) != 1:
        raise Invalid.on("key", "lookup.key", keys="phone, email, vin, id_number, ffp")
    ((k, v),) = given.items()
    return services.customers.lookup(k, v, principal, app=app)


@router.get(
    "/api/v1/apps/{app}/tables/{table}/records/{record_id}/360", response_model=CustomerSummary
)
def customer_summary(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The record's 360° header: title, identity keys (masked as the caller sees them),
    owner, the configured metrics and each related section's count of readable records."""
    return services.customers.summary(app, table, record_id, principal)
