"""Departments and roles (with table, row and field permissions), and "why can I see this"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.identity import (
    Department,
    DepartmentList,
    PermissionExplanation,
    Role,
    RoleList,
)
from cairn.api.schemas import DepartmentIn, Id

router = APIRouter(prefix="/api/v1", tags=["organisation"])


@router.get("/departments", response_model=DepartmentList)
def list_departments(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.directory.list_departments()


@router.post("/departments", status_code=201, response_model=Department)
def create_department(
    body: DepartmentIn, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.directory.create_department(principal, body.model_dump(exclude_unset=True))


@router.patch("/departments/{department_id}", response_model=Department)
def update_department(
    department_id: Id, body: DepartmentIn, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.directory.update_department(
        principal, department_id, body.model_dump(exclude_unset=True)
    )


@router.delete("/departments/{department_id}", status_code=204)
def delete_department(
    department_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.directory.delete_department(principal, department_id)
    return Response(status_code=204)


@router.get("/roles", response_model=RoleList)
def list_roles(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.directory.list_roles(principal)


@router.post("/roles", status_code=201, response_model=Role)
def create_role(
    body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A role: ``tables`` [{app, table, actions, row_scope, row_filter, fields: {key: access}}],
    ``manages_apps`` [app keys], ``members`` [user ids or names]."""
    return services.directory.create_role(principal, body)


@router.get("/roles/{role}", response_model=Role)
def get_role(role: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.directory.get_role(principal, role)


@router.patch("/roles/{role}", response_model=Role)
def update_role(
    role: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.directory.update_role(principal, role, body)


@router.delete("/roles/{role}", status_code=204)
def delete_role(role: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.directory.delete_role(principal, role)
    return Response(status_code=204)


@router.get("/permissions/explain", response_model=PermissionExplanation)
def explain(
    services: ServicesDep,
    principal: PrincipalDep,
    app: str,
    table: str,
    user: str | None = None,
    record: Id | None = None,
) -> dict[str, Any]:
    """Why can (or cannot) ``user`` see or change this table, and this record: the roles that
    grant each action, their row scopes (and whether the record lies in them), field rules."""
    return services.directory.explain(principal, user, app, table, record)
