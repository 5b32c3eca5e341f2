"""The one Copilot client identity: reference values, environment overrides, too-old hints."""

from __future__ import annotations

import pytest

from litellm_codex import copilot_identity
from litellm_codex.translate.copilot_headers import request_headers


def test_reference_values() -> None:
    ident = copilot_identity.current({})
    assert ident.github_headers() == {
        "Editor-Version": "copilot/1.0.102",
        "Copilot-Integration-Id": "copilot-developer-cli",
        "User-Agent": ident.user_agent,
        "X-GitHub-Api-Version": "2026-08-01",
    }
    assert ident.user_agent.startswith("copilot/1.0.102 (")
    assert ident.user_agent.endswith("client/github/cli")
    assert "Openai-Intent" not in ident.api_headers(intent=None)


@pytest.mark.parametrize(
    ("variable", "header", "value"),
    [
        ("GITHUB_COPILOT_EDITOR_VERSION", "Editor-Version", "vscode/1.110.0"),
        ("GITHUB_COPILOT_INTEGRATION_ID", "Copilot-Integration-Id", "vscode-chat"),
        ("GITHUB_COPILOT_API_VERSION", "X-GitHub-Api-Version", "2026-11-01"),
    ],
)
def test_each_value_is_overridable_everywhere(
    monkeypatch: pytest.MonkeyPatch, variable: str, header: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    # The exchange (and login checks, which use the same headers) and every API call.
    assert copilot_identity.exchange_headers("gho_x")[header] == value
    assert request_headers([{"role": "user", "content": "hi"}])[header] == value


def test_exchange_and_api_share_one_identity() -> None:
    exchange = copilot_identity.exchange_headers("gho_x")
    api = request_headers([])
    for name in ("Editor-Version", "Copilot-Integration-Id", "X-GitHub-Api-Version", "User-Agent"):
        assert exchange[name] == api[name]


def test_too_old_hints_name_the_variable() -> None:
    hint = copilot_identity.too_old_hint(466, "X-GitHub-Api-Version 2025-04-01 is retired")
    assert hint is not None and "GITHUB_COPILOT_API_VERSION" in hint
    hint = copilot_identity.too_old_hint(
        400, "model gemini-3-pro-preview is not supported in this VS Code version, please update"
    )
    assert hint is not None and "GITHUB_COPILOT_EDITOR_VERSION" in hint
    assert copilot_identity.too_old_hint(400, "The requested model is not supported.") is None


def test_machine_id_is_stable_and_reveals_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    first = copilot_identity.machine_id()
    assert copilot_identity.machine_id() == first
    assert uuid.UUID(first).version == 4
    secret = copilot_identity._machine_secret()
    if secret is not None:
        assert secret.decode(errors="replace") not in first
        assert f"{uuid.getnode():012x}" not in first.replace("-", "")
    # Derived, not stored: the same secret gives the same id in another process.
    copilot_identity.machine_id.cache_clear()
    try:
        assert copilot_identity.machine_id() == first
        monkeypatch.setattr(copilot_identity, "_machine_secret", lambda: b"another machine")
        copilot_identity.machine_id.cache_clear()
        assert copilot_identity.machine_id() != first
    finally:
        copilot_identity.machine_id.cache_clear()


def test_models_headers_as_the_reference_sends_them() -> None:
    headers = copilot_identity.current().models_headers()
    assert headers["X-Initiator"] == "user"
    assert headers["X-Interaction-Id"] == copilot_identity.SESSION_ID
    assert headers["X-Client-Machine-Id"] == copilot_identity.machine_id()
    for absent in ("X-Client-Session-Id", "X-Interaction-Type", "X-Agent-Task-Id"):
        assert absent not in headers


def test_oauth_scope_is_least_privilege() -> None:
    # A deliberate difference from the CLI's repo/gist/codespace/... (see OAUTH_SCOPE).
    assert copilot_identity.OAUTH_SCOPE == "read:user"


def test_identity_is_built_once_per_settings_read(monkeypatch: pytest.MonkeyPatch) -> None:
    first = copilot_identity.current()
    assert copilot_identity.current() is first  # not rebuilt per request
    assert first.user_agent is first.user_agent
    monkeypatch.setenv(copilot_identity.EDITOR_VERSION_ENV, "copilot/9.9.9")
    changed = copilot_identity.current()  # the monkeypatch fixture re-reads the settings
    assert changed is not first
    assert changed.editor_version == "copilot/9.9.9"
    assert changed.user_agent.startswith("copilot/9.9.9 (")
