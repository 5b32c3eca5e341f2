"""``github_copilot/`` through the real LiteLLM SDK against the Copilot simulator.

The simulator plays GitHub (token exchange) and the Copilot API; the API base comes from
the exchanged token's ``endpoints.api``, as in production. Every test asserts what the
simulator received, so LiteLLM's built-in Copilot route cannot answer in our place.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import litellm
import pytest
from litellm.exceptions import MidStreamFallbackError

import litellm_codex
from litellm_codex import copilot_identity
from litellm_codex.auth import copilot_exchange
from litellm_codex.auth.store import FileStore
from litellm_codex.testing import copilot_api
from litellm_codex.testing.copilot_simulator import CopilotSimulator
from tests.contract._data import MODES, PNG, TOOLS, answer_through


@pytest.fixture
def sim(copilot_sim: CopilotSimulator) -> CopilotSimulator:
    """The logged-in Copilot simulator (``copilot_sim``, tests/conftest.py)."""
    return copilot_sim


def run(mode: str, model: str, messages: list[Any], **kwargs: Any) -> dict[str, Any]:
    """Call one entry point; return content, reasoning, tool calls, finish and usage."""
    message, finish, usage = answer_through(mode, f"github_copilot/{model}", messages, **kwargs)
    return {
        "content": message.content,
        "reasoning": getattr(message, "reasoning_content", None),
        "tools": [
            (c.function.name, json.loads(c.function.arguments or "{}"))
            for c in message.tool_calls or []
        ],
        "ids": [c.id for c in message.tool_calls or []],
        "finish": finish,
        "usage": (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
        "message": message,
    }


#: Where each model goes: /v1/messages when listed, else /responses, else chat (§2).
ROUTES = {
    "gpt-4o": "/chat/completions",
    "claude-sonnet-4.5": "/v1/messages",
    "gemini-2.5-pro": "/chat/completions",
    "gemini-3-pro-preview": "/chat/completions",
    "gpt-5.1-codex": "/responses",
    "gpt-5.2": "/responses",
}


@pytest.mark.parametrize("model", sorted(ROUTES))
def test_text_through_all_entry_points(sim: CopilotSimulator, model: str) -> None:
    answers = [run(mode, model, [{"role": "user", "content": "hello copilot"}]) for mode in MODES]
    for answer in answers:
        assert answer["content"] == "echo: hello copilot"
        assert answer["finish"] == "stop"
        assert answer["usage"] == answers[0]["usage"]
        assert answer["usage"][0] > 0
    assert len(sim.api.calls(ROUTES[model])) == len(MODES)
    assert len(sim.api.requests) == len(MODES) + 1  # and one /models


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4.5", "gpt-5.1-codex", "gpt-5.2"])
@pytest.mark.parametrize("mode", MODES)
def test_two_tool_calls(sim: CopilotSimulator, model: str, mode: str) -> None:
    answer = run(
        mode,
        model,
        [{"role": "user", "content": 'call get_weather {"city": "Rome"} and get_time'}],
        tools=TOOLS,
    )
    assert answer["tools"] == [("get_weather", {"city": "Rome"}), ("get_time", {})]
    assert len(set(answer["ids"])) == 2
    assert answer["finish"] == "tool_calls"


def test_x_initiator_across_a_tool_loop(sim: CopilotSimulator) -> None:
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run("completion", "gpt-4o", first, tools=TOOLS)
    call_id = answer["ids"][0]
    follow_up = [
        *first,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "rainy"},
    ]
    answer = run("streaming", "gpt-4o", follow_up, tools=TOOLS)
    assert answer["content"] == "tool result: rainy"
    initiators = [r.headers.get("x-initiator") for r in sim.api.calls("/chat/completions")]
    assert initiators == ["user", "agent"]
    # A caller-supplied header wins.
    run("completion", "gpt-4o", follow_up, tools=TOOLS, extra_headers={"X-Initiator": "user"})
    assert sim.api.calls("/chat/completions")[-1].headers.get("x-initiator") == "user"


@pytest.mark.parametrize("mode", ["completion", "astreaming"])
def test_images_send_the_vision_header(sim: CopilotSimulator, mode: str) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is it"},
                {"type": "image_url", "image_url": {"url": PNG}},
            ],
        }
    ]
    answer = run(mode, "gpt-4o", messages)
    assert answer["content"] is not None and "image" in answer["content"]
    request = sim.api.calls("/chat/completions")[-1]
    assert request.headers.get("copilot-vision-request") == "true"
    run("completion", "gpt-4o", [{"role": "user", "content": "no picture"}])
    assert "copilot-vision-request" not in sim.api.calls("/chat/completions")[-1].headers


def test_headers_and_system_messages(sim: CopilotSimulator) -> None:
    run(
        "completion",
        "gpt-4o",
        [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "x"}],
    )
    request = sim.api.calls("/chat/completions")[-1]
    for name in (
        "user-agent",
        "x-client-session-id",
        "x-client-machine-id",
        "x-interaction-id",
        "x-agent-task-id",
    ):
        assert request.headers.get(name), name
    assert "x-request-id" not in request.headers  # the reference sends none
    # The reference client's identity (reference-clients-2026-11.md §2).
    assert request.headers["editor-version"] == "copilot/1.0.102"
    assert request.headers["copilot-integration-id"] == "copilot-developer-cli"
    assert request.headers["x-github-api-version"] == "2026-08-01"
    assert request.headers["openai-intent"] == "conversation-agent"
    assert "editor-plugin-version" not in request.headers
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.json()["messages"][0]["role"] == "system"


def test_reasoning_from_gemini(sim: CopilotSimulator) -> None:
    for mode in ("completion", "streaming"):
        answer = run(
            mode, "gemini-2.5-pro", [{"role": "user", "content": "think"}], reasoning_effort="high"
        )
        assert answer["reasoning"], mode


def test_one_token_exchange_for_many_calls(sim: CopilotSimulator) -> None:
    for mode in MODES * 2:
        run(mode, "gpt-4o", [{"role": "user", "content": "again"}])
    assert sim.authority.exchange_count == 1


@pytest.mark.parametrize("mode", MODES)
def test_401_re_exchanges_once(sim: CopilotSimulator, mode: str) -> None:
    run("completion", "gpt-4o", [{"role": "user", "content": "warm up"}])
    sim.authority.expire_copilot()
    answer = run(mode, "gpt-4o", [{"role": "user", "content": "after expiry"}])
    assert answer["content"] == "echo: after expiry"
    assert sim.authority.exchange_count == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        (copilot_api.Fault.quota_exceeded(retry_after=3600), "3600"),
        (copilot_api.Fault.rate_limited(retry_after=30), "30"),
    ],
    ids=["402-quota", "429"],
)
def test_quota_and_rate_limit(sim: CopilotSimulator, mode: str, fault: Any, needle: str) -> None:
    sim.api.queue(fault)
    with pytest.raises((litellm.RateLimitError, MidStreamFallbackError)) as info:
        run(mode, "gpt-4o", [{"role": "user", "content": "x"}])
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.RateLimitError)
    assert needle in str(original)


@pytest.mark.parametrize("model", ["claude-opus-4.5", "no-such-model"])
def test_model_not_enabled_lists_the_enabled_models(
    sim: CopilotSimulator, model: str, mocker: Any
) -> None:
    handler = litellm_codex.github_copilot
    run("completion", "gpt-4o", [{"role": "user", "content": "x"}])  # /models is cached now
    models_calls = len(sim.api.calls("/models"))
    spy = mocker.spy(handler, "_enabled_ids")
    with pytest.raises(litellm.NotFoundError) as info:
        run("completion", model, [{"role": "user", "content": "x"}])
    text = str(info.value)
    assert "Copilot settings" in text
    assert "github_copilot/claude-sonnet-4.5" in text and "github_copilot/gpt-4o" in text
    assert "github_copilot/claude-opus-4.5" not in text  # not enabled
    assert "text-embedding" not in text
    # The list came from the cache: no /models request while mapping the error.
    assert spy.call_count == 1
    assert len(sim.api.calls("/models")) == models_calls


def test_litellm_own_params_are_not_warned_about(
    sim: CopilotSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="litellm_codex"):
        run("completion", "gpt-4o", [{"role": "user", "content": "x"}], max_retries=3)
        run("completion", "gpt-4o", [{"role": "user", "content": "x"}], top_k=3)
    body = sim.api.last("/chat/completions").json()
    assert "max_retries" not in body
    warned = [r.getMessage() for r in caplog.records]
    assert not any("max_retries" in m for m in warned), warned
    assert any("`top_k`" in m for m in warned), warned


def test_unsupported_api_reroutes_and_remembers(sim: CopilotSimulator) -> None:
    # A model list that says nothing about endpoints (as when /models is unavailable): the
    # first call goes to chat, is refused with `unsupported_api_for_model`, and is replayed
    # on /responses; the next call goes straight there.
    handler = litellm_codex.github_copilot
    handler._remember(sim.api_base, {})
    assert (
        run("completion", "gpt-5.1-codex", [{"role": "user", "content": "route me"}])["content"]
        == "echo: route me"
    )
    assert (
        run("streaming", "gpt-5.1-codex", [{"role": "user", "content": "again"}])["content"]
        == "echo: again"
    )
    assert len(sim.api.calls("/chat/completions")) == 1
    assert len(sim.api.calls("/responses")) == 2


def test_quota_headers_exposed(sim: CopilotSimulator) -> None:
    r = litellm.completion(
        model="github_copilot/gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    headers = r._hidden_params["additional_headers"]
    assert any("x-quota-snapshot-" in k for k in headers)


@pytest.mark.parametrize("prefix", ["github_copilot", "github-copilot"])
def test_embeddings_sync_and_async(sim: CopilotSimulator, prefix: str) -> None:
    model = f"{prefix}/text-embedding-3-small"
    result = litellm.embedding(model=model, input=["first text", "second"])
    assert [item["index"] for item in result.data] == [0, 1]
    assert len(result.data[0]["embedding"]) >= 8
    assert result.usage.prompt_tokens > 0

    async def call() -> Any:
        out = await litellm.aembedding(model=model, input="one more")
        await litellm_codex.github_copilot.aclose()
        return out

    assert len(asyncio.run(call()).data) == 1
    bodies = [r.json() for r in sim.api.calls("/embeddings")]
    assert [b["input"] for b in bodies] == [["first text", "second"], ["one more"]]


@pytest.mark.parametrize(
    ("call", "endpoint"), [("acompletion", "/chat/completions"), ("aembedding", "/embeddings")]
)
def test_machine_id_is_first_read_off_the_event_loop(
    sim: CopilotSimulator, mocker: Any, call: str, endpoint: str
) -> None:
    """The machine id's first read (a file, or a subprocess via ``uuid.getnode``) happens in
    a worker thread when an async call is the process's first Copilot request."""
    real = copilot_identity._machine_secret
    on_loop: list[bool] = []

    def read() -> bytes | None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real()

    mocker.patch.object(copilot_identity, "_machine_secret", side_effect=read)
    copilot_identity.machine_id.cache_clear()

    async def first() -> None:
        if call == "acompletion":
            messages = [{"role": "user", "content": "hi"}]
            await litellm.acompletion(model="github_copilot/gpt-4o", messages=messages)
        else:
            await litellm.aembedding(model="github_copilot/text-embedding-3-small", input="hi")
        await litellm_codex.github_copilot.aclose()

    try:
        asyncio.run(first())
        assert on_loop == [False]  # read once, and not on the loop
        sent = sim.api.calls(endpoint)[-1].headers["x-client-machine-id"]
        assert sent == copilot_identity.machine_id()
    finally:
        copilot_identity.machine_id.cache_clear()


def test_retired_api_version_names_the_variable(
    sim: CopilotSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_COPILOT_API_VERSION", "2025-04-01")
    with pytest.raises(litellm.BadRequestError) as info:
        run("completion", "gpt-4o", [{"role": "user", "content": "hi"}])
    assert "HTTP 466" in str(info.value)
    assert "GITHUB_COPILOT_API_VERSION" in str(info.value)
    assert sim.api.last().headers["x-github-api-version"] == "2025-04-01"
    # The override fixes it without a release.
    monkeypatch.setenv("GITHUB_COPILOT_API_VERSION", "2026-11-01")
    assert run("completion", "gpt-4o", [{"role": "user", "content": "hi"}])["content"]
    assert sim.api.last().headers["x-github-api-version"] == "2026-11-01"


def test_old_editor_refused_a_new_model_names_the_variable(
    sim: CopilotSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_COPILOT_EDITOR_VERSION", "vscode/1.99.3")
    with pytest.raises(litellm.BadRequestError) as info:
        run("completion", "gemini-3-pro-preview", [{"role": "user", "content": "hi"}])
    assert "not supported in this vscode version" in str(info.value)
    assert "GITHUB_COPILOT_EDITOR_VERSION" in str(info.value)
    assert sim.api.last().headers["editor-version"] == "vscode/1.99.3"


@pytest.mark.parametrize("stored_mode", ["direct", None])
def test_direct_token_mode(sim: CopilotSimulator, stored_mode: str | None) -> None:
    """A token the exchange refuses is the bearer itself; copilot_internal/user names the
    API host (the Copilot CLI's way). A record without a mode finds out by itself."""
    login = sim.issue_login(direct=True).model_copy(update={"mode": stored_mode})
    copilot_exchange.save_login(FileStore(), login)
    copilot_exchange.reset_copilot_credentials()
    exchanges = sim.authority.exchange_count
    for mode in MODES:
        assert run(mode, "gpt-4o", [{"role": "user", "content": "hi"}])["content"] == "echo: hi"
    call = sim.api.last("/chat/completions")
    assert call.headers["authorization"] == f"Bearer {login.github_token}"
    assert sim.authority.user_lookups == 1
    assert sim.authority.exchange_count == exchanges + (1 if stored_mode is None else 0)
    assert copilot_exchange.copilot_credentials().mode == "direct"


# --------------------------------------------------------------------------------------
# /v1/messages (Claude): thinking signatures and cache_control across turns


def _follow_up(
    first: list[dict[str, Any]], answer: dict[str, Any], *, as_object: bool = False
) -> list[Any]:
    """The next turn, with the assistant message as LiteLLM returned it (the object itself,
    or its model_dump)."""
    message = answer["message"]
    assistant = message if as_object else message.model_dump(exclude_none=True)
    results = [
        {"role": "tool", "tool_call_id": call_id, "content": "sunny"} for call_id in answer["ids"]
    ]
    return [*first, assistant, *results]


@pytest.mark.parametrize("mode", MODES)
def test_claude_thinking_signatures_round_trip(sim: CopilotSimulator, mode: str) -> None:
    first = [
        {"role": "system", "content": "Be terse."},
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "call get_weather",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        },
    ]
    answer = run(mode, "claude-sonnet-4.5", first, tools=TOOLS, reasoning_effort="high")
    assert answer["finish"] == "tool_calls"
    assert answer["reasoning"]
    (block,) = answer["message"].thinking_blocks
    assert block["thinking"] == answer["reasoning"]
    assert block["signature"] == copilot_api.thinking_signature(block["thinking"])
    sent = sim.api.last("/v1/messages")
    body = sent.json()
    assert body["thinking"]["type"] == "enabled"
    assert body["system"][0]["text"] == "Be terse."
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "openai-intent" not in sent.headers

    # The next turn sends the thinking block back, signature and all, first in the turn.
    follow_up = _follow_up(first, answer, as_object=mode == "acompletion")
    answer = run(mode, "claude-sonnet-4.5", follow_up, tools=TOOLS, reasoning_effort="high")
    assert answer["content"] == "tool result: sunny"
    assistant = sim.api.last("/v1/messages").json()["messages"][1]
    assert assistant["content"][0] == {"type": "thinking", **block}
    assert sim.api.last("/v1/messages").headers["x-initiator"] == "agent"


@pytest.mark.parametrize("mode", MODES)
def test_claude_adaptive_thinking_and_cache_breakpoints(sim: CopilotSimulator, mode: str) -> None:
    """A model whose ``/models`` entry lists ``adaptive_thinking``: the reference's
    ``thinking`` / ``output_config`` when the caller asks, nothing when it does not; the
    reference's cache breakpoints either way; the thinking block replayed next turn."""
    first = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "call get_weather"},
    ]
    plain = run(mode, "claude-sonnet-4.6", first, tools=TOOLS)
    assert plain["finish"] == "tool_calls" and not plain["reasoning"]
    body = sim.api.last("/v1/messages").json()
    assert "thinking" not in body and "output_config" not in body
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}

    answer = run(mode, "claude-sonnet-4.6", first, tools=TOOLS, reasoning_effort="low")
    body = sim.api.last("/v1/messages").json()
    assert body["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert body["output_config"] == {"effort": "low"}
    assert answer["reasoning"]
    follow_up = _follow_up(first, answer, as_object=mode == "acompletion")
    run(mode, "claude-sonnet-4.6", follow_up, tools=TOOLS, reasoning_effort="low")
    body = sim.api.last("/v1/messages").json()
    assert body["messages"][1]["content"][0]["type"] == "thinking"
    assert body["messages"][-1]["content"][-1]["type"] == "tool_result"
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in body["messages"][0]["content"][-1]


def test_claude_follow_up_without_thinking_is_refused(sim: CopilotSimulator) -> None:
    """What the echo is for: the simulator, like Anthropic, refuses a tool turn whose
    thinking block was dropped."""
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run("completion", "claude-sonnet-4.5", first, tools=TOOLS, reasoning_effort="high")
    follow_up = _follow_up(first, answer)
    follow_up[1].pop("thinking_blocks")
    with pytest.raises(litellm.BadRequestError, match="must start with a thinking block"):
        run("completion", "claude-sonnet-4.5", follow_up, tools=TOOLS, reasoning_effort="high")


@pytest.mark.parametrize("mode", ["completion", "astreaming"])
def test_claude_messages_vision_and_errors(sim: CopilotSimulator, mode: str) -> None:
    image = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is it"},
                {"type": "image_url", "image_url": {"url": PNG}},
            ],
        }
    ]
    answer = run(mode, "claude-sonnet-4.5", image)
    assert answer["content"] is not None and "image" in answer["content"]
    sent = sim.api.last("/v1/messages")
    assert sent.headers["copilot-vision-request"] == "true"
    assert sent.json()["messages"][0]["content"][1]["type"] == "image"
    # Errors come out as the same LiteLLM classes as on the other routes.
    sim.api.queue(copilot_api.Fault.rate_limited(), endpoint="/v1/messages")
    with pytest.raises((litellm.RateLimitError, MidStreamFallbackError)) as info:
        run(mode, "claude-sonnet-4.5", [{"role": "user", "content": "x"}])
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.RateLimitError)


# --------------------------------------------------------------------------------------
# /chat/completions (Gemini): reasoning_opaque / reasoning_text across turns


@pytest.mark.parametrize("mode", MODES)
def test_gemini_reasoning_state_round_trip(sim: CopilotSimulator, mode: str) -> None:
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run(mode, "gemini-3-pro-preview", first, tools=TOOLS)
    assert answer["finish"] == "tool_calls"
    fields = answer["message"].provider_specific_fields
    assert fields["reasoning_opaque"] == copilot_api.reasoning_opaque(answer["reasoning"])
    answer_blocks = answer["message"].thinking_blocks

    follow_up = _follow_up(first, answer, as_object=mode == "acompletion")
    answer = run(mode, "gemini-3-pro-preview", follow_up, tools=TOOLS)
    assert answer["content"] == "tool result: sunny"
    (block,) = answer_blocks
    assert block["signature"] == "litellm-codex:reasoning_opaque:" + fields["reasoning_opaque"]
    assistant = sim.api.last("/chat/completions").json()["messages"][1]
    assert assistant["reasoning_opaque"] == fields["reasoning_opaque"]
    assert assistant["reasoning_text"]
    assert "provider_specific_fields" not in assistant  # LiteLLM's key, not Copilot's


def test_gemini_follow_up_without_reasoning_state_is_refused(sim: CopilotSimulator) -> None:
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run("completion", "gemini-3-pro-preview", first, tools=TOOLS)
    follow_up = _follow_up(first, answer)
    follow_up[1].pop("provider_specific_fields")
    follow_up[1].pop("thinking_blocks")  # its twin (see OPAQUE_SIGNATURE_PREFIX)
    with pytest.raises(litellm.BadRequestError, match="reasoning_opaque"):
        run("completion", "gemini-3-pro-preview", follow_up, tools=TOOLS)


# --------------------------------------------------------------------------------------
# /responses (GPT-5.x): encrypted reasoning across turns


@pytest.mark.parametrize("mode", MODES)
def test_encrypted_reasoning_is_replayed_on_responses(sim: CopilotSimulator, mode: str) -> None:
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run(mode, "gpt-5.2", first, tools=TOOLS, reasoning_effort="high")
    assert sim.api.last("/responses").json()["include"] == ["reasoning.encrypted_content"]
    (blob,) = answer["message"].provider_specific_fields["reasoning_encrypted_content"]
    assert blob.startswith("gAAAAB")

    follow_up = _follow_up(first, answer, as_object=mode == "acompletion")
    answer = run(mode, "gpt-5.2", follow_up, tools=TOOLS, reasoning_effort="high")
    assert answer["content"] == "tool result: sunny"
    replayed = [i for i in sim.api.last("/responses").json()["input"] if i["type"] == "reasoning"]
    assert replayed == [{"type": "reasoning", "summary": [], "encrypted_content": blob}]


def test_forged_encrypted_reasoning_is_refused(sim: CopilotSimulator) -> None:
    first = [{"role": "user", "content": "call get_weather"}]
    answer = run("completion", "gpt-5.2", first, tools=TOOLS, reasoning_effort="high")
    follow_up = _follow_up(first, answer)
    follow_up[1]["provider_specific_fields"] = {"reasoning_encrypted_content": ["forged"]}
    with pytest.raises(litellm.BadRequestError, match="could not be verified"):
        run("completion", "gpt-5.2", follow_up, tools=TOOLS, reasoning_effort="high")


def test_direct_token_revoked_asks_to_log_in_again(sim: CopilotSimulator) -> None:
    login = sim.issue_login(direct=True)
    copilot_exchange.save_login(FileStore(), login)
    copilot_exchange.reset_copilot_credentials()
    assert run("completion", "gpt-4o", [{"role": "user", "content": "hi"}])["content"]
    sim.authority.revoke_github(login.github_token)
    with pytest.raises(litellm.AuthenticationError, match="litellm-codex login github-copilot"):
        run("completion", "gpt-4o", [{"role": "user", "content": "hi"}])
    # One retry after the 401: the GitHub token was checked again, then given up on.
    assert sim.authority.user_lookups == 2


def test_stale_model_list_messages_route_falls_back_to_chat(sim: CopilotSimulator) -> None:
    # A cached list that wrongly says gpt-4o speaks /v1/messages: the simulator answers
    # `unsupported_api_for_model`; the call is replayed on chat and the route remembered.
    handler = litellm_codex.github_copilot
    entry = {"id": "gpt-4o", "supported_endpoints": ["/v1/messages"]}
    handler._remember(sim.api_base, {"gpt-4o": entry})
    for _ in range(2):
        assert run("completion", "gpt-4o", [{"role": "user", "content": "hi"}])["content"]
    assert len(sim.api.calls("/v1/messages")) == 1
    assert len(sim.api.calls("/chat/completions")) == 2


@pytest.mark.parametrize("model", ["claude-sonnet-4.6", "gpt-5.2", "gemini-3-pro-preview"])
def test_effort_a_model_does_not_list_is_refused_before_sending(
    sim: CopilotSimulator, model: str
) -> None:
    """On every route, from the model's ``/models`` ``reasoning_effort`` list."""
    run("completion", model, [{"role": "user", "content": "warm up"}])  # /models cached
    before = len(sim.api.requests)
    with pytest.raises(litellm.BadRequestError, match="is not supported by this model"):
        run("completion", model, [{"role": "user", "content": "hi"}], reasoning_effort="max")
    assert len(sim.api.requests) == before


def test_live_models_rows_reach_litellms_model_info(sim: CopilotSimulator) -> None:
    # The first call's /models lookup registers its rows with LiteLLM (through
    # `_registry.register_rows`, one index rebuild): they win over the bundled table.
    entry = next(m for m in sim.api.models if m.get("id") == "gpt-4o")
    entry["capabilities"]["limits"]["max_prompt_tokens"] = 77_777
    try:
        run("completion", "gpt-4o", [{"role": "user", "content": "hello"}])
        assert len(sim.api.requests) == 2  # /models, then the call
        for name in ("github_copilot/gpt-4o", "github-copilot/gpt-4o"):
            assert litellm.get_model_info(name)["max_input_tokens"] == 77_777
            assert litellm.model_cost[name]["input_cost_per_token"] == 0.0
    finally:  # what every other test's first call registers
        litellm_codex.github_copilot._register_rows(copilot_api.default_models())
