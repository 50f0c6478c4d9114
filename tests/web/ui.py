"""Small helpers for driving Element Plus widgets with Playwright."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout


def field(page: Any, key: str) -> Any:
    """The form item of a record field (label, editor, error)."""
    return page.locator(f".field-item[data-field={key}]")


def type_into(scope: Any, text: str) -> None:
    """Fill the input or textarea inside ``scope`` (an el-input's wrapper or the input)."""
    box = scope.locator("xpath=descendant-or-self::input | descendant-or-self::textarea").first
    box.fill(text)


def choose(page: Any, select: Any, option: str) -> None:
    """Open an el-select and click the visible option with this text. A click that lands while
    another popper (a dropdown menu just used, a toast) is still closing can leave the select shut:
    the select is clicked again, up to three times, when its options do not show."""
    wrapper = select.locator(".el-select__wrapper").first
    item = page.locator(".el-select-dropdown__item:visible", has_text=option).first
    for attempt in range(3):
        wrapper.click()
        try:
            # The last try waits the page's full default timeout (a slow machine is not a shut select).
            item.wait_for(timeout=5_000 if attempt < 2 else None)
            # A re-render of the form around the select (a preview updating) can shut the list
            # between finding the option and clicking it: then the select is opened again.
            item.click(timeout=5_000 if attempt < 2 else None)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def close_dropdowns(page: Any) -> None:
    page.keyboard.press("Escape")


def drag(page: Any, source: Any, target: Any, *, at: str = "bottom") -> None:
    """Drag with the mouse in small steps (SortableJS runs in fallback mode: mouse events) to the
    top or bottom edge of ``target``. Waits first until no request is in flight (a save still
    re-rendering the canvas would replace the elements under the mouse) and no toast is shown."""
    page.wait_for_load_state("networkidle")
    # "Saved" toasts float over the top of the page: a drop under one would land on the toast.
    page.wait_for_function("document.querySelectorAll('.el-message').length === 0")
    source.scroll_into_view_if_needed()
    source.hover()
    s = source.bounding_box()
    t = target.bounding_box()
    assert s and t, "drag source or target not visible"
    page.mouse.move(s["x"] + s["width"] / 2, s["y"] + s["height"] / 2)
    page.mouse.down()
    page.mouse.move(s["x"] + s["width"] / 2 + 10, s["y"] + s["height"] / 2 + 10, steps=4)
    y = t["y"] + t["height"] - 8 if at == "bottom" else t["y"] + 6
    page.mouse.move(t["x"] + t["width"] / 2, y, steps=12)
    page.mouse.move(t["x"] + t["width"] / 2, y + 2, steps=2)
    page.mouse.up()


def grid_column(page: Any, key: str) -> list[str]:
    """The texts of one column of the records grid, top to bottom as shown."""
    page.locator(f".el-table-v2__row [data-field={key}]").first.wait_for()
    return page.locator(f".el-table-v2__row [data-field={key}]").all_inner_texts()


def drag_into(page: Any, source: Any, target: Any, *, into: Any = None) -> None:
    """Drag ``source`` over the middle of ``target`` and let go only once SortableJS shows it in
    the list ``into`` (default: ``target``): a drop at the end of a long path can otherwise land
    in a list passed on the way. Moves a little while it is not there yet (no fixed waits)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.querySelectorAll('.el-message').length === 0")
    source.scroll_into_view_if_needed()
    s = source.bounding_box()
    assert s, "drag source not visible"
    page.mouse.move(s["x"] + s["width"] / 2, s["y"] + s["height"] / 2)
    page.mouse.down()
    page.mouse.move(s["x"] + s["width"] / 2 + 10, s["y"] + s["height"] / 2 + 10, steps=4)
    box = (into or target).element_handle()
    for i in range(30):
        t = target.bounding_box()
        assert t, "drag target not visible"
        page.mouse.move(t["x"] + t["width"] / 2 + (i % 3), t["y"] + t["height"] / 2, steps=4)
        if box.evaluate("el => !!el.querySelector('.ghost, .sortable-ghost')"):
            break
    page.mouse.up()


def open_as(page: Any, url: str, size: tuple[int, int], lang: str) -> None:
    """Open ``url`` in a window of ``size`` with the UI in ``lang`` (the user's choice kept from
    before)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.evaluate(f"localStorage.setItem('cairn.lang', '{lang}')")
    page.goto(url)


def switch_language(page: Any, lang: str) -> None:
    """Switch the UI language with the header's switch and wait until the page has it."""
    page.locator("[data-test=lang-switch]").click()
    page.locator(f"[data-test=lang-{lang}]").click()
    page.wait_for_function(f"document.documentElement.lang === '{lang}'")


def wait_until(check: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    """Poll ``check()`` until it gives something (the worker acts in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
