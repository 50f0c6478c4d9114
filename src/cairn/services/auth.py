"""Sign-in, sessions and API tokens: the use cases behind /auth and the bearer/cookie check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, apitokens, passwords, sessions
from cairn.auth import users as auth_users
from cairn.auth.sessions import Authenticated, SignedIn
from cairn.auth.throttle import clear, keys, locked_until, record_failure
from cairn.auth.token_cache import TokenCache
from cairn.core import Invalid, NotFound, TooManyRequests, Unauthenticated
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services

#: A token's last use is recorded at most this often (saves a write per request).
TOKEN_TOUCH = timedelta(minutes=5)


class AuthService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def _now(self) -> datetime:
        return self.s.clock.now().astimezone(UTC).replace(tzinfo=None)

    @property
    def _ttl(self) -> timedelta:
        return timedelta(hours=self.s.settings.session_hours)

    # -- sign-in ---------------------------------------------------------------------------
    def login(
        self,
        username: Any,
        password: Any,
        address: str | None = None,
        user_agent: str | None = None,
    ) -> SignedIn:
        """Check the password and open a session. The same error for an unknown user, a wrong
        password and a disabled account; a lock-out after repeated failures (429)."""
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            raise Unauthenticated("auth.bad_credentials")
        settings = self.s.settings
        lock = timedelta(minutes=settings.login_lock_minutes)
        throttle_keys = keys(username, address)
        now = self._now()
        with unit_of_work(self.s) as uow:
            until = locked_until(uow.conn, [k for k, _ in throttle_keys], now)
        if until is not None:
            raise self._locked(until, now)
        with unit_of_work(self.s) as uow:
            row = auth_users.by_username(uow.conn, username.strip())
            ok = passwords.verify(row.password_hash if row else None, password)
            if not ok or row is None or row.status != "active":
                actor = Principal(
                    row.id if row else None, username.strip()[:64], False, "session", address
                )
                uow.principal = actor
                started = record_failure(
                    uow.conn, throttle_keys, now, settings.login_max_failures, lock
                )
                uow.audit(
                    Entry(
                        "auth.login_failed",
                        "user",
                        row.id if row else None,
                        details={"locked": started is not None},
                    )
                )
                failure: Exception = (
                    self._locked(started, now)
                    if started
                    else Unauthenticated("auth.bad_credentials")
                )
            else:
                failure = None  # type: ignore[assignment]
                clear(uow.conn, throttle_keys[0][0])
                if passwords.needs_rehash(row.password_hash):
                    auth_users.update(
                        uow.conn, row.id, now, password_hash=passwords.hash_password(password)
                    )
                auth_users.update(uow.conn, row.id, now, last_login_at=now)
                new = sessions.create(uow.conn, row.id, now, self._ttl, address, user_agent)
                uow.principal = Principal(row.id, row.username, row.is_admin, "session", address)
                uow.audit(Entry("auth.login", "user", row.id))
                sessions.purge_expired(uow.conn, now)
                user = auth_users.public(auth_users.by_id(uow.conn, row.id))
        if failure is not None:
            raise failure
        return SignedIn(user, new.cookie, new.csrf_token, new.expires_at)

    def _locked(self, until: datetime, now: datetime) -> TooManyRequests:
        seconds = max(1, int((until - now).total_seconds()))
        return TooManyRequests("auth.locked", retry_after=seconds, minutes=-(-seconds // 60))

    def logout(self, principal: Principal, everywhere: bool = False) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            if everywhere and principal.user_id is not None:
                n = sessions.end_all(uow.conn, principal.user_id)
                uow.audit(Entry("auth.logout", "user", principal.user_id, details={"sessions": n}))
            elif principal.session_id is not None:
                sessions.end(uow.conn, principal.session_id)
                uow.audit(Entry("auth.logout", "user", principal.user_id))

    # -- per request -----------------------------------------------------------------------
    def by_session(self, cookie: str, address: str | None) -> Authenticated | None:
        now = self._now()
        with unit_of_work(self.s, write=False) as uow:
            row = sessions.find(uow.conn, cookie, now)
            if row is None:
                return None
            user = auth_users.by_id(uow.conn, row.user_id)
            if user is None or user.status != "active":
                return None
        if now - row.last_seen_at > sessions.TOUCH_EVERY:
            with unit_of_work(self.s) as uow:
                sessions.touch(uow.conn, row.id, now, self._ttl)
        principal = Principal(
            user.id, user.username, bool(user.is_admin), "session", address, session_id=row.id
        )
        return Authenticated(principal, row.csrf_token)

    def cached_token(self, token: str, address: str | None) -> Authenticated | None:
        """The token's principal if it was checked moments ago (no database access)."""
        if not token.startswith(apitokens.TOKEN_PREFIX):
            return None
        principal = self.s.tokens.get(apitokens.digest(token), self._now())
        if principal is None:
            return None
        return Authenticated(replace(principal, address=address), None)

    def by_token(self, token: str, address: str | None) -> Authenticated | None:
        now = self._now()
        with unit_of_work(self.s, write=False) as uow:
            row = apitokens.find(uow.conn, token, now)
            if row is None:
                return None
            user = auth_users.by_id(uow.conn, row.user_id)
            if user is None or user.status != "active":
                return None
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH:
            with unit_of_work(self.s) as uow:
                apitokens.touch(uow.conn, row.id, now)
        principal = Principal(
            user.id,
            user.username,
            bool(user.is_admin),
            "token",
            address,
            read_only=bool(row.read_only),
            token_id=row.id,
        )
        self.s.tokens.put(row.token_hash, principal, row.expires_at)
        return Authenticated(principal, None)

    def me(self, principal: Principal) -> dict[str, Any]:
        if principal.user_id is None:
            raise Unauthenticated("auth.required")
        with unit_of_work(self.s, write=False) as uow:
            row = auth_users.by_id(uow.conn, principal.user_id)
            if row is None:
                raise Unauthenticated("auth.required")
            return auth_users.public(row, auth_users.other_departments(uow.conn, row.id))

    def csrf_token(self, principal: Principal) -> str | None:
        if principal.session_id is None:
            return None
        with unit_of_work(self.s, write=False) as uow:
            row = sessions.find_by_id(uow.conn, principal.session_id)
            return row.csrf_token if row else None

    # -- tokens ----------------------------------------------------------------------------
    def create_token(
        self,
        principal: Principal,
        user: int | str,
        name: str | None = None,
        days: int | None = None,
        read_only: bool = False,
    ) -> tuple[dict[str, Any], str]:
        """(the token's public shape, the token itself: shown this once)."""
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            raise Invalid.on("name", "value.too_long", max=200)
        days = self.s.settings.token_days if days is None else days
        if not isinstance(days, int) or isinstance(days, bool) or days < 0 or days > 3650:
            raise Invalid.on("days", "value.max", max=3650)
        with unit_of_work(self.s, principal=principal) as uow:
            row = auth_users.resolve(uow.conn, user)
            if not principal.is_admin and principal.user_id != row.id:
                raise NotFound("user.not_found", user=str(user))
            expires = uow.now + timedelta(days=days) if days else None
            label = name or f"token {uow.now:%Y-%m-%d %H:%M}"
            token_id, token = apitokens.create(
                uow.conn, row.id, label, uow.now, expires, bool(read_only)
            )
            uow.audit(
                Entry(
                    "token.create",
                    "token",
                    token_id,
                    details={"user_id": row.id, "name": label, "read_only": bool(read_only)},
                )
            )
            return apitokens.public(apitokens.get(uow.conn, token_id)), token

    def list_tokens(self, principal: Principal, user: int | str | None = None) -> list[dict]:
        with unit_of_work(self.s, write=False) as uow:
            user_id = auth_users.resolve(uow.conn, user).id if user is not None else None
            if not principal.is_admin:
                user_id = principal.user_id
            return [apitokens.public(r) for r in apitokens.list_for(uow.conn, user_id)]

    def revoke_token(self, principal: Principal, token_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            row = apitokens.get(uow.conn, token_id)
            if not principal.is_admin and row.user_id != principal.user_id:
                raise NotFound("token.not_found", id=token_id)
            apitokens.revoke(uow.conn, token_id, uow.now)
            self.s.tokens.clear()
            uow.audit(Entry("token.revoke", "token", token_id, details={"user_id": row.user_id}))


__all__ = ["AuthService", "Authenticated", "SignedIn", "TokenCache"]
