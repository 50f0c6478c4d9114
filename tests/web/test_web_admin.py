"""Administration in the browser: departments, roles with a department row scope and a masked
field, users (created with a generated password), API tokens and the audit log.

The required path: an administrator builds the organisation and a role by clicking, then the new
user signs in and sees only their department's rows, with the phone masked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, type_into
from webserver import Server

APP = "scope_test"
PEOPLE = f"/api/v1/apps/{APP}/tables/people/records"


def _people_app(server: Server) -> None:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "范围测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "people",
            "name": "联系人",
            "display_field": "name",
            "fields": [
                {"key": "name", "name": "姓名", "type": "text", "required": True},
                {"key": "phone", "name": "手机号", "type": "phone"},
            ],
        },
    )
    # The administrator's own record: not in the new department.
    server.api("POST", PEOPLE, {"name": "总部客户", "phone": "13900000000"})


def _confirm_prompt(page: Any, text: str) -> None:
    box = page.locator(".el-message-box")
    box.locator("input").fill(text)
    box.locator(".el-message-box__btns .el-button--primary").click()
    box.wait_for(state="hidden")


def test_a_role_with_a_department_scope_and_a_masked_phone(
    signed_in: Any, server: Server, browser: Any, shoot: Any
) -> None:
    _people_app(server)
    page = signed_in
    # Administration is in the user menu of an administrator.
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=menu-admin]").click()
    page.locator("[data-test=admin-users]").wait_for()

    # 1. A department, with the administrator as its manager.
    page.locator("[data-test=admin-menu-departments]").click()
    page.locator("[data-test=new-department]").click()
    _confirm_prompt(page, "华东销售部")
    page.locator("[data-test=department-detail]").wait_for()
    choose(page, page.locator("[data-test=department-manager]"), server.login[0])
    page.locator("[data-test=save-department]").click()
    page.locator("[data-test='dept-华东销售部']", has_text=server.login[0]).wait_for()
    dept = next(
        d for d in server.api("GET", "/api/v1/departments")["items"] if d["name"] == "华东销售部"
    )
    assert dept["manager_id"] is not None

    # 2. A role: read the people of its own department, the phone masked.
    page.locator("[data-test=admin-menu-roles]").click()
    page.locator("[data-test=new-role]").click()
    _confirm_prompt(page, "east_sales")
    page.locator("[data-test=role-editor]").wait_for()
    type_into(page.locator("[data-test=role-name]"), "华东销售岗")
    page.locator(f"[data-test=perm-{APP}-people-read]").click()
    choose(page, page.locator(f"[data-test=scope-{APP}-people]"), "本部门")
    page.locator(f"[data-test=fields-{APP}-people]").click()
    page.locator("[data-test=access-phone-masked]").click()
    page.locator("[data-test=fields-done]").click()
    page.locator("[data-test=save-role]").click()
    page.locator("[data-test=role-east_sales]", has_text="华东销售岗").wait_for()
    role = server.api("GET", "/api/v1/roles/east_sales")
    assert role["tables"] == [
        {
            "app": APP,
            "table": "people",
            "actions": ["read"],
            "row_scope": "department",
            "row_filter": None,
            "fields": {"phone": "masked"},
        }
    ]
    shoot(page, "admin-roles-edited")

    # 3. A user in that department with that role; the generated password is shown once.
    page.locator("[data-test=admin-menu-users]").click()
    page.locator("[data-test=new-user]").click()
    type_into(page.locator("[data-test=user-username]"), "zhao_lei")
    type_into(page.locator("[data-test=user-display-name]"), "赵磊")
    choose(page, page.locator("[data-test=user-department]"), "华东销售部")
    choose(page, page.locator("[data-test=user-roles]"), "华东销售岗")
    page.keyboard.press("Escape")
    page.locator("[data-test=save-user]").click()
    password = page.locator("[data-test=shown-password]").inner_text().strip()
    assert len(password) >= 10
    shoot(page, "admin-user-password")
    page.locator("[data-test=password-done]").click()
    page.locator("[data-test=user-zhao_lei]").wait_for()

    # A colleague in the same department adds two people (their records, their department).
    colleague = server.api(
        "POST",
        "/api/v1/users",
        {"username": "qian_li", "department_id": dept["id"], "is_admin": True},
    )
    token = server.api("POST", "/api/v1/tokens", {"user": colleague["id"], "name": "t"})["token"]
    as_colleague = Server(server.url, token=token)
    as_colleague.api("POST", PEOPLE, {"name": "华东客户甲", "phone": "13812345678"})
    as_colleague.api("POST", PEOPLE, {"name": "华东客户乙", "phone": "13787654321"})

    # 4. The new user signs in and sees only their department's rows, the phone masked.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        user = context.new_page()
        user.set_default_timeout(15_000)
        user.goto(server.url + f"/apps/{APP}/tables/people")
        user.wait_for_url("**/sign-in**")
        user.locator("input[name=username]").fill("zhao_lei")
        user.locator("input[name=password]").fill(password)
        user.locator("[data-test=sign-in]").click()
        user.locator(".el-table-v2__row [data-field=name]").first.wait_for()
        names = user.locator(".el-table-v2__row [data-field=name]").all_inner_texts()
        phones = user.locator(".el-table-v2__row [data-field=phone]").all_inner_texts()
        assert sorted(n.strip() for n in names) == ["华东客户乙", "华东客户甲"]
        assert all("*" in p for p in phones), phones
        assert not any("12345678" in p or "87654321" in p for p in phones)
        shoot(user, "scoped-user-grid")
        # No administration for a member: not in the menu, and the address leads home.
        user.locator("[data-test=user-menu]").click()
        user.locator("[data-test=sign-out]").wait_for()
        assert user.locator("[data-test=menu-admin]").count() == 0
        user.keyboard.press("Escape")
        user.goto(server.url + "/admin/users")
        user.locator("[data-test=new-app], [data-test^=app-]").first.wait_for()
        assert "/admin" not in user.url
    finally:
        context.close()

    # 5. Disable and enable again; reset the password (a new one is shown).
    page.locator("[data-test=toggle-zhao_lei]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator("[data-test=status-zhao_lei]", has_text="已停用").wait_for()
    page.locator("[data-test=toggle-zhao_lei]").click()
    page.locator("[data-test=status-zhao_lei]", has_text="正常").wait_for()
    page.locator("[data-test=reset-zhao_lei]").click()
    page.locator(".el-message-box .el-button--primary").click()
    shown = page.locator("[data-test=shown-password]:visible", has_text=re.compile(r"\S{10}"))
    again = shown.inner_text().strip()
    assert again and again != password
    page.locator("[data-test=password-done]").click()


def test_api_tokens_and_the_audit_log(signed_in: Any, server: Server, shoot: Any) -> None:
    page = signed_in
    page.goto(server.url + "/admin/tokens")
    page.locator("[data-test=new-token]").click()
    type_into(page.locator("[data-test=token-name]"), "ERP 对接")
    page.locator("[data-test=create-token]").click()
    token = page.locator("[data-test=shown-token]").inner_text().strip()
    assert len(token) > 20
    page.locator("[data-test=token-done]").click()
    # The token works until it is revoked.
    assert Server(server.url, token=token).api("GET", "/api/v1/apps") is not None
    page.locator("[data-test='revoke-ERP 对接']").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator("[data-test='revoke-ERP 对接']").wait_for(state="detached")
    with pytest.raises(AssertionError, match="401"):
        Server(server.url, token=token).api("GET", "/api/v1/apps")

    page.goto(server.url + "/admin/audit")
    page.locator("[data-test=audit-table] .el-table__row").first.wait_for()
    type_into(page.locator("[data-test=audit-action]"), "token.*")
    page.locator("[data-test=audit-search]").click()
    # The table shows the unfiltered list until the search answers: wait for the filtered one.
    cells = page.locator("[data-test=audit-table] .audit-action")
    expect(cells.filter(has_not_text=re.compile(r"^token\."))).to_have_count(0)
    expect(cells.filter(has_text="token.revoke")).not_to_have_count(0)
    actions = cells.all_inner_texts()
    assert actions and all(a.startswith("token.") for a in actions)
    page.locator("[data-test=audit-verify]").click()
    page.locator("[data-test=verify-result]", has_text="完整").wait_for()
    shoot(page, "admin-audit-verified")


def test_drag_a_department_under_another(signed_in: Any, server: Server) -> None:
    head = server.api("POST", "/api/v1/departments", {"name": "拖拽总部"})
    team = server.api("POST", "/api/v1/departments", {"name": "拖拽一组"})
    page = signed_in
    page.goto(server.url + "/admin/departments")
    source = page.locator("[data-test='dept-拖拽一组']")
    target = page.locator("[data-test='dept-拖拽总部']")
    source.wait_for()
    source.drag_to(target)
    page.locator(".el-message", has_text="拖拽一组").wait_for()
    moved = next(
        d for d in server.api("GET", "/api/v1/departments")["items"] if d["id"] == team["id"]
    )
    assert moved["parent_id"] == head["id"]
    # Shown nested: the group is inside the head office's children now.
    page.locator(".el-tree-node__children [data-test='dept-拖拽一组']").wait_for()
