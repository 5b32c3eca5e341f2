"""``CopilotSimulator``: GitHub (device flow, token exchange, /user) plus the Copilot API.

One local server plays both hosts. The Copilot API is mounted under ``/copilot-api`` and
advertised as ``endpoints.api`` in every exchanged Copilot token, so a client that finds
the API base the way the real one must (from the token) is exercised::

    with CopilotSimulator() as sim:
        os.environ.update(sim.env())           # GitHub URLs -> the simulator
        save_login(store, sim.issue_login())   # a logged-in GitHub user, no device flow
        litellm.completion(model="github_copilot/gpt-4o", messages=[...])
        assert sim.api.requests                # the simulator answered
"""

from __future__ import annotations

from litellm_codex import settings
from litellm_codex.auth.records import CopilotLogin
from litellm_codex.testing._server import SimServer
from litellm_codex.testing._tokens import GitHubAuthority, GitHubUser
from litellm_codex.testing.copilot_api import CopilotApi, install_copilot_api
from litellm_codex.testing.github import GitHubSim, install_github

__all__ = ["CopilotSimulator"]

API_PATH = "/copilot-api"


class CopilotSimulator(SimServer):
    """GitHub + Copilot on 127.0.0.1, sharing one :class:`GitHubAuthority`."""

    def __init__(
        self,
        authority: GitHubAuthority | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.authority = authority or GitHubAuthority()
        #: Controller of the GitHub half (device flow, exchange, /user).
        self.github: GitHubSim = install_github(self, self.authority)
        #: Controller of the Copilot API half (``requests``, ``queue(...)`` faults, models).
        self.api: CopilotApi = install_copilot_api(self, self.authority, base_path=API_PATH)

    def start(self) -> CopilotSimulator:
        super().start()
        self.authority.user.api_endpoint = self.api_base
        return self

    def __enter__(self) -> CopilotSimulator:
        self.start()
        return self

    @property
    def api_base(self) -> str:
        """The Copilot API base the exchanged tokens advertise."""
        return f"{self.url}{API_PATH}"

    def env(self) -> dict[str, str]:
        """Environment variables that point litellm-codex's GitHub side at this simulator.

        Put them in ``os.environ`` before the next call: the settings are read again then
        (:func:`litellm_codex.settings.invalidate`).
        """
        settings.invalidate()
        return {"GITHUB_COPILOT_GITHUB_URL": self.url, "GITHUB_COPILOT_GITHUB_API_URL": self.url}

    def issue_login(self, user: GitHubUser | None = None, *, direct: bool = False) -> CopilotLogin:
        """A login record for ``user``, as `litellm-codex login github-copilot` stores it.

        ``direct``: a token the exchange refuses, stored as a direct-mode login.
        """
        user = user or self.authority.user
        return CopilotLogin(
            github_token=self.authority.issue_github_token(user, direct=direct),
            mode="direct" if direct else "exchange",
            login=user.login,
            github_url=self.url,
            github_api_url=self.url,
        )
