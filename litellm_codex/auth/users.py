"""Per-user logins for a shared proxy (``LITELLM_CODEX_CREDENTIALS=per-user``, SPEC §6).

With per-user credentials each request uses the login of the LiteLLM user who makes it:
the proxy puts the caller's ``user_api_key_user_id`` in the request metadata, which a
``CustomLLM`` handler receives as ``litellm_params["metadata"]`` (``litellm_metadata`` on
some routes). Requests without a user id, and master-key requests (LiteLLM tags them
``default_user_id``), use the default login, as without per-user mode.

A user's login is stored in the same store as the default one, under its own name
(:class:`UserStore`): ``openai-codex@alice`` for the keyring service
``litellm-codex:openai-codex@alice``, the ``credentials.json`` entry, or the Redis key. One
credential manager per (provider, user) is kept in memory, like the process-wide one;
a user without a login gets :class:`~litellm_codex.errors.NotLoggedInError` naming
``litellm-codex login PROVIDER --user <id>`` (LiteLLM's 401) and never another user's
login.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from litellm_codex import settings
from litellm_codex.auth.access import Access, CredentialSource
from litellm_codex.auth.store import TokenStore, canonical_provider, default_store, home_dir
from litellm_codex.errors import ConfigurationError, LoginExpiredError, NotLoggedInError
from litellm_codex.provider_names import CODEX, COPILOT

__all__ = [
    "CREDENTIALS_ENV",
    "DEFAULT_USER_IDS",
    "UserStore",
    "caller_user_id",
    "per_user",
    "reset_user_credentials",
    "user_credentials",
    "user_store",
    "validate_user_id",
]

CREDENTIALS_ENV = "LITELLM_CODEX_CREDENTIALS"
#: User ids that mean "no particular user": LiteLLM's master-key identity
#: (``LITELLM_PROXY_ADMIN_NAME`` in litellm/constants.py).
DEFAULT_USER_IDS = frozenset({"default_user_id"})
#: Metadata dicts of ``litellm_params`` the proxy may put the caller's identity in.
_METADATA_KEYS = ("metadata", "litellm_metadata")
_MAX_USER_ID = 256
#: Credential managers kept in memory; the least recently used beyond this are closed.
_MAX_USERS = 1024


def per_user() -> bool:
    """Whether ``LITELLM_CODEX_CREDENTIALS=per-user`` (``shared`` or unset: one login)."""
    value = settings.current().credentials
    if value in ("", "shared", "default"):
        return False
    if value in ("per-user", "per_user"):
        return True
    raise ConfigurationError(f"{CREDENTIALS_ENV} must be 'per-user' or 'shared', not {value!r}")


def validate_user_id(user: str) -> str:
    """``user`` if it can name a login (non-empty, printable, at most 256 characters)."""
    if not user or len(user) > _MAX_USER_ID or not user.isprintable() or user != user.strip():
        raise ConfigurationError(
            "a user id must be 1-256 printable characters without surrounding spaces"
        )
    return user


def caller_user_id(litellm_params: Mapping[str, Any]) -> str | None:
    """The calling LiteLLM user's id, or ``None`` (no id, or the master key's)."""
    for key in _METADATA_KEYS:
        metadata = litellm_params.get(key)
        if not isinstance(metadata, Mapping):
            continue
        user = metadata.get("user_api_key_user_id")
        if isinstance(user, str) and user and user not in DEFAULT_USER_IDS:
            return user
    return None


class UserStore:
    """A user's view of a store: the same records, named ``<provider>@<user>``."""

    def __init__(self, base: TokenStore, user: str) -> None:
        self.base = base
        self.user = validate_user_id(user)
        self.name = f"{base.name}, user {user}"
        shared: Callable[[str], contextlib.AbstractContextManager[None]] | None = getattr(
            base, "lock", None
        )
        #: The base store's cross-replica refresh lock (Redis), for this user's records.
        self.lock: Callable[[str], contextlib.AbstractContextManager[None]] | None = (
            None if shared is None else (lambda provider: shared(self._name(provider)))
        )

    def __repr__(self) -> str:
        return f"UserStore({self.base!r}, user={self.user!r})"

    def _name(self, provider: str) -> str:
        return f"{canonical_provider(provider)}@{self.user}"

    def load(self, provider: str) -> dict[str, Any] | None:
        return self.base.load(self._name(provider))

    def save(self, provider: str, record: dict[str, Any]) -> None:
        self.base.save(self._name(provider), record)

    def delete(self, provider: str) -> None:
        self.base.delete(self._name(provider))


# ------------------------------------------------------------------------------ managers

_lock = threading.Lock()
_base: TokenStore | None = None
_managers: OrderedDict[tuple[str, str], Any] = OrderedDict()


def user_store(user: str, base: TokenStore | None = None) -> UserStore:
    """``user``'s view of ``base`` (default: the process's default store, made once)."""
    global _base
    if base is None:
        with _lock:
            if _base is None:
                _base = default_store()
            base = _base
    return UserStore(base, user)


class _UserCredentials:
    """A user's credential manager; its errors name the user's own login command."""

    def __init__(self, inner: Any, provider: str, user: str) -> None:
        self.inner = inner
        self.provider = provider
        self.user = user

    def __repr__(self) -> str:
        return f"UserCredentials({self.provider!r}, user={self.user!r})"

    def close(self) -> None:
        self.inner.close()

    @contextlib.contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except NotLoggedInError:
            raise NotLoggedInError(self.provider, user=self.user) from None
        except LoginExpiredError as exc:
            raise LoginExpiredError(self.provider, exc.reason, user=self.user) from None

    def get(self) -> Access:
        with self._named():
            access: Access = self.inner.get()
            return access

    async def aget(self) -> Access:
        with self._named():
            access: Access = await self.inner.aget()
            return access

    def peek(self) -> Access | None:
        access: Access | None = self.inner.peek()
        return access

    def after_unauthorized(self, stale: Access) -> Access:
        with self._named():
            access: Access = self.inner.after_unauthorized(stale)
            return access

    async def aafter_unauthorized(self, stale: Access) -> Access:
        with self._named():
            access: Access = await self.inner.aafter_unauthorized(stale)
            return access


def _make(provider: str, user: str) -> Any:
    store = user_store(user)
    if provider == CODEX:
        from litellm_codex.auth.codex_refresh import CodexCredentials

        digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:16]
        lock = home_dir() / "users" / f"openai-codex.{digest}.refresh.lock"
        return CodexCredentials(store, lock_path=lock)
    if provider == COPILOT:
        from litellm_codex.auth.copilot_exchange import CopilotCredentials

        return CopilotCredentials(store)
    raise ValueError(f"no per-user credentials for provider {provider!r}")


def user_credentials(provider: str, user: str) -> CredentialSource:
    """The (cached) credential manager of ``user``'s ``provider`` login."""
    key = (provider, user)
    evicted: list[Any] = []
    with _lock:
        manager = _managers.get(key)
        if manager is not None:
            _managers.move_to_end(key)
            return manager  # type: ignore[no-any-return]
    fresh = _UserCredentials(_make(provider, user), provider, user)
    with _lock:
        manager = _managers.setdefault(key, fresh)
        _managers.move_to_end(key)
        while len(_managers) > _MAX_USERS:
            evicted.append(_managers.popitem(last=False)[1])
    if manager is not fresh:
        fresh.close()
    for old in evicted:
        old.close()
    return manager


def caller_credentials(provider: str, litellm_params: Mapping[str, Any]) -> CredentialSource | None:
    """In per-user mode, the calling user's credentials; ``None``: use the default login."""
    if not per_user():
        return None
    user = caller_user_id(litellm_params)
    if user is None:
        return None
    return user_credentials(provider, user)


def reset_user_credentials() -> None:
    """Forget every per-user manager and the cached base store (tests)."""
    global _base
    with _lock:
        managers = list(_managers.values())
        _managers.clear()
        base, _base = _base, None
    for manager in managers:
        manager.close()
    close = getattr(base, "close", None)
    if callable(close):
        close()
