"""Names as One-ID compares them: width, case, spaces and punctuation fold away; a company's
legal form is dropped only as a whole word or the tail of a longer Chinese name."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.identity.names import normalise_name


def test_width_case_spaces_and_punctuation_fold() -> None:
    assert normalise_name("  Ｚｈａｎｇ  Wei-Ming ") == "zhangweiming"
    assert normalise_name("张 伟·明") == "张伟明"


def test_company_suffixes_go_only_when_asked_and_only_whole() -> None:
    assert normalise_name("上海某某科技有限公司") == "上海某某科技"
    assert normalise_name("ACME Co., Ltd.") == "acme"
    assert normalise_name("Acme Inc") == "acme"
    assert normalise_name("Marco") == "marco"  # "co" is no word of its own
    assert normalise_name("公司") == "公司"  # nothing would be left: kept
    assert normalise_name("ACME Co., Ltd.", company=False) == "acmecoltd"


def test_non_text_is_empty() -> None:
    assert normalise_name(None) == ""
    assert normalise_name(12) == ""


TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=30)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_normalising_is_idempotent_and_blind_to_spacing(text: str) -> None:
    once = normalise_name(text, company=False)
    assert normalise_name(once, company=False) == once
    assert normalise_name(f"  {text} . ", company=False) == once
    assert " " not in once
