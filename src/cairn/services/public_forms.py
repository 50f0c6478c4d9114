"""The public side of a published form: its page and a visitor's submission, served by the
form engine (``forms/public_page.py``, ``forms/submissions.py``) over the services' units of
work and record writes (``services/form_ports.py``)."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from cairn.forms import Submissions
from cairn.forms.public_page import page
from cairn.services.form_ports import RecordWrites, UnitsOfWork
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services


class PublicFormService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def read(self, token: str, prefill: str | None = None) -> dict[str, Any]:
        """What the public page at ``token`` shows (``forms.public_page.page``); ``prefill``:
        a signed link's values."""
        now = self.s.clock.now().astimezone(UTC)
        with unit_of_work(self.s, write=False) as uow:
            return page(uow, token, prefill, now)

    def submit(self, token: str, body: bytes, address: str | None) -> dict[str, Any]:
        """A visitor's submission (the raw request body) from ``address``: checked, then
        created as a record of the publication's owner (``forms.submissions``)."""
        s = self.s
        submissions = Submissions(UnitsOfWork(s), RecordWrites(s), s.clock, s.settings)
        return submissions.submit(token, body, address)
