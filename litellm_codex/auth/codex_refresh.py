"""ChatGPT (Codex) credentials: cached in memory, refreshed once, shared with other processes.

:class:`CodexCredentials` is the provider's :class:`~litellm_codex.auth.access.CredentialSource`.

- The login is read from the store once per process; requests use the in-memory copy.
- Shortly before the access token expires (5-minute window, §1.7) or after a 401, the
  token is refreshed: ``POST {auth_base}/oauth/token`` with the single-use refresh token.
- The refresh is single-flight across threads (a threading lock), processes (a
  :class:`filelock.FileLock` next to the store, or the store's own ``lock`` for Redis:
  replicas on other hosts) and asyncio tasks (they share one worker
  thread). Under the locks the store is re-read first (Codex's "guarded reload"): when
  another process already refreshed, its token is adopted and no request is sent.
- A refresh token that rotated or failed permanently is remembered and never sent again;
  a permanent failure raises :class:`~litellm_codex.errors.LoginExpiredError`.
- A login imported from the Codex CLI stays linked: the refresh also holds the Codex
  CLI's own lock (``$CODEX_HOME/auth.lock``), its store is read in the guarded reload
  (adopting a refresh the Codex CLI made), and our refreshes are written back to its entry.

References: protocols/codex-chatgpt-backend.md §1.5-1.8.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from litellm_codex import codex_client
from litellm_codex._trust import check_trusted
from litellm_codex.auth.access import Access
from litellm_codex.auth.codex_cli import codex_cli_lock, read_back, write_back
from litellm_codex.auth.credential_manager import RETRY_DELAY, CredentialManager
from litellm_codex.auth.records import CodexLogin
from litellm_codex.auth.store import (
    MemoryStore,
    TokenStore,
    ensure_private_dir,
    home_dir,
)
from litellm_codex.auth.stored_login import ProcessWide
from litellm_codex.auth.tokens import (
    classify_refresh_failure,
    codex_identity,
    jwt_expiry,
    needs_refresh,
)
from litellm_codex.errors import (
    CredentialsError,
    LoginExpiredError,
    NotLoggedInError,
    StoreError,
    UpstreamError,
    upstream_error,
)
from litellm_codex.provider_names import CODEX

if TYPE_CHECKING:
    import filelock

__all__ = [
    "CodexCredentials",
    "codex_credentials",
    "load_login",
    "reset_codex_credentials",
    "revoke",
    "save_login",
]

log = logging.getLogger(__name__)

_REFRESH_TIMEOUT = 30.0
#: How long to wait for another process's refresh before giving up.
_LOCK_TIMEOUT = 120.0


def _digest(token: str) -> str:
    # Remember spent refresh tokens by digest: the secret itself need not stay in memory.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def save_login(store: TokenStore, login: CodexLogin) -> None:
    """Store a Codex login (used by the login flows)."""
    store.save(CODEX, login.model_dump(mode="json"))


def load_login(store: TokenStore) -> CodexLogin | None:
    """The stored Codex login, or ``None``. Raises :class:`StoreError` when unreadable."""
    record = store.load(CODEX)
    if record is None:
        return None
    try:
        return CodexLogin.model_validate(record)
    except ValidationError:
        raise StoreError(
            f"the stored openai-codex login in {store.name} is not in the expected format; "
            "log in again",
            provider=CODEX,
        ) from None


def access_for(login: CodexLogin) -> Access:
    """The request credentials of a login."""
    headers = {"Authorization": f"Bearer {login.access_token}"}
    if login.account_id:
        headers["ChatGPT-Account-ID"] = login.account_id
    return Access(
        token=login.access_token,
        headers=headers,
        label=login.email or login.account_id or "ChatGPT account",
        expires_at=login.expires_at,
    )


class CodexCredentials(CredentialManager[CodexLogin]):
    """The ChatGPT login of this process (a :class:`CredentialSource`)."""

    provider = CODEX
    http_timeout = _REFRESH_TIMEOUT

    def __init__(
        self,
        store: TokenStore | None = None,
        *,
        auth_base: str | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        lock_path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(store, load_login, http=http, clock=clock)
        self._auth_base = (auth_base or "").rstrip("/") or codex_client.auth_base_from_env()
        self._lock_path = Path(lock_path) if lock_path is not None else None
        self._refresh_lock = threading.Lock()
        self._file_lock: filelock.FileLock | None = None  # made by the first refresh
        #: digest(refresh token) -> why it must not be sent again
        self._spent: dict[str, str] = {}

    def __repr__(self) -> str:
        label = (
            self._stored.value.email or self._stored.value.account_id
            if self._stored.value
            else None
        )
        return f"CodexCredentials(account={label!r})"

    # -- configuration ---------------------------------------------------------------

    @property
    def auth_base(self) -> str:
        """Constructor argument, else ``OPENAI_CODEX_AUTH_BASE``, else the login's issuer."""
        if self._auth_base:
            return self._auth_base
        if self._stored.value is not None and self._stored.value.auth_base:
            return self._stored.value.auth_base.rstrip("/")
        return codex_client.AUTH_BASE

    # -- CredentialManager -----------------------------------------------------------

    def peek(self) -> Access | None:
        """The access in memory when it needs no refresh (no I/O, no waiting), else ``None``."""
        login = self._stored.value
        if login is not None and not self._due(login):
            return access_for(login)
        return None

    def _stale_token(self) -> str | None:
        login = self._stored.value
        return login.access_token if login is not None else None

    def _due(self, login: CodexLogin) -> bool:
        """Expiring within 5 minutes (§1.7), unless backing off after a failed refresh."""
        due = needs_refresh(login.expires_at, login.last_refresh, self._clock())
        return self._renewal_due(due, login.expires_at)

    # -- refreshing ------------------------------------------------------------------

    def _renew(self, stale: str | None, *, force: bool) -> Access:
        with self._refresh_lock:
            current = self._stored.value
            if current is not None and current.access_token != stale and not self._due(current):
                return access_for(current)  # another thread refreshed while we waited
            with self._interprocess_lock(), self._codex_cli_lock(current):
                login = self._guarded_reload()
                if login.access_token != stale and not self._due(login):
                    self._stored.value = login  # another process (or the Codex CLI) refreshed
                    log.debug("adopted a refreshed openai-codex login from the store")
                    return access_for(login)
                self._stored.value = login
                if not force and not self._due(login):
                    return access_for(login)
                try:
                    fresh = self._refresh_tokens(
                        login, reason="unauthorized_recovery" if force else "proactive_expiry"
                    )
                except (UpstreamError, LoginExpiredError) as exc:
                    if self._keep_current(login.expires_at, force=force):
                        assert login.expires_at is not None
                        log.warning(
                            "could not refresh the openai-codex login (%s); the current "
                            "token is valid until %s, retrying in %ds",
                            exc,
                            time.strftime("%H:%M:%S", time.localtime(login.expires_at)),
                            int(RETRY_DELAY),
                        )
                        return access_for(login)
                    raise
                self._persist(fresh)
                self._stored.value = fresh
                self._renewed()
                log.info(
                    "refreshed the openai-codex login for %s",
                    fresh.email or fresh.account_id or "the ChatGPT account",
                )
                return access_for(fresh)

    @contextlib.contextmanager
    def _interprocess_lock(self) -> Iterator[None]:
        shared = getattr(self.store, "lock", None)
        if shared is not None:
            # A networked store (Redis) has its own lock, held across every replica.
            with shared(CODEX):
                yield
            return
        if isinstance(self._store, MemoryStore):
            yield  # a memory store cannot be shared with another process
            return
        import filelock  # imported here: a call whose access token is valid takes no lock

        if self._file_lock is None:
            path = self._lock_path or home_dir() / "openai-codex.refresh.lock"
            ensure_private_dir(path.parent)
            self._file_lock = filelock.FileLock(str(path), timeout=_LOCK_TIMEOUT)
        try:
            self._file_lock.acquire()
        except filelock.Timeout:
            raise UpstreamError(
                "timed out waiting for another process to refresh the openai-codex login"
            ) from None
        try:
            yield
        finally:
            self._file_lock.release()

    @contextlib.contextmanager
    def _codex_cli_lock(self, login: CodexLogin | None) -> Iterator[None]:
        """For a login linked to the Codex CLI: hold the lock the Codex CLI commits its
        refreshes under (``$CODEX_HOME/auth.lock``), taken after ours (the Codex CLI never
        takes ours, so the order cannot deadlock). The guarded reload then sees any refresh
        it committed, and it cannot commit one while we spend the refresh token."""
        link = login.codex_cli if login is not None else None
        if link is None:
            yield
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(codex_cli_lock(link))
            except TimeoutError:
                raise UpstreamError(
                    "timed out waiting for the Codex CLI to release its login lock"
                ) from None
            except OSError as exc:
                # An unwritable CODEX_HOME: refresh anyway rather than fail every request.
                log.warning("could not take the Codex CLI's login lock: %s", exc.strerror or exc)
            yield

    def _guarded_reload(self) -> CodexLogin:
        """The newest login: the store's (another process may have refreshed), then the
        linked Codex CLI's (the Codex CLI may have refreshed)."""
        cached = self._stored.value
        try:
            stored = load_login(self.store)
        except StoreError as exc:
            log.warning("could not re-read the openai-codex login: %s", exc)
            stored = cached
        else:
            if stored is None:
                # Logged out (by `litellm-codex logout`) since we loaded it.
                self._stored.value = None
                raise NotLoggedInError(CODEX)
        if stored is None:
            raise NotLoggedInError(CODEX)
        if (
            cached is not None
            and _digest(stored.refresh_token) in self._spent
            and _digest(cached.refresh_token) not in self._spent
        ):
            # The store holds an older copy than ours (a failed save, a restored backup):
            # our refresh token is the live one.
            stored = cached
        login = stored
        if login.codex_cli is not None:
            theirs = read_back(login.codex_cli)
            if (
                theirs is not None
                and theirs.refresh_token != login.refresh_token
                and (
                    theirs.account_id is None
                    or login.account_id is None
                    or theirs.account_id == login.account_id
                )
            ):
                login = login.model_copy(
                    update={
                        "access_token": theirs.access_token,
                        "refresh_token": theirs.refresh_token,
                        "id_token": theirs.id_token or login.id_token,
                        "account_id": theirs.account_id or login.account_id,
                        "email": theirs.email or login.email,
                        "plan": theirs.plan or login.plan,
                        "expires_at": theirs.expires_at,
                        "last_refresh": theirs.last_refresh or self._clock(),
                    }
                )
                log.info("adopted the openai-codex login refreshed by the Codex CLI")
                try:
                    save_login(self.store, login)
                except StoreError as exc:
                    log.warning("could not store the adopted openai-codex login: %s", exc)
        return login

    def _refresh_tokens(self, login: CodexLogin, *, reason: str = "proactive_expiry") -> CodexLogin:
        """Spend ``login``'s refresh token; return the login with the new tokens.

        ``reason`` is sent as ``refresh_reason``, as Codex CLI 0.171.0 does:
        ``proactive_expiry`` (about to expire) or ``unauthorized_recovery`` (after a 401),
        with its ``originator`` and User-Agent (reference-clients-2026-11.md §1.5).
        """
        old = login.refresh_token
        spent = self._spent.get(_digest(old))
        if spent is not None:
            # Never send a burned refresh token twice (it would be "reused" at best).
            raise LoginExpiredError(CODEX, spent)
        url = f"{self.auth_base}/oauth/token"
        payload = {
            "client_id": codex_client.CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_reason": reason,
            "refresh_token": old,
        }
        origin = codex_client.originator()
        headers = {
            "Accept": "application/json",
            "originator": origin,
            "user-agent": codex_client.user_agent(codex_client.client_version(), origin),
        }
        try:
            response = self._client().post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not reach {url} to refresh the openai-codex login: {type(exc).__name__}"
            ) from None
        if not response.is_success:
            kind, reason = classify_refresh_failure(response.status_code, response.content)
            if kind == "permanent":
                self._spent[_digest(old)] = reason
                log.warning("the openai-codex refresh token was rejected (%s)", reason)
                raise LoginExpiredError(CODEX, reason)
            raise upstream_error(
                response.status_code,
                response.headers,
                response.content,
                prefix="refreshing the openai-codex login failed: ",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise UpstreamError(
                "refreshing the openai-codex login failed: the OAuth server did not answer "
                f"with a JSON object (HTTP {response.status_code})",
                status=response.status_code,
            )
        return self._apply(login, body)

    def _apply(self, login: CodexLogin, body: dict[str, Any]) -> CodexLogin:
        """Replace only the fields the refresh response has (all are optional, §1.7)."""
        now = self._clock()

        def text(name: str) -> str | None:
            value = body.get(name)
            return value if isinstance(value, str) and value else None

        access = text("access_token") or login.access_token
        refresh = text("refresh_token") or login.refresh_token
        id_token = text("id_token") or login.id_token
        if refresh != login.refresh_token:
            self._spent[_digest(login.refresh_token)] = "refresh_token_reused"
        account_id, email, plan = codex_identity(id_token, access)
        expires_at = jwt_expiry(access)
        expires_in = body.get("expires_in")
        if expires_at is None and isinstance(expires_in, (int, float)) and expires_in > 0:
            expires_at = now + float(expires_in)
        if expires_at is None and access == login.access_token:
            expires_at = login.expires_at
        return login.model_copy(
            update={
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "account_id": account_id or login.account_id,
                "email": email or login.email,
                "plan": plan or login.plan,
                "expires_at": expires_at,
                "last_refresh": now,
            }
        )

    def _persist(self, login: CodexLogin) -> None:
        """Save before the locks are released, so no other process spends the old token."""
        try:
            save_login(self.store, login)
        except CredentialsError as exc:
            # The new tokens still work in this process; other processes will have to log in.
            log.error("could not save the refreshed openai-codex login: %s", exc)
        if login.codex_cli is not None:
            try:
                write_back(login.codex_cli, login)
            except CredentialsError as exc:
                log.warning("could not write the refreshed login back to the Codex CLI: %s", exc)


# ---------------------------------------------------------------------------- module API

_instance: ProcessWide[CodexCredentials] = ProcessWide(CodexCredentials)


def codex_credentials() -> CodexCredentials:
    """The process-wide :class:`CodexCredentials` (created on first use, no I/O until then)."""
    return _instance.get()


def reset_codex_credentials() -> None:
    """Forget the process-wide instance (tests; after `login` / `logout`)."""
    _instance.reset()


def revoke(
    login: CodexLogin,
    *,
    auth_base: str | None = None,
    http: httpx.Client | None = None,
    timeout: float = 10.0,
) -> bool:
    """Best-effort revoke at logout (§1.7): the refresh token, else the access token.

    Returns whether the issuer accepted one of them; never raises for network trouble.
    """
    base = (
        auth_base or codex_client.auth_base_from_env() or login.auth_base or codex_client.AUTH_BASE
    ).rstrip("/")
    url = f"{base}/oauth/revoke"
    attempts: list[dict[str, str]] = [
        {
            "token": login.refresh_token,
            "token_type_hint": "refresh_token",
            "client_id": codex_client.CLIENT_ID,
        },
        {"token": login.access_token, "token_type_hint": "access_token"},
    ]
    client = http or httpx.Client(timeout=timeout, event_hooks={"request": [check_trusted]})
    try:
        for payload in attempts:
            try:
                response = client.post(url, json=payload, timeout=timeout)
            except httpx.HTTPError as exc:
                log.info("could not revoke the openai-codex login: %s", type(exc).__name__)
                return False
            if response.is_success:
                return True
        log.info("the issuer did not revoke the openai-codex login (HTTP %s)", response.status_code)
        return False
    finally:
        if http is None:
            client.close()
