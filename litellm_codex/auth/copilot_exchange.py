"""GitHub Copilot credentials: a stored GitHub token, exchanged for short-lived Copilot tokens
or, when the exchange refuses it, used directly (the Copilot CLI's way).

:class:`CopilotCredentials` is the provider's :class:`~litellm_codex.auth.access.CredentialSource`.

- The long-lived GitHub token is read from the store once per process.
- It is exchanged at ``GET {github_api_url}/copilot_internal/v2/token`` for a Copilot token
  (about 30 minutes) that lives in memory only (protocols/github-copilot.md §2).
- The Copilot token is exchanged again shortly before ``refresh_in`` / ``expires_at`` and
  once after a 401 from the Copilot API; threads and asyncio tasks share one exchange.
- The exchange answers 401 for a revoked GitHub token (→ :class:`LoginExpiredError`, after
  one look at the store in case another process logged in again) and 403 for accounts
  without Copilot (→ :class:`NoAccessError` with GitHub's reason).
- Direct-token mode (reference-clients-2026-11.md §2, the Copilot CLI 1.0.102): tokens the
  exchange refuses with 403/404 (the Copilot CLI's own app, fine-grained tokens with
  Copilot access) are sent as the bearer themselves; ``GET
  {github_api_url}/copilot_internal/user`` names the API host (``endpoints.api``). A login
  whose record says ``mode: direct`` skips the exchange altogether.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from litellm_codex import copilot_identity, settings
from litellm_codex.auth.access import Access
from litellm_codex.auth.credential_manager import CredentialManager
from litellm_codex.auth.records import CopilotLogin
from litellm_codex.auth.store import TokenStore
from litellm_codex.auth.stored_login import ProcessWide
from litellm_codex.auth.tokens import copilot_token_due
from litellm_codex.errors import (
    LoginExpiredError,
    NoAccessError,
    StoreError,
    UpstreamError,
    upstream_error,
)
from litellm_codex.provider_names import COPILOT

__all__ = [
    "REJECTED_REASON",
    "CopilotCredentials",
    "CopilotToken",
    "copilot_credentials",
    "load_login",
    "parse_exchange",
    "parse_user",
    "reset_copilot_credentials",
    "save_login",
]

log = logging.getLogger(__name__)

#: ``LoginExpiredError.reason`` when the exchange rejects the GitHub token (HTTP 401). Worded
#: so that errors.redact() does not mistake "token <word>" for a credential.
REJECTED_REASON = "GitHub token was rejected"

_EXCHANGE_TIMEOUT = 30.0


def parse_user(body: Any, github_token: str, now: float) -> CopilotToken:
    """The direct-mode "token" (the GitHub token itself) from ``copilot_internal/user``."""
    if not isinstance(body, Mapping):
        raise UpstreamError("GitHub answered copilot_internal/user without a JSON object")
    endpoints = body.get("endpoints")
    api = endpoints.get("api") if isinstance(endpoints, Mapping) else None
    plan = body.get("copilot_plan") or body.get("access_type_sku")
    return CopilotToken(
        token=github_token,
        expires_at=None,
        refresh_in=None,
        obtained_at=now,
        api_base=api.rstrip("/") if isinstance(api, str) and api else None,
        sku=plan if isinstance(plan, str) else None,
        direct=True,
    )


@dataclass(frozen=True)
class CopilotToken:
    """A Copilot token as the exchange returned it (``repr`` hides the token)."""

    token: str = field(repr=False)
    #: Server's ``expires_at`` (Unix seconds), if given.
    expires_at: float | None
    #: Server's ``refresh_in`` (seconds), if given.
    refresh_in: float | None
    #: Our clock when we received it.
    obtained_at: float
    #: ``endpoints.api``, if given.
    api_base: str | None = None
    sku: str | None = None
    #: Direct-token mode: ``token`` is the GitHub token itself (no expiry of its own).
    direct: bool = False

    def due(self, now: float) -> bool:
        """Whether to exchange again before using it."""
        return copilot_token_due(self.expires_at, self.refresh_in, self.obtained_at, now)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_exchange(body: Any, now: float) -> CopilotToken:
    """A :class:`CopilotToken` from the exchange's JSON body (pure).

    Only ``token``, ``expires_at`` and ``refresh_in`` matter (VS Code validates just those,
    §2.2); ``endpoints.api`` names the API base for the account's plan.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("token"), str) or not body["token"]:
        raise UpstreamError("GitHub answered the request for a Copilot token without one")
    endpoints = body.get("endpoints")
    api = endpoints.get("api") if isinstance(endpoints, Mapping) else None
    sku = body.get("sku")
    return CopilotToken(
        token=body["token"],
        expires_at=_number(body.get("expires_at")),
        refresh_in=_number(body.get("refresh_in")),
        obtained_at=now,
        api_base=api.rstrip("/") if isinstance(api, str) and api else None,
        sku=sku if isinstance(sku, str) else None,
    )


def _no_access_reason(body: Any) -> tuple[str, bool]:
    """``(reason, is_rate_limit)`` from a 403 body (``ErrorEnvelope``, §2.5)."""
    if not isinstance(body, Mapping):
        return "access denied", False
    details = body.get("error_details")
    details = details if isinstance(details, Mapping) else {}
    message = details.get("message") or body.get("message") or "access denied"
    notification = details.get("notification_id") or body.get("reason")
    text = str(message)
    if isinstance(notification, str) and notification:
        text = f"{text} ({notification})"
    top = str(body.get("message") or "")
    return text, "rate limit" in top.lower() or "rate limit" in text.lower()


def save_login(store: TokenStore, login: CopilotLogin) -> None:
    """Store a Copilot (GitHub) login."""
    store.save(COPILOT, login.model_dump(mode="json"))


def load_login(store: TokenStore) -> CopilotLogin | None:
    """The stored Copilot login, or ``None``. Raises :class:`StoreError` when unreadable."""
    record = store.load(COPILOT)
    if record is None:
        return None
    try:
        return CopilotLogin.model_validate(record)
    except ValidationError:
        raise StoreError(
            f"the stored github-copilot login in {store.name} is not in the expected format; "
            "log in again",
            provider=COPILOT,
        ) from None


class CopilotCredentials(CredentialManager[CopilotLogin]):
    """The Copilot credentials of this process (a :class:`CredentialSource`)."""

    provider = COPILOT
    http_timeout = _EXCHANGE_TIMEOUT

    def __init__(
        self,
        store: TokenStore | None = None,
        *,
        github_api_url: str | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, load_login, http=http, clock=clock)
        self._github_api_url = settings.first(
            github_api_url, settings.current().copilot_github_api_url
        )
        self._token: CopilotToken | None = None
        self._lock = threading.Lock()
        #: Exchanges done by this object (tests, status).
        self.exchanges = 0
        #: Set once the exchange refused the token and direct mode worked.
        self._direct = False

    def __repr__(self) -> str:
        user = self._stored.value.login if self._stored.value else None
        return f"CopilotCredentials(user={user!r})"

    @property
    def token(self) -> CopilotToken | None:
        """The cached Copilot token, if any."""
        return self._token

    @property
    def mode(self) -> str:
        """``direct`` or ``exchange``: how this process's login reaches Copilot."""
        login = self._stored.value
        direct = self._direct or (login is not None and login.mode == "direct")
        return "direct" if direct else "exchange"

    def github_api_url(self, login: CopilotLogin) -> str:
        """Constructor argument, else ``GITHUB_COPILOT_GITHUB_API_URL``, else the login's."""
        return (
            self._github_api_url or login.github_api_url or copilot_identity.GITHUB_API_URL
        ).rstrip("/")

    # -- CredentialManager -----------------------------------------------------------

    def peek(self) -> Access | None:
        """The access in memory when it needs no exchange (no I/O, no waiting), else ``None``."""
        login, token = self._stored.value, self._token
        if login is not None and token is not None and not self._due(token):
            return self._access(login, token)
        return None

    def _stale_token(self) -> str | None:
        return self._token.token if self._token is not None else None

    def _due(self, token: CopilotToken) -> bool:
        """Near ``refresh_in`` / ``expires_at``, unless backing off after a failed exchange."""
        return self._renewal_due(token.due(self._clock()), token.expires_at)

    # -- internals -------------------------------------------------------------------

    def _access(self, login: CopilotLogin, token: CopilotToken) -> Access:
        return Access(
            token=token.token,
            headers={"Authorization": f"Bearer {token.token}"},
            api_base=copilot_identity.api_base(
                settings.current().copilot_api_base, login.api_base, token.api_base
            ),
            label=login.login or "GitHub user",
            expires_at=token.expires_at,
        )

    def _renew(self, stale: str | None, *, force: bool) -> Access:
        with self._lock:
            login = self._current()
            current = self._token
            if current is not None and current.token != stale and not self._due(current):
                return self._access(login, current)  # another thread exchanged meanwhile
            if not force and current is not None and not self._due(current):
                return self._access(login, current)
            try:
                token = self._exchange_with_reload(login)
            except UpstreamError as exc:
                if current is None or not self._keep_current(current.expires_at, force=force):
                    raise
                log.warning("could not renew the Copilot token (%s); using the current one", exc)
                return self._access(login, current)
            self._token = token
            self._renewed()
            return self._access(self._stored.value or login, token)

    def _exchange_with_reload(self, login: CopilotLogin) -> CopilotToken:
        try:
            return self._request_token(login)
        except LoginExpiredError:
            # The GitHub token was rejected: maybe another process logged in again since we
            # read the store. Look once; otherwise the user has to log in.
            try:
                stored = load_login(self.store)
            except StoreError:
                stored = None
            if stored is None or stored.github_token == login.github_token:
                raise
            log.info("adopted a new github-copilot login from the store")
            self._stored.value = stored
            return self._request_token(stored)

    def _request_token(self, login: CopilotLogin) -> CopilotToken:
        if self._direct or login.mode == "direct":
            return self._request_user(login)
        try:
            return self._request_exchange(login)
        except NoAccessError as refused:
            # 403/404 from the exchange: maybe a token the exchange does not take (the
            # Copilot CLI's app, a fine-grained token). The Copilot CLI uses those directly.
            try:
                token = self._request_user(login)
            except (NoAccessError, UpstreamError, LoginExpiredError):
                raise refused from None
            self._direct = True
            log.info("the Copilot token exchange refused this GitHub token; using it directly")
            return token

    def _request_user(self, login: CopilotLogin) -> CopilotToken:
        """Direct mode: check the GitHub token at ``copilot_internal/user``, find the API host."""
        url = f"{self.github_api_url(login)}/copilot_internal/user"
        try:
            response = self._client().get(
                url, headers=copilot_identity.user_headers(login.github_token)
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not reach {url} for Copilot access: {type(exc).__name__}"
            ) from None
        who = login.login or "this GitHub account"
        if response.status_code == 401:
            raise LoginExpiredError(COPILOT, REJECTED_REASON)
        if response.status_code in (403, 404):
            try:
                body: Any = response.json()
            except ValueError:
                body = None
            reason, _ = _no_access_reason(body)
            raise NoAccessError(f"{who} has no GitHub Copilot access: {reason}", provider=COPILOT)
        if not response.is_success:
            raise upstream_error(
                response.status_code,
                response.headers,
                response.content,
                prefix="checking Copilot access failed: ",
            )
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        return parse_user(data, login.github_token, self._clock())

    def _request_exchange(self, login: CopilotLogin) -> CopilotToken:
        url = f"{self.github_api_url(login)}/copilot_internal/v2/token"
        self.exchanges += 1
        try:
            response = self._client().get(
                url, headers=copilot_identity.exchange_headers(login.github_token)
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not reach {url} for a Copilot token: {type(exc).__name__}"
            ) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        who = login.login or "this GitHub account"
        if response.status_code == 401:
            raise LoginExpiredError(COPILOT, REJECTED_REASON)
        if response.status_code in (403, 404):
            reason, rate_limited = _no_access_reason(body)
            if rate_limited:
                raise UpstreamError(
                    f"GitHub rate limit while getting a Copilot token: {reason}",
                    status=429,
                    code="rate_limit_exceeded",
                    headers=response.headers,
                )
            if response.status_code == 404:
                reason = f"no Copilot token for {who} (HTTP 404; is there a Copilot plan?)"
            raise NoAccessError(f"{who} has no GitHub Copilot access: {reason}", provider=COPILOT)
        if not response.is_success:
            err = upstream_error(
                response.status_code,
                response.headers,
                response.content,
                prefix="getting a Copilot token failed: ",
            )
            hint = copilot_identity.too_old_hint(err.status, err.message)
            if hint is not None:
                err = UpstreamError(
                    f"{err.message}. {hint}", status=err.status, code=err.code, headers=err.headers
                )
            raise err
        token = parse_exchange(body, self._clock())
        log.debug("got a Copilot token for %s (sku %s)", who, token.sku)
        return token


# ---------------------------------------------------------------------------- module API

_instance: ProcessWide[CopilotCredentials] = ProcessWide(CopilotCredentials)


def copilot_credentials() -> CopilotCredentials:
    """The process-wide :class:`CopilotCredentials` (created on first use, no I/O until then)."""
    return _instance.get()


def reset_copilot_credentials() -> None:
    """Forget the process-wide instance (tests; after `login` / `logout`)."""
    _instance.reset()
