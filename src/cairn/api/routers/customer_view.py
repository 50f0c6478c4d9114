"""The customer 360° view settings of an app (set in the web UI)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from cairn.api.deps import SchemaManager, ServicesDep
from cairn.api.schemas import CustomerView

# Reading the view: any member; changing it: administrators and the app's managers.
router = APIRouter(
    prefix="/api/v1/apps/{app}/customer-view", tags=["customer-view"], dependencies=[SchemaManager]
)


@router.get("", response_model=CustomerView, response_model_exclude_unset=True)
def get_customer_view(app: str, services: ServicesDep) -> dict[str, Any]:
    """Which table holds the customers, its key metrics, and the relations shown, in order."""
    return services.customer_view.get(app)


@router.put("", response_model=CustomerView, response_model_exclude_unset=True)
def put_customer_view(
    app: str, services: ServicesDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Replace the view (those who manage the app)."""
    return services.customer_view.put(app, body)
