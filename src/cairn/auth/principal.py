"""Who is acting: a signed-in user (session or API token), the command line or the system."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.core import Forbidden

#: How a principal acts ("public_form": a published form's submission, written as the
#: publication's owner; the rule and alert engines act as their owners on "rule" and "alert").
CHANNELS = ("session", "token", "cli", "system", "public_form")


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    is_admin: bool
    channel: str
    address: str | None = None
    read_only: bool = False
    session_id: str | None = None
    token_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.channel == "system"


#: Engines acting on no user's behalf (templates, migrations, rules without an initiator).
SYSTEM = Principal(None, "system", True, "system")


def cli(user_id: int | None = None, username: str = "cli") -> Principal:
    """The command line: an operator at the server, with administrator rights."""
    return Principal(user_id, username, True, "cli")


def require_admin(principal: Principal) -> None:
    """Administration is for administrators acting with write rights (not a read-only token)."""
    if not principal.is_admin or principal.read_only:
        raise Forbidden("auth.admin_only")
