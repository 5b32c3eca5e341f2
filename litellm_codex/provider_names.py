"""How each provider is spelled, in one place (SPEC §2 and §3).

Two providers, each with the name LiteLLM routes on and an alias:

- ``openai-codex`` (alias ``openai_codex``): ChatGPT Codex;
- ``github_copilot`` (LiteLLM's built-in name, taken over) and ``github-copilot`` (a plain
  custom provider alias that works even when the takeover cannot be applied).

Three derived spellings: the handler attribute of :mod:`litellm_codex`
(``openai_codex`` / ``github_copilot``), the CLI and storage spelling
(``openai-codex`` / ``github-copilot``: keyring services, ``credentials.json`` keys, Redis
keys, ``litellm-codex login ...``), and the canonical name records use
(:data:`CODEX` / :data:`COPILOT`). Nothing here imports anything.
"""

from __future__ import annotations

__all__ = [
    "CLI_NAMES",
    "CODEX",
    "CODEX_NAMES",
    "COPILOT",
    "COPILOT_NAMES",
    "HANDLERS",
    "TAKEN_OVER",
    "cli_name",
]

#: Canonical names (the LiteLLM prefix each provider is documented under).
CODEX = "openai-codex"
COPILOT = "github_copilot"
#: Every spelling LiteLLM routes to each provider, the canonical one first.
CODEX_NAMES = (CODEX, "openai_codex")
COPILOT_NAMES = (COPILOT, "github-copilot")
#: Names that collide with a LiteLLM built-in provider and need the takeover hooks.
TAKEN_OVER = frozenset({COPILOT})
#: Provider name -> the handler attribute of :mod:`litellm_codex` that serves it.
HANDLERS: dict[str, str] = {
    **dict.fromkeys(CODEX_NAMES, "openai_codex"),
    **dict.fromkeys(COPILOT_NAMES, "github_copilot"),
}
#: Provider name -> its CLI / storage spelling.
CLI_NAMES: dict[str, str] = {
    **dict.fromkeys(CODEX_NAMES, "openai-codex"),
    **dict.fromkeys(COPILOT_NAMES, "github-copilot"),
}


def cli_name(provider: str) -> str:
    """The CLI / storage spelling of a provider: ``openai-codex`` or ``github-copilot``."""
    return CLI_NAMES.get(provider, provider)
