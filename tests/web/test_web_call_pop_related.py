"""Screen pop through a related table, and the last-contact setting, in the browser (issue 22),
on a server of this module's own (it adds a field to the demo's aircraft): the aircraft carry
a VIN-like serial; /call?vin=… finds the customers owning an aircraft with it, each listed
with the aircraft that led to it, and opens the one chosen; the key can be chosen on the page.
The 360° settings show the demo's last-contact field (最近联系), and logging a call moves it."""

from __future__ import annotations

import re
from typing import Any

from ui import open_as
from webserver import Server, server_with_clock

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"
VIN = "1M8GDM9AXKP042788"

server = server_with_clock("cairn-callpop-related")


def _serials(server: Server) -> list[dict[str, Any]]:
    """Two aircraft of two customers given the same serial (a VIN key field added)."""
    field = {"key": "serial", "name": "序列号", "type": "vin", "options": {"identity_key": "vin"}}
    server.api("POST", f"{T}/aircraft/fields", field)
    planes = server.api("GET", f"{T}/aircraft/records?limit=50")["items"]
    owners: dict[int, dict[str, Any]] = {}
    for p in planes:
        o = p["owner"][0] if isinstance(p["owner"], list) else p["owner"]
        owner = o["id"] if isinstance(o, dict) else o
        owners.setdefault(owner, p)
        if len(owners) == 2:
            break
    for p in owners.values():
        body = {"serial": VIN, "version": p["version"]}
        server.api("PATCH", f"{T}/aircraft/records/{p['id']}", body)
    return list(owners.values())


def test_a_vin_on_an_aircraft_pops_its_owner(signed_in: Any, server: Server, shoot: Any) -> None:
    page = signed_in
    planes = _serials(server)
    open_as(page, f"{server.url}/call?vin={VIN}", (1280, 800), "zh-CN")
    chooser = page.locator("[data-test=call-matches]")
    chooser.wait_for()
    matches = chooser.locator("[data-test=call-match]")
    assert matches.count() == 2
    via = chooser.locator("[data-test=call-via]").all_inner_texts()
    regs = sorted(p["registration"] for p in planes)
    assert sorted(v.split(" ")[-2] for v in via) == regs, via
    assert all(v.startswith("通过飞机") for v in via), via
    shoot(page, "call-pop-via-aircraft")
    matches.first.click()
    page.wait_for_url(re.compile(r".*/customers/records/\d+/360$"))
    page.locator("[data-test=c360-title]").wait_for()
    # On a phone in English, the key chosen on the page
    open_as(page, f"{server.url}/call", (390, 844), "en")
    page.locator("[data-test=call-kind]").click()
    page.locator(".el-select-dropdown__item", has_text="VIN").click()
    page.locator("input[data-test=call-number], [data-test=call-number] input").fill(VIN.lower())
    page.locator("[data-test=call-search]").click()
    page.locator("[data-test=call-via]").first.wait_for()
    assert "Found through" in page.locator("[data-test=call-via]").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    shoot(page, "call-pop-via-aircraft")


def test_the_last_contact_field_is_set_and_follows_a_call(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    page = signed_in
    open_as(page, f"{server.url}/apps/{APP}/customer-view", (1280, 800), "zh-CN")
    select = page.locator("[data-test=cv-last-contact]")
    select.wait_for()
    assert "最近联系" in select.inner_text()
    shoot(page, "customer-view-last-contact")
    one = server.api("GET", f"{T}/customers/records?limit=1")["items"][0]
    page.goto(f"{server.url}/apps/{APP}/tables/customers/records/{one['id']}/360")
    page.locator("[data-test=log-interaction]").click()
    dialog = page.locator("[data-test=log-dialog]")
    dialog.wait_for()
    dialog.locator("input[data-test=log-subject], [data-test=log-subject] input").fill("回访")
    dialog.locator("[data-test=log-save]").click()
    dialog.wait_for(state="hidden")
    after = server.api("GET", f"{T}/customers/records/{one['id']}")
    assert after["last_contact"] > (one["last_contact"] or "")
    assert after["version"] == one["version"] + 1
