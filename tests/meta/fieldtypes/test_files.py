"""attachment: a list of uploaded file ids, at most ``max_files``."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core import Invalid
from cairn.meta.fieldtypes.files import AttachmentOptions, accepts

from ..helpers import TYPES, cell


def test_attachment_stores_a_list_of_file_ids() -> None:
    c = cell("attachment")
    assert c.read(["f1", "f2"]) == ["f1", "f2"]
    assert c.read([{"id": "f1", "name": "合同.pdf"}, "f2"]) == ["f1", "f2"]
    assert c.read("f1") == ["f1"]


def test_attachment_keeps_each_file_once_in_order() -> None:
    assert cell("attachment").read(["f2", "f1", "f2"]) == ["f2", "f1"]


@pytest.mark.parametrize("blank", [None, []])
def test_no_attachment_reads_as_an_empty_list(blank: Any) -> None:
    c = cell("attachment")
    assert c.coerce(blank) is None
    assert c.read(blank) == []


def test_max_files() -> None:
    c = cell("attachment", max_files=2)
    assert c.read(["a", "b", "a"]) == ["a", "b"]
    err = c.error(["a", "b", "c"])
    assert (err.message.key, err.message.params) == ("value.max", {"max": 2})


def test_default_limits() -> None:
    assert TYPES.get("attachment").validate_options({}) == {
        "max_size_mb": 20.0,
        "allowed_types": [],
        "max_files": 10,
    }
    assert cell("attachment").error_key([f"f{i}" for i in range(11)]) == "value.max"


@pytest.mark.parametrize("value", [[1], [""], ["x" * 65], [None], [{"name": "a.pdf"}], 5])
def test_bad_file_ids_are_rejected(value: Any) -> None:
    assert cell("attachment").error_key(value) == "value.attachment"


@pytest.mark.parametrize(
    "options", [{"max_files": 0}, {"max_files": 101}, {"max_size_mb": 0}, {"max_size_mb": 2048}]
)
def test_bad_attachment_options_are_invalid(options: dict) -> None:
    with pytest.raises(Invalid):
        TYPES.get("attachment").validate_options(options)


@pytest.mark.parametrize(
    ("filename", "mime", "ok"),
    [
        ("合同.PDF", "application/pdf", True),
        ("photo.jpg", "image/jpeg", True),
        ("scan.png", "IMAGE/PNG", True),
        ("notes.txt", "text/plain", False),
        ("virus.exe", "", False),
    ],
)
def test_allowed_types_by_extension_family_or_mime(filename: str, mime: str, ok: bool) -> None:
    options = AttachmentOptions(allowed_types=[".pdf", "image/*"])
    assert accepts(options, filename, mime) is ok


def test_any_type_when_none_are_listed() -> None:
    assert accepts(AttachmentOptions(), "virus.exe", "application/octet-stream")
