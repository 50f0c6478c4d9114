"""Replies about the instance itself."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cairn.api.models.base import Reply


class Health(Reply):
    """The instance answers: ``status`` is ``ok``, ``version`` the Cairn version."""

    status: str
    version: str


class Version(Reply):
    """What is answering, for monitoring and for clients: no sign-in needed, like ``health``."""

    name: Literal["Cairn"] = Field(description="The product")
    version: str = Field(description="The Cairn version (``cairn.__version__``)")
    database: Literal["sqlite", "postgresql"] = Field(
        description="The kind of database this instance stores its data in"
    )
