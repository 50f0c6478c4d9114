"""Replies about the instance itself."""

from __future__ import annotations

from cairn.api.models.base import Reply


class Health(Reply):
    """The instance answers: ``status`` is ``ok``, ``version`` the Cairn version."""

    status: str
    version: str
