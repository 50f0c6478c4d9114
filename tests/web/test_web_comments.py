"""Comments on the record page: @ opens the user list, the comment appears in the timeline with
the mention marked, and the API holds the mentioned user's id."""

from __future__ import annotations

from typing import Any

from webserver import Server

APP = "/apps/general_aviation"


def test_a_comment_with_an_at_mention(signed_in: Any, server: Server, shoot: Any) -> None:
    li = server.api("POST", "/api/v1/users", {"username": "li_na", "display_name": "李娜"})
    # The list offers only users who may read the record (issue 14): Li Na reads customers.
    readers = {"app": "general_aviation", "table": "customers", "actions": ["read"]}
    server.api(
        "POST", "/api/v1/roles", {"key": "li_na_reads", "tables": [readers], "members": ["li_na"]}
    )
    page = signed_in
    page.goto(server.url + f"{APP}/tables/customers/records/2")
    page.locator("[data-test=record-title]").wait_for()
    page.get_by_role("tab", name="修改历史").click()
    box = page.locator("[data-test=comment-input]")
    box.click()
    lookups: list[str] = []
    page.on("request", lambda r: lookups.append(r.url) if "/api/v1/users?" in r.url else None)
    box.press_sequentially("请 @li")
    option = page.locator("[data-test=mention-option]:visible", has_text="李娜")
    option.click()
    # The list comes from the server, a few users matching what was typed.
    assert any("search=li&" in u and "limit=10" in u and "active=true" in u for u in lookups)
    box.press_sequentially("跟进这个客户")
    page.locator("[data-test=send-comment]").click()
    entry = page.locator("[data-test=comment-entry]").first
    entry.wait_for()
    # Newest first: the comment is above the record's creation in the timeline.
    first = page.locator("[data-test=history] .el-timeline-item").first
    assert "跟进这个客户" in first.inner_text()
    assert entry.locator(".mention").inner_text() == "@li_na"
    assert "跟进这个客户" in entry.inner_text()
    items = server.api("GET", "/api/v1/apps/general_aviation/tables/customers/records/2/comments")
    assert [c["mentions"] for c in items["items"]] == [[li["id"]]]
    shoot(page, "record-comments")
    # An unknown name is refused next to the box; nothing is saved.
    box.fill("@nobody_here 你好")
    page.locator("[data-test=send-comment]").click()
    page.locator("[data-test=comment-error]", has_text="nobody_here").wait_for()
    # The author deletes their own comment.
    entry.locator("[data-test=delete-comment]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator("[data-test=comment-entry]").wait_for(state="detached")


def test_the_bell_counts_mentions_and_marks_them_read(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    # A colleague mentions the administrator twice (through the API, as their own user).
    zhou = server.api("POST", "/api/v1/users", {"username": "zhou_bell", "is_admin": True})
    token = server.api("POST", "/api/v1/tokens", {"user": zhou["id"], "name": "t"})["token"]
    colleague = Server(server.url, token=token)
    me = server.login[0]
    base = "/api/v1/apps/general_aviation/tables/customers/records"
    colleague.api("POST", f"{base}/3/comments", {"body": f"@{me} 请看第三个客户"})
    colleague.api("POST", f"{base}/4/comments", {"body": f"@{me} 还有第四个"})

    page = signed_in
    page.reload()  # the bell asks at once, then every 30 s
    count = page.locator("[data-test=bell-count] sup")
    count.filter(has_text="2").wait_for()
    page.locator("[data-test=bell]").click()
    items = page.locator("[data-test=notification]")
    items.first.wait_for()
    assert items.count() == 2
    assert "还有第四个" in items.first.inner_text()  # newest first
    shoot(page, "notification-bell")
    items.first.click()  # marks it read and opens the record
    page.wait_for_url("**/customers/records/4")
    count.filter(has_text="1").wait_for()
    page.locator("[data-test=bell]").click()
    page.locator("[data-test=read-all]").click()
    count.wait_for(state="hidden")
    assert server.api("GET", "/api/v1/notifications/unread-count")["unread"] == 0
