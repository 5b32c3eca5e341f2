"""``ChatGPTSimulator``: OpenAI OAuth and the ChatGPT Codex backend on one local server.

Both halves share one :class:`OpenAIAuthority`, so tokens the OAuth half issues (by a
login, a refresh or :meth:`ChatGPTSimulator.issue_login`) are exactly the ones the backend
accepts, and a revoked or expired token really stops working::

    with ChatGPTSimulator() as sim:
        os.environ.update(sim.env())         # point litellm-codex at the simulator
        save_login(store, sim.issue_login()) # a logged-in user, without a browser
        litellm.completion(model="openai-codex/gpt-6.2-sol", messages=[...])
        assert sim.backend.requests          # the simulator, not something else, answered
"""

from __future__ import annotations

import time

from litellm_codex import settings
from litellm_codex.auth.records import CodexLogin
from litellm_codex.auth.tokens import codex_identity, jwt_expiry
from litellm_codex.testing._server import SimServer
from litellm_codex.testing._tokens import Account, OpenAIAuthority
from litellm_codex.testing.codex_backend import CodexBackend, install_codex_backend
from litellm_codex.testing.openai_auth import OpenAIAuthSim, install_openai_auth

__all__ = ["ChatGPTSimulator"]


class ChatGPTSimulator(SimServer):
    """OpenAI OAuth (``/oauth/*``, device auth) plus ``/backend-api/codex`` on 127.0.0.1."""

    def __init__(
        self,
        authority: OpenAIAuthority | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.authority = authority or OpenAIAuthority()
        #: Controller of the OAuth half (authorize, token, revoke, device auth).
        self.auth: OpenAIAuthSim = install_openai_auth(self, self.authority)
        #: Controller of the backend half (``requests``, ``queue(...)`` faults, models).
        self.backend: CodexBackend = install_codex_backend(self, self.authority)

    def __enter__(self) -> ChatGPTSimulator:
        self.start()
        return self

    @property
    def api_base(self) -> str:
        """The Codex API base (``OPENAI_CODEX_API_BASE``)."""
        return f"{self.url}{self.backend.base_path}"

    @property
    def auth_base(self) -> str:
        """The OAuth issuer base (``OPENAI_CODEX_AUTH_BASE``)."""
        return self.url

    def env(self) -> dict[str, str]:
        """Environment variables that point litellm-codex at this simulator.

        Put them in ``os.environ`` before the next call: the settings are read again then
        (:func:`litellm_codex.settings.invalidate`).
        """
        settings.invalidate()
        return {"OPENAI_CODEX_API_BASE": self.api_base, "OPENAI_CODEX_AUTH_BASE": self.auth_base}

    def issue_login(
        self, account: Account | None = None, *, access_ttl: float | None = None
    ) -> CodexLogin:
        """A fresh login record for ``account``, as a completed ``login`` would store it."""
        tokens = self.authority.issue(account, access_ttl=access_ttl)
        account_id, email, plan = codex_identity(tokens["id_token"], tokens["access_token"])
        return CodexLogin(
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            id_token=tokens["id_token"],
            account_id=account_id,
            email=email,
            plan=plan,
            expires_at=jwt_expiry(tokens["access_token"]),
            last_refresh=time.time(),
            auth_base=self.auth_base,
        )
