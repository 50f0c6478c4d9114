"""Phone numbers in E.164 ("+8613800138000"), by phonenumbers' metadata for a region.

The common case, a plain mobile number with or without its country code, takes a fast path
decided by phonenumbers' own patterns; everything else goes through the full parser."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata

from cairn.core.idkeys.common import KeyRefused

_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"^(\+|00)?(\d{6,17})$")
DEFAULT_REGION = "CN"


@functools.lru_cache(maxsize=64)
def _mobile_matcher(region: str) -> tuple[str, re.Pattern[str], re.Pattern[str]] | None:
    """For a region alone in its country code: (code, general pattern, mobile pattern)."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.mobile is None or meta.mobile.national_number_pattern is None:
        return None
    code = str(meta.country_code)
    if len(phonenumbers.region_codes_for_country_code(meta.country_code)) != 1:
        return None
    general = meta.general_desc.national_number_pattern
    return (
        code,
        re.compile(f"(?:{general})"),
        re.compile(f"(?:{meta.mobile.national_number_pattern})"),
    )


def _fast_mobile(text: str, region: str) -> str | None:
    """E.164 for a plain mobile number; None sends the text to the full parser."""
    m = _DIGITS.match(_SEPARATORS.sub("", text))
    matcher = _mobile_matcher(region)
    if m is None or matcher is None:
        return None
    code, general, mobile = matcher
    digits = m.group(2)
    if m.group(1):
        if not digits.startswith(code):
            return None
        digits = digits[len(code) :]
    if digits.startswith("0") or not (general.fullmatch(digits) and mobile.fullmatch(digits)):
        return None
    return f"+{code}{digits}"


#: Numbers remembered (valid ones only: a refusal raises and is not cached). More than an
#: import batch holds: an import reads a batch's key column to match it, and the bulk write
#: then checks the same cells again, which costs a dictionary look-up instead of the patterns.
REMEMBERED = 16_384


@functools.lru_cache(maxsize=REMEMBERED)
def normalise_phone(text: str, region: str) -> str:
    """E.164 for a valid number in ``region``'s numbering; raises KeyRefused otherwise."""
    fast = _fast_mobile(text, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise KeyRefused("value.phone", value=text) from None
    if not phonenumbers.is_valid_number(number):
        raise KeyRefused("value.phone", value=text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(value: str, region: str = DEFAULT_REGION) -> str:
    if not isinstance(value, str) or len(value.strip()) > 40:
        raise KeyRefused("value.phone", value=str(value)[:40])
    return normalise_phone(value.strip(), region)
