"""Token authorities shared by the simulators: who issued what, and is it still good.

The OAuth side of a simulator issues tokens through an authority; the API side asks the
same authority whether a bearer token is valid. That keeps the two halves honest with each
other (a revoked or expired token really stops working) without either knowing the other.

:class:`OpenAIAuthority` mints ChatGPT-style tokens: unsigned JWTs whose claims carry the
``https://api.openai.com/auth`` object (account id, plan) and an ``exp``, plus rotating,
single-use refresh tokens (a second use answers ``refresh_token_reused``, as the real
service does).

:class:`GitHubAuthority` mints GitHub OAuth tokens (``gho_...``) for simulated users and
short-lived Copilot tokens (``tid=...;exp=...``) exchanged from them.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Account", "GitHubAuthority", "GitHubUser", "OpenAIAuthority", "make_jwt"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (``alg: none``) with ``claims``: clients only decode the payload."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64(b'simulated-signature')}"


@dataclass
class Account:
    """A simulated ChatGPT account."""

    account_id: str = "acct-sim-0001"
    user_id: str = "user-sim-0001"
    email: str = "dev@example.com"
    plan: str = "plus"


@dataclass
class _Grant:
    account: Account
    revoked: bool = False


class OpenAIAuthority:
    """Issues and checks ChatGPT OAuth tokens.

    ``access_ttl`` is the access token lifetime in seconds; ``clock`` may be replaced in
    tests (it must return Unix seconds).
    """

    def __init__(
        self,
        account: Account | None = None,
        *,
        access_ttl: float = 3600.0,
        clock: Callable[[], float] = time.time,
        issuer: str = "https://auth.openai.com",
        client_id: str = "app_EMoamEEZ73f0CkXaXp7hrann",
    ) -> None:
        self.account = account or Account()
        self.access_ttl = access_ttl
        self.clock = clock
        self.issuer = issuer
        self.client_id = client_id
        self._lock = threading.Lock()
        self._access: dict[str, tuple[Account, float]] = {}
        self._refresh: dict[str, _Grant] = {}
        self._used_refresh: set[str] = set()
        #: How many refresh grants were served (successful or not).
        self.refresh_count = 0
        #: How many refresh grants named an already spent refresh token (a defect in
        #: whoever sent them: two clients sharing a login spent one token twice).
        self.reuse_count = 0

    def issue(
        self, account: Account | None = None, *, access_ttl: float | None = None
    ) -> dict[str, str]:
        """Mint ``{id_token, access_token, refresh_token}`` for ``account``."""
        account = account or self.account
        now = self.clock()
        exp = now + (self.access_ttl if access_ttl is None else access_ttl)
        auth_claims = {
            "chatgpt_account_id": account.account_id,
            "chatgpt_plan_type": account.plan,
            "chatgpt_user_id": account.user_id,
            "user_id": account.user_id,
        }
        access = make_jwt(
            {
                "iss": self.issuer,
                "aud": ["https://api.openai.com/v1"],
                "client_id": self.client_id,
                "exp": int(exp),
                "iat": int(now),
                "jti": secrets.token_hex(8),
                "https://api.openai.com/auth": auth_claims,
                "https://api.openai.com/profile": {"email": account.email},
            }
        )
        id_token = make_jwt(
            {
                "iss": self.issuer,
                "aud": [self.client_id],
                "exp": int(now + 3600),
                "iat": int(now),
                "email": account.email,
                "https://api.openai.com/auth": auth_claims,
            }
        )
        refresh = "rt_" + secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = (account, exp)
            self._refresh[refresh] = _Grant(account)
        return {"id_token": id_token, "access_token": access, "refresh_token": refresh}

    def check_access(self, token: str) -> Account | None:
        """The account ``token`` belongs to, or ``None`` if unknown, expired or revoked."""
        with self._lock:
            entry = self._access.get(token)
        if entry is None:
            return None
        account, exp = entry
        return account if exp > self.clock() else None

    def expire_access(self, token: str | None = None) -> None:
        """Make one access token (or all of them) expired, as if time had passed."""
        with self._lock:
            for key, (account, _) in list(self._access.items()):
                if token is None or key == token:
                    self._access[key] = (account, 0.0)

    def refresh(self, refresh_token: str) -> tuple[int, dict[str, Any]]:
        """Serve a ``refresh_token`` grant: ``(status, body)``. Rotates on success."""
        with self._lock:
            self.refresh_count += 1
            if refresh_token in self._used_refresh:
                self.reuse_count += 1
                return 401, {
                    "error": {
                        "code": "refresh_token_reused",
                        "message": "Your refresh token has already been used.",
                    }
                }
            grant = self._refresh.pop(refresh_token, None)
            if grant is None:
                return 401, {"error": {"code": "refresh_token_invalidated", "message": "unknown"}}
            self._used_refresh.add(refresh_token)
            if grant.revoked:
                return 401, {"error": {"code": "refresh_token_invalidated", "message": "revoked"}}
        tokens = self.issue(grant.account)
        # Like Codex's own test backend: a refresh answer may omit the id_token.
        return 200, {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "id_token": tokens["id_token"],
            "expires_in": int(self.access_ttl),
        }

    def revoke(self, token: str) -> None:
        """Revoke an access or refresh token (unknown tokens are ignored, as in RFC 7009)."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None:
                grant.revoked = True
            if token in self._access:
                account, _ = self._access[token]
                self._access[token] = (account, 0.0)

    def was_used(self, refresh_token: str) -> bool:
        """Whether ``refresh_token`` has been spent."""
        with self._lock:
            return refresh_token in self._used_refresh


@dataclass
class GitHubUser:
    """A simulated GitHub user."""

    login: str = "octocat"
    user_id: int = 583231
    has_copilot: bool = True
    plan: str = "individual"
    #: Copilot API endpoint advertised in the token's ``endpoints.api`` (set by the simulator).
    api_endpoint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class GitHubAuthority:
    """Issues and checks GitHub OAuth tokens and short-lived Copilot tokens."""

    def __init__(
        self,
        user: GitHubUser | None = None,
        *,
        copilot_ttl: float = 1500.0,
        refresh_in: float = 1500.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.user = user or GitHubUser()
        self.copilot_ttl = copilot_ttl
        self.refresh_in = refresh_in
        self.clock = clock
        self._lock = threading.Lock()
        self._github: dict[str, GitHubUser] = {}
        #: GitHub tokens the exchange refuses, usable only directly as the API bearer.
        self._direct: set[str] = set()
        self._copilot: dict[str, tuple[GitHubUser, float]] = {}
        #: How many Copilot token exchanges were served.
        self.exchange_count = 0
        #: How many ``copilot_internal/user`` lookups were served.
        self.user_lookups = 0

    def issue_github_token(self, user: GitHubUser | None = None, *, direct: bool = False) -> str:
        """Mint a long-lived GitHub OAuth token (``gho_...``).

        ``direct``: a token the exchange refuses (404), as GitHub treats the Copilot CLI's
        app tokens and fine-grained tokens; the Copilot API accepts it as the bearer itself.
        """
        token = "gho_" + secrets.token_hex(18)
        with self._lock:
            self._github[token] = user or self.user
            if direct:
                self._direct.add(token)
        return token

    def is_direct(self, token: str) -> bool:
        """Whether ``token`` is a direct-mode GitHub token."""
        with self._lock:
            return token in self._direct

    def copilot_user(self, github_token: str) -> tuple[int, dict[str, Any]]:
        """Serve ``GET /copilot_internal/user`` (the Copilot CLI's check): ``(status, body)``."""
        user = self.check_github(github_token)
        with self._lock:
            self.user_lookups += 1
        if user is None:
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            }
        if not user.has_copilot:
            return 404, {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
            }
        return 200, {
            "login": user.login,
            "copilot_plan": user.plan,
            "chat_enabled": True,
            "access_type_sku": "free_limited_copilot" if user.plan == "free" else "plus_monthly",
            "endpoints": {
                "api": user.api_endpoint,
                "proxy": user.api_endpoint,
                "telemetry": user.api_endpoint,
            },
        }

    def check_github(self, token: str) -> GitHubUser | None:
        """The user a GitHub token belongs to, or ``None``."""
        with self._lock:
            return self._github.get(token)

    def revoke_github(self, token: str) -> None:
        """Forget a GitHub token."""
        with self._lock:
            self._github.pop(token, None)

    def exchange(self, github_token: str) -> tuple[int, dict[str, Any]]:
        """Serve ``GET /copilot_internal/v2/token``: ``(status, body)``."""
        user = self.check_github(github_token)
        with self._lock:
            self.exchange_count += 1
        if user is None:
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            }
        if not user.has_copilot:
            return 403, {
                "error_details": {
                    "title": "No Copilot access",
                    "message": "You do not have access to GitHub Copilot.",
                    "notification_id": "no_copilot_access",
                },
                "message": "Resource not accessible by integration",
            }
        if self.is_direct(github_token):
            # Simulator decision on the exact answer: the issue reports 403/404.
            return 404, {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
            }
        now = self.clock()
        exp = int(now + self.copilot_ttl)
        token = (
            f"tid={secrets.token_hex(16)};exp={exp};sku=copilot_for_individuals;proxy-ep=sim;8kp=1:"
            + secrets.token_hex(16)
        )
        with self._lock:
            self._copilot[token] = (user, float(exp))
        return 200, {
            "token": token,
            "expires_at": exp,
            "refresh_in": int(self.refresh_in),
            "endpoints": {"api": user.api_endpoint},
            "sku": "copilot_for_individuals",
            "chat_enabled": True,
        }

    def check_copilot(self, token: str) -> GitHubUser | None:
        """The user a Copilot token (or a direct-mode GitHub token) belongs to, or ``None``."""
        with self._lock:
            entry = self._copilot.get(token)
            direct_user = self._github.get(token) if token in self._direct else None
        if direct_user is not None:
            return direct_user if direct_user.has_copilot else None
        if entry is None:
            return None
        user, exp = entry
        return user if exp > self.clock() else None

    def expire_copilot(self, token: str | None = None) -> None:
        """Make one Copilot token (or all of them) expired."""
        with self._lock:
            for key, (user, _) in list(self._copilot.items()):
                if token is None or key == token:
                    self._copilot[key] = (user, 0.0)
