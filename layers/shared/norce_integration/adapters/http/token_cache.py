"""An OAuth2 access token shared by every Lambda instance, fetched by one of them at a time.

Norce's token endpoint allows 3 requests a minute per IP (burst 20) and a token lives an hour; Microsoft
Entra ID (Business Central's) throttles too. Fifty instances cold-starting together must not each fetch
one: each keeps the token in memory, else reads the shared store (DynamoDB); only the instance that wins
the store's short lock fetches a new token, the others wait for it (or keep using the old one while it is
still valid).
"""

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from norce_integration.norce.ports import NorceUnavailable


@dataclass(frozen=True, slots=True)
class StoredToken:
    token: str | None
    expires_at: float


class TokenStore(Protocol):
    def read(self) -> StoredToken | None: ...

    def try_lock(self, owner: str, now: float, until: float, fresh_after: float) -> bool:
        """Take the refresh lock if it is free or expired *and* no stored token is valid beyond
        ``fresh_after`` (checked in the same atomic step, so a token just written is never re-fetched)."""
        ...

    def write(self, token: str, expires_at: float, owner: str) -> None:
        """Store the new token and release the lock."""
        ...

    def discard(self, token: str) -> None:
        """Forget ``token`` if it is still the stored one (Norce refused it)."""
        ...


@dataclass
class TokenCache:
    fetch: Callable[[], tuple[str, float]]  # -> (token, expires_in seconds)
    store: TokenStore | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    refresh_margin: float = 300.0  # renew this long before expiry
    lock_seconds: float = 10.0  # a fetch that takes longer is presumed dead
    wait_seconds: float = 5.0
    poll_seconds: float = 0.15
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    # What waiting too long for another instance's fetch raises (the caller's "try again later").
    unavailable: Callable[[str, float], Exception] = NorceUnavailable
    what: str = "the Norce token"
    _token: str | None = None
    _expires_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self) -> str:
        with self._lock:
            now = self.clock()
            if self._token and self._expires_at - self.refresh_margin > now:
                return self._token
            deadline = now + self.wait_seconds
            while True:
                stored = self.store.read() if self.store else None
                if stored and stored.token and stored.expires_at - self.refresh_margin > now:
                    return self._keep(stored.token, stored.expires_at)
                fresh_after = now + self.refresh_margin
                if self.store is None or self.store.try_lock(
                    self.owner, now, now + self.lock_seconds, fresh_after
                ):
                    return self._fetch(now)
                if (
                    stored and stored.token and stored.expires_at > now + 30
                ):  # renewing elsewhere; still valid
                    return self._keep(stored.token, stored.expires_at)
                if now >= deadline:
                    raise self.unavailable(f"another instance is fetching {self.what}", 5)
                self.sleep(self.poll_seconds)
                now = self.clock()

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token, self._expires_at = None, 0.0
        if self.store:
            self.store.discard(token)

    def _fetch(self, now: float) -> str:
        token, expires_in = self.fetch()
        expires_at = now + expires_in
        if self.store:
            self.store.write(token, expires_at, self.owner)
        return self._keep(token, expires_at)

    def _keep(self, token: str, expires_at: float) -> str:
        self._token, self._expires_at = token, expires_at
        return token


@dataclass
class InMemoryTokenStore:
    """Same semantics as the DynamoDB store, for tests and the local stack."""

    token: str | None = None
    expires_at: float = 0.0
    lock_owner: str | None = None
    lock_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def read(self) -> StoredToken | None:
        with self._lock:
            return StoredToken(self.token, self.expires_at) if self.token else None

    def try_lock(self, owner: str, now: float, until: float, fresh_after: float) -> bool:
        with self._lock:
            if self.lock_owner not in (None, owner) and self.lock_until > now:
                return False
            if self.token and self.expires_at > fresh_after:
                return False
            self.lock_owner, self.lock_until = owner, until
            return True

    def write(self, token: str, expires_at: float, owner: str) -> None:
        with self._lock:
            self.token, self.expires_at = token, expires_at
            self.lock_owner, self.lock_until = None, 0.0

    def discard(self, token: str) -> None:
        with self._lock:
            if self.token == token:
                self.token, self.expires_at = None, 0.0
