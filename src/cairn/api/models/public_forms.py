"""Replies about published forms: a publication (for the app's managers), a prefill link,
and what the public page of a form gets (no sign-in)."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply
from cairn.api.models.schema import FormEnv, FormLayout


class PublicationOwner(Reply):
    id: int
    username: str
    display_name: str


class ThankYouText(Reply):
    title: str
    text: str


class Publication(Reply):
    """A form published at ``path`` (``/f/<token>``, a page of the web UI): who owns the
    records it makes, the thank-you page (zh-CN and en; empty: the page's own words), the
    fields a signed link may fill in (``prefill``), and its spam limits. ``offered``: the
    fields a visitor fills in (of the form's, those a public form may offer and the owner
    may write); ``prefillable``: the fields links could be allowed to fill in."""

    form: str
    enabled: bool
    token: str
    path: str
    owner: PublicationOwner | None
    #: False when the owner was disabled (the form then takes nothing).
    owner_active: bool
    thank_you: dict[str, ThankYouText]
    prefill: list[str]
    min_fill_seconds: int
    max_bytes: int
    difficulty: int
    version: int
    offered: list[str]
    prefillable: list[str]


class PublicationLink(Reply):
    """A link to the public form carrying signed values: ``url`` (a path of this server),
    ``prefill`` (the signed part) and when it expires."""

    url: str
    prefill: str
    expires_at: str


class PublicFormField(Reply):
    """A field as the public form shows it (its options: what its editor needs)."""

    key: str
    name: str
    type: str
    required: bool
    help_text: str
    options: dict[str, Any]


class PublicChallenge(Reply):
    """A proof-of-work challenge: find a nonce (decimal digits) such that SHA-256 of
    ``<token>:<nonce>`` starts with ``difficulty`` zero bits; send it no sooner than
    ``min_seconds`` and no later than ``expires_in`` seconds after this reply."""

    token: str
    difficulty: int
    min_seconds: int
    expires_in: int


class PublicForm(Reply):
    """What the public page of a form needs and nothing else: the form's title, the fields
    a visitor fills in, its layout and linkage rules (as the browser runs them), the values
    it starts with (``locked``: carried by the signed link, not the visitor's to change), a
    challenge to solve, the thank-you texts and the largest submission taken."""

    title: str
    fields: list[PublicFormField]
    layout: FormLayout
    linkage: dict[str, Any]
    env: FormEnv
    values: dict[str, Any]
    locked: list[str]
    challenge: PublicChallenge
    thank_you: dict[str, ThankYouText]
    max_bytes: int


class PublicSubmitted(Reply):
    received: bool
    thank_you: dict[str, ThankYouText]
