"""Identity keys: one module per kind, each a normaliser that also validates.

A normaliser takes what a person typed (full-width characters, spaces, lower case, separators)
and returns the one canonical text of the key, or raises ``KeyRefused`` naming the rule the
value breaks (a message key of the form engine, e.g. ``value.vin_check``). Canonical texts are
what fields store and what One-ID compares, so equal keys are equal strings.

The kinds sit in the kernel, below the field types that validate with them (``cairn.meta``)
and the identity engine that matches on them (``cairn.identity``); see docs/identity-keys.md.
"""

from __future__ import annotations

from collections.abc import Callable

from cairn.core.idkeys import (
    credit_code,
    email,
    ffp,
    id_number,
    mobile,
    passport,
    plate,
    vin,
)
from cairn.core.idkeys.common import KeyRefused

Normaliser = Callable[[str], str]

#: Kind → its normaliser. The mobile kind uses the installation's default region "CN";
#: a phone field passes its own region to ``mobile.normalise``.
KINDS: dict[str, Normaliser] = {
    "mobile": mobile.normalise,
    "email": email.normalise,
    "id_number": id_number.normalise,
    "vin": vin.normalise,
    "credit_code": credit_code.normalise,
    "passport": passport.normalise,
    "ffp": ffp.normalise,
    "plate": plate.normalise,
}


def normalise_key(kind: str, text: str) -> str:
    """The canonical text of ``text`` as a key of ``kind``; raises KeyRefused."""
    return KINDS[kind](text)


__all__ = ["KINDS", "KeyRefused", "Normaliser", "normalise_key"]
