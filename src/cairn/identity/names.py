"""Names as One-ID compares them: the same name typed two ways becomes one text.

``normalise_name`` folds what differs between two people typing one name and carries no
meaning: full-width and half-width forms (NFKC), case, spaces and punctuation; with
``company`` it also drops the legal-form suffixes of a company name (有限公司, Co., Ltd.,
Inc. ...), so "上海某某科技有限公司" and "上海某某科技" compare equal. A suffix is dropped only
as a whole word (Latin) or as the tail of a longer Chinese name, so "Marco" keeps its "co".
"""

from __future__ import annotations

import re
import unicodedata

#: Latin legal forms, as whole trailing words (after punctuation became spaces).
LATIN_SUFFIXES = frozenset(
    {"co", "ltd", "limited", "inc", "incorporated", "llc", "corp", "corporation", "gmbh", "company"}
)
#: Chinese legal forms, longest first: a name ends with at most one of them.
CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团", "公司")


#: What separates words: anything but letters and digits (``\W`` keeps CJK as letters).
_SEPARATORS = re.compile(r"[\W_]+")


def _words(text: str) -> list[str]:
    """The text folded (NFKC, case) and cut into words at anything not a letter or digit."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub(" ", folded).split()


def normalise_name(text: object, *, company: bool = True) -> str:
    """The comparable form of a name: folded, without spaces and punctuation; ``company``:
    without a trailing legal form. Empty for a blank or a non-text value."""
    if not isinstance(text, str):
        return ""
    words = _words(text)
    if company:
        while len(words) > 1 and words[-1] in LATIN_SUFFIXES:
            words.pop()
    joined = "".join(words)
    if company:
        for suffix in CJK_SUFFIXES:
            if joined.endswith(suffix) and len(joined) - len(suffix) >= 2:
                joined = joined[: -len(suffix)]
                break
    return joined
