"""Simulators of the upstream APIs, served for real on 127.0.0.1, for tests and the demo.

Nothing here talks to the real services. Each simulator is a :class:`SimServer` that
records every call and can be scripted to misbehave (see ``_server``):

- :class:`~litellm_codex.testing.chatgpt_simulator.ChatGPTSimulator`: OpenAI OAuth + the ChatGPT
  Codex backend (``litellm_codex.testing.chatgpt_simulator``);
- :class:`~litellm_codex.testing.copilot_simulator.CopilotSimulator`: GitHub device flow,
  the Copilot token exchange and the Copilot API (``litellm_codex.testing.copilot_simulator``);
- the halves on their own: ``codex_backend`` (a package, one module per concern),
  ``openai_auth``, ``github``, ``copilot_api``;
- ``faults``: the one fault API both model simulators take (``Fault.status``, ``drop``,
  ``stall``, ``malformed`` and each backend's named answers).

Import the simulators from their modules; this package exports the building blocks.
"""

from litellm_codex.testing._server import (
    DROP,
    Request,
    Response,
    SimServer,
    Stall,
    json_response,
    sse_response,
)
from litellm_codex.testing._tokens import Account, GitHubAuthority, GitHubUser, OpenAIAuthority

__all__ = [
    "DROP",
    "Account",
    "GitHubAuthority",
    "GitHubUser",
    "OpenAIAuthority",
    "Request",
    "Response",
    "SimServer",
    "Stall",
    "json_response",
    "sse_response",
]
