"""``openai-codex/`` through the real LiteLLM SDK against the Codex simulator on 127.0.0.1.

Every scenario runs through all four entry points (completion, acompletion, streaming,
astreaming); a parity check asserts that streamed and whole answers agree on content,
tool calls, finish reason and usage. Every test asserts the simulator saw the call.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import litellm
import pytest
from litellm.exceptions import MidStreamFallbackError

import litellm_codex
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import (
    Fault,
    completed_event,
    created_events,
    reasoning_events,
    tool_call_events,
)
from tests.contract._data import MODES, PNG, TOOLS, answer_through

MODEL = "openai-codex/gpt-6.2-sol"


@pytest.fixture
def sim(codex_sim: ChatGPTSimulator) -> ChatGPTSimulator:
    """The logged-in ChatGPT simulator (``codex_sim``, tests/conftest.py)."""
    return codex_sim


@dataclass
class Answer:
    content: str | None
    reasoning: str | None
    tool_calls: list[tuple[str, str]]
    tool_ids: list[str]
    finish_reason: str
    usage: tuple[int, int, int, int | None, int | None]


def _answer(message: Any, finish_reason: str, usage: Any) -> Answer:
    calls = message.tool_calls or []
    details_p = getattr(usage, "prompt_tokens_details", None)
    details_c = getattr(usage, "completion_tokens_details", None)
    return Answer(
        content=message.content,
        reasoning=getattr(message, "reasoning_content", None),
        tool_calls=[(c.function.name, c.function.arguments) for c in calls],
        tool_ids=[c.id for c in calls],
        finish_reason=finish_reason,
        usage=(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            getattr(details_p, "cached_tokens", None),
            getattr(details_c, "reasoning_tokens", None),
        ),
    )


def run(mode: str, messages: list[dict[str, Any]], **kwargs: Any) -> Answer:
    """Call through one entry point and normalise the answer."""
    return _answer(*answer_through(mode, MODEL, messages, **kwargs))


SCENARIOS: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "text": (
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}],
        {},
    ),
    "tool-results": (
        [
            {"role": "user", "content": "call get_weather"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        {"tools": TOOLS},
    ),
    "parallel-tools": (
        [{"role": "user", "content": 'call get_weather {"city": "Oslo"} and get_time'}],
        {"tools": TOOLS},
    ),
    "image": (
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
            }
        ],
        {},
    ),
    "reasoning": ([{"role": "user", "content": "think first"}], {"reasoning_effort": "high"}),
    "json-schema": (
        [{"role": "user", "content": "give me a person"}],
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "person",
                    "strict": True,
                    "schema": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                        "required": ["name", "age"],
                        "additionalProperties": False,
                    },
                },
            }
        },
    ),
}


def check(name: str, answer: Answer) -> None:
    """What each scenario must produce (from the simulator's documented responder)."""
    if name == "text":
        assert answer.content == "echo: hello there"
        assert answer.finish_reason == "stop"
    elif name == "tool-results":
        assert answer.content == "tool result: sunny"
        assert answer.finish_reason == "stop"
    elif name == "parallel-tools":
        # A Lite model is always sent parallel_tool_calls: false, so one call comes back
        # (test_classic_model_gets_the_classic_shape shows two with gpt-5.5).
        assert [n for n, _ in answer.tool_calls] == ["get_weather"]
        assert json.loads(answer.tool_calls[0][1]) == {"city": "Oslo"}
        assert len(set(answer.tool_ids)) == 1 and all(answer.tool_ids)
        assert answer.finish_reason == "tool_calls"
        assert not answer.content
    elif name == "image":
        assert answer.content is not None and "1 image" in answer.content
    elif name == "reasoning":
        assert answer.reasoning
        assert answer.content == "echo: think first"
        assert answer.usage[4] and answer.usage[4] > 0
    elif name == "json-schema":
        assert answer.content is not None
        data = json.loads(answer.content)
        assert set(data) == {"name", "age"} and isinstance(data["age"], int)
    prompt, completion, total, _, _ = answer.usage
    assert prompt > 0 and completion > 0 and total == prompt + completion


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_through_all_entry_points_with_parity(sim: ChatGPTSimulator, name: str) -> None:
    messages, kwargs = SCENARIOS[name]
    answers = {}
    for mode in MODES:
        answers[mode] = run(mode, messages, **kwargs)
        check(name, answers[mode])
    reference = answers["completion"]
    for mode in MODES[1:]:
        got = answers[mode]
        assert got.content == reference.content, mode
        assert got.reasoning == reference.reasoning, mode
        assert got.tool_calls == reference.tool_calls, mode
        assert got.finish_reason == reference.finish_reason, mode
        # The conversation's prompt_cache_key is stable, so the simulator reports the
        # later calls' prompts as cached, like the real backend: compare the rest.
        assert got.usage[:3] == reference.usage[:3], mode
        assert got.usage[4] == reference.usage[4], mode
        assert got.usage[3] == got.usage[0], f"{mode}: cached_tokens lost"
    assert reference.usage[3] == 0
    assert len(sim.backend.requests) == len(MODES)
    for recorded in sim.backend.requests:
        body = recorded.body
        assert body["stream"] is True and body["store"] is False
        # Today's shape (reference-clients-2026-11.md §1.3): developer messages lead the
        # input, no top-level instructions, the Lite marker and reasoning context.
        assert "instructions" not in body
        first = next(i for i in body["input"] if i.get("type") == "message")
        assert first["role"] == "developer"
        assert recorded.headers["x-openai-internal-codex-responses-lite"] == "true"
        assert body["reasoning"]["context"] == "all_turns"
        assert "tools" not in body


def test_request_shape_and_headers(sim: ChatGPTSimulator) -> None:
    messages, kwargs = SCENARIOS["tool-results"]
    run("completion", messages, **kwargs, temperature=0.2, max_tokens=50)
    recorded = sim.backend.requests[-1]
    body = recorded.body
    assert "temperature" not in body and "max_output_tokens" not in body
    # The client's own items carry ids, as Codex CLI 0.171.0 sends them (§1.3).
    own = [
        i for i in body["input"] if i["type"] != "function_call" and i.get("role") != "assistant"
    ]
    assert own and all(isinstance(i.get("id"), str) for i in own), body["input"]
    headers = {k.lower(): v for k, v in recorded.headers.items()}
    assert headers["chatgpt-account-id"] == "acct-sim-0001"
    assert headers["originator"] == "codex_cli_rs"
    assert headers["authorization"].startswith("Bearer ")
    key = body["prompt_cache_key"]
    assert headers["session-id"] == headers["thread-id"] == key
    assert headers["x-client-request-id"] == key
    assert body["client_metadata"]["session_id"] == body["client_metadata"]["thread_id"] == key
    assert "session_id" not in headers
    # One client version, sent identically in the header and the User-Agent.
    assert headers["version"] == "0.171.0"
    assert headers["user-agent"].startswith("codex_cli_rs/0.171.0 (")
    assert "litellm-codex/" in headers["user-agent"]
    assert headers["x-openai-internal-codex-responses-lite"] == "true"
    assert headers["content-encoding"] == "zstd"
    # The caller's function tools went into the Lite `additional_tools` item.
    assert body["input"][0]["type"] == "additional_tools"
    group = body["input"][0]["tools"][0]
    assert group["type"] == "namespace" and group["name"] == "functions"
    assert {t["name"] for t in group["tools"]} == {t["function"]["name"] for t in TOOLS}
    assert body["parallel_tool_calls"] is False
    call = next(i for i in body["input"] if i.get("type") == "function_call")
    assert call["namespace"] == "functions"


def test_classic_model_gets_the_classic_shape(sim: ChatGPTSimulator) -> None:
    messages, kwargs = SCENARIOS["parallel-tools"]
    r = litellm.completion(model="openai-codex/gpt-5.5", messages=messages, **kwargs)
    assert [c.function.name for c in r.choices[0].message.tool_calls] == [
        "get_weather",
        "get_time",
    ]
    recorded = sim.backend.requests[-1]
    body = recorded.body
    assert "x-openai-internal-codex-responses-lite" not in recorded.headers
    assert [t["name"] for t in body["tools"]] == [t["function"]["name"] for t in TOOLS]
    assert body["parallel_tool_calls"] is True
    assert body["reasoning"] == {"effort": "medium"}
    assert all(i.get("type") != "additional_tools" for i in body["input"])


@pytest.mark.parametrize(("model", "effort"), [("gpt-6.2-sol", "ultra"), ("gpt-6-luna", "max")])
def test_every_catalog_reasoning_level_passes(
    sim: ChatGPTSimulator, model: str, effort: str
) -> None:
    r = litellm.completion(
        model=f"openai-codex/{model}",
        messages=[{"role": "user", "content": "deep"}],
        reasoning_effort=effort,
    )
    assert r.choices[0].message.content == "echo: deep"
    assert sim.backend.requests[-1].body["reasoning"]["effort"] == effort


def test_unlisted_reasoning_level_fails_before_the_network(sim: ChatGPTSimulator) -> None:
    with pytest.raises(litellm.BadRequestError) as info:
        litellm.completion(
            model="openai-codex/gpt-5.5",
            messages=[{"role": "user", "content": "x"}],
            reasoning_effort="ultra",
        )
    assert "'xhigh'" in str(info.value) and "'ultra'" in str(info.value)
    assert sim.backend.requests == [] and sim.backend.rejections == []


def test_prompt_cache_key_is_stable_across_turns(sim: ChatGPTSimulator) -> None:
    first = [{"role": "system", "content": "S"}, {"role": "user", "content": "one"}]
    run("completion", first)
    run(
        "completion",
        [*first, {"role": "assistant", "content": "x"}, {"role": "user", "content": "two"}],
    )
    keys = [r.body["prompt_cache_key"] for r in sim.backend.requests]
    assert keys[0] == keys[1]


def test_rate_limit_headers_exposed(sim: ChatGPTSimulator) -> None:
    r = litellm.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    headers = r._hidden_params["additional_headers"]
    assert any("x-codex-primary-used-percent" in k for k in headers)


# -- faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_usage_limit_is_rate_limit_error_with_reset(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(Fault.usage_limit(resets_in=120))
    with pytest.raises((litellm.RateLimitError, MidStreamFallbackError)) as info:
        run(mode, [{"role": "user", "content": "hi"}])
    err = info.value
    original = getattr(err, "original_exception", err)
    assert isinstance(original, litellm.RateLimitError)
    assert "usage_limit_reached" in str(original) or "limit" in str(original).lower()
    assert "retry after" in str(original).lower() or "reset" in str(original).lower()


@pytest.mark.parametrize("mode", MODES)
def test_401_once_then_ok(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(Fault.unauthorized_once())
    answer = run(mode, [{"role": "user", "content": "again"}])
    assert answer.content == "echo: again"
    assert len(sim.backend.requests) >= 1
    assert sim.authority.refresh_count == 1


@pytest.mark.parametrize("mode", MODES)
def test_500_then_ok(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(Fault.server_error(500))
    answer = run(mode, [{"role": "user", "content": "retry me"}])
    assert answer.content == "echo: retry me"
    assert len(sim.calls_to("/responses")) == 2


@pytest.mark.parametrize("mode", ["completion", "acompletion"])
def test_dropped_connection_is_retried_for_whole_answers(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(Fault.drop(after=3))
    answer = run(mode, [{"role": "user", "content": "drop"}])
    assert answer.content == "echo: drop"
    assert len(sim.calls_to("/responses")) == 2


@pytest.mark.parametrize("mode", ["streaming", "astreaming"])
def test_dropped_connection_mid_stream_is_connection_error(
    sim: ChatGPTSimulator, mode: str
) -> None:
    # After the first text delta (the reasoning item comes first: the catalog's default
    # effort is always sent), so the drop cannot be retried away.
    sim.backend.queue(Fault.drop(after=9))
    with pytest.raises((litellm.APIConnectionError, MidStreamFallbackError)) as info:
        run(mode, [{"role": "user", "content": "drop"}])
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.APIConnectionError)
    assert "dropped" in str(original)


@pytest.mark.parametrize("mode", MODES)
def test_stall_ends_with_timeout(
    sim: ChatGPTSimulator, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_STREAM_IDLE_TIMEOUT", "0.5")
    sim.backend.queue(Fault.stall(10, after=2))
    with pytest.raises((litellm.Timeout, MidStreamFallbackError)) as info:
        run(mode, [{"role": "user", "content": "stall"}])
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.Timeout), repr(original)


@pytest.mark.parametrize("mode", MODES)
def test_malformed_event_before_content_is_retried(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(Fault.malformed(after=1))
    assert run(mode, [{"role": "user", "content": "bad"}]).content == "echo: bad"
    assert len(sim.calls_to("/responses")) == 2


@pytest.mark.parametrize("mode", ["streaming", "astreaming"])
def test_malformed_event_after_content_is_connection_error(
    sim: ChatGPTSimulator, mode: str
) -> None:
    sim.backend.queue(Fault.malformed(after=7))
    with pytest.raises((litellm.APIConnectionError, MidStreamFallbackError)) as info:
        run(mode, [{"role": "user", "content": "bad"}])
    original = getattr(info.value, "original_exception", info.value)
    assert "malformed" in str(original)


@pytest.mark.parametrize("mode", MODES)
def test_stream_without_completed_event(
    sim: ChatGPTSimulator, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_MAX_RETRIES", "0")
    sim.backend.queue(Fault.no_completed())
    with pytest.raises((litellm.APIConnectionError, MidStreamFallbackError)) as info:
        run(mode, [{"role": "user", "content": "cut"}])
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.APIConnectionError)


@pytest.mark.parametrize("mode", MODES)
def test_context_window_exceeded(sim: ChatGPTSimulator, mode: str) -> None:
    sim.backend.queue(
        Fault.failed(
            "context_length_exceeded", "Your input exceeds the context window of this model."
        )
    )
    with pytest.raises(litellm.ContextWindowExceededError):
        run(mode, [{"role": "user", "content": "long"}])


def test_unsupported_model_lists_available_models(sim: ChatGPTSimulator) -> None:
    with pytest.raises(litellm.NotFoundError) as info:
        litellm.completion(
            model="openai-codex/gpt-9-imaginary", messages=[{"role": "user", "content": "x"}]
        )
    assert "gpt-6.2-sol" in str(info.value) and "gpt-5.5" in str(info.value)


def test_retired_model_passes_through_and_gets_a_clear_not_found(
    sim: ChatGPTSimulator,
) -> None:
    """gpt-5.1-codex left the catalog: the name still goes upstream (any name passes
    through), and the refusal lists today's models."""
    with pytest.raises(litellm.NotFoundError) as info:
        litellm.completion(
            model="openai-codex/gpt-5.1-codex", messages=[{"role": "user", "content": "x"}]
        )
    rejected = sim.backend.rejections[-1]
    assert rejected.status == 400
    assert "'gpt-5.1-codex' model is not supported" in str(info.value)
    assert "gpt-6.2-sol" in str(info.value)


def test_model_above_the_client_version_is_refused_with_its_upgrade(
    sim: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit OPENAI_CODEX_CLIENT_VERSION below gpt-5.5's minimum: the backend refuses
    it, and the error names the catalog's upgrade target without any /models call."""
    monkeypatch.setenv("OPENAI_CODEX_CLIENT_VERSION", "0.100.0")
    with pytest.raises(litellm.NotFoundError) as info:
        litellm.completion(
            model="openai-codex/gpt-5.5", messages=[{"role": "user", "content": "x"}]
        )
    assert sim.backend.rejections[-1].headers["version"] == "0.100.0"
    assert "'gpt-6-sol'" in str(info.value)
    assert sim.backend.model_requests == []


def test_no_secret_in_debug_logs_or_errors(
    sim: ChatGPTSimulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full request cycle with a refresh, at DEBUG everywhere, never prints a token."""
    import logging

    from litellm_codex.auth import codex_refresh

    caplog.set_level(logging.DEBUG)
    login = codex_refresh.codex_credentials().get()
    sim.backend.queue(Fault.unauthorized_once())
    run("completion", [{"role": "user", "content": "secret check"}])
    run("streaming", [{"role": "user", "content": "secret check"}])
    sim.authority.expire_access()
    sim.authority.revoke(codex_refresh.codex_credentials().get().token)
    sim.backend.queue(Fault.usage_limit(resets_in=5))
    with pytest.raises(litellm.RateLimitError) as info:
        run("completion", [{"role": "user", "content": "x"}])
    fresh = codex_refresh.codex_credentials().get()
    printed = (
        caplog.text
        + capsys.readouterr().out
        + capsys.readouterr().err
        + str(info.value)
        + repr(fresh)
    )
    for secret in (login.token, fresh.token, *login.headers.values()):
        if secret.startswith("Bearer "):
            secret = secret[len("Bearer ") :]
        if len(secret) > 12:
            assert secret not in printed
    assert "litellm-codex" in caplog.text  # the INFO line about the endpoint was logged


def test_abandoned_sync_stream_closes_its_connection(sim: ChatGPTSimulator) -> None:
    sim.backend.queue(Fault.stall(30, after=8))
    stream = litellm.completion(
        model=MODEL, messages=[{"role": "user", "content": "a b c d"}], stream=True
    )
    next(iter(stream))
    pool = litellm_codex.openai_codex._client._transport._pool
    assert [c.info().split(", ")[2] for c in pool.connections] == ["ACTIVE"]
    # What a consumer that stops early amounts to (a `break`, a dropped proxy client):
    # our generator is closed. (Not `del` + gc: LiteLLM's logging threads may still hold
    # the wrapper for a moment, which makes collection timing unreliable in a test.)
    stream.completion_stream.close()
    assert pool.connections == []


def test_abandoned_async_stream_closes_its_connection(sim: ChatGPTSimulator) -> None:
    sim.backend.queue(Fault.stall(30, after=8))

    async def scenario() -> tuple[list[str], list[str]]:
        stream = await litellm.acompletion(
            model=MODEL, messages=[{"role": "user", "content": "a b c"}], stream=True
        )
        await stream.__anext__()
        pool = litellm_codex.openai_codex._async_client()._transport._pool
        before = [c.info() for c in pool.connections]
        await stream.completion_stream.aclose()
        after = [c.info() for c in pool.connections]
        await litellm_codex.openai_codex.aclose()
        return before, after

    before, after = asyncio.run(scenario())
    assert len(before) == 1 and "ACTIVE" in before[0]
    assert not any("ACTIVE" in info for info in after)


def test_catalog_follows_the_backend_in_the_background(sim: ChatGPTSimulator) -> None:
    """The bundled snapshot serves the first call; the answer's `x-models-etag` differs
    from it, so the catalog is revalidated off the request path and a model the backend
    added since the snapshot gets the shape its entry names."""
    import time

    from litellm_codex.codex_catalog import codex_catalog, reset_codex_catalog
    from litellm_codex.testing.codex_backend import default_models, model_info

    # A revalidation an earlier test started (against its own, now stopped, simulator) may
    # still be in flight on a loaded machine; it would make this test's trigger a no-op.
    refreshing = litellm_codex.openai_codex._refreshing
    deadline = time.monotonic() + 30
    while refreshing.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    reset_codex_catalog()
    sim.backend.set_models([*default_models(), model_info("gpt-7-new", lite=True)])
    assert codex_catalog().spec("gpt-7-new") is None
    litellm.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    deadline = time.monotonic() + 30
    while codex_catalog().spec("gpt-7-new") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert codex_catalog().etag == sim.backend.etag
    assert sim.backend.model_requests[-1]["client_version"] == "0.171.0"
    r = litellm.completion(
        model="openai-codex/gpt-7-new", messages=[{"role": "user", "content": "new"}]
    )
    assert r.choices[0].message.content == "echo: new"
    assert sim.backend.requests[-1].headers["x-openai-internal-codex-responses-lite"] == "true"
    # Registered for litellm.get_model_info too.
    assert litellm.get_model_info("openai-codex/gpt-7-new")["max_input_tokens"] == 272_000


def test_zstd_can_be_turned_off(sim: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_ZSTD", "0")
    litellm.completion(model=MODEL, messages=[{"role": "user", "content": "plain"}])
    assert "content-encoding" not in sim.backend.requests[-1].headers


def test_a_backend_refusing_zstd_gets_plain_json(sim: ChatGPTSimulator) -> None:
    provider = litellm_codex.openai_codex
    sim.backend.queue(Fault.status(415, {"detail": "Unsupported content-encoding: zstd"}))
    try:
        r = litellm.completion(model=MODEL, messages=[{"role": "user", "content": "again"}])
        assert r.choices[0].message.content == "echo: again"
        assert sim.backend.requests[0].headers["content-encoding"] == "zstd"
        assert "content-encoding" not in sim.backend.requests[-1].headers
    finally:
        provider._zstd_refused = False


def _message_of(mode: str, messages: list[Any], **kwargs: Any) -> Any:
    """The assistant message as LiteLLM gives it back (whole, or built from the chunks)."""
    if mode == "completion":
        return litellm.completion(model=MODEL, messages=messages, **kwargs).choices[0].message
    chunks = list(litellm.completion(model=MODEL, messages=messages, stream=True, **kwargs))
    built = litellm.stream_chunk_builder(chunks, messages=messages)
    assert built is not None
    return built.choices[0].message


@pytest.mark.parametrize("mode", ["completion", "streaming"])
def test_item_ids_round_trip_and_stay_the_same_on_every_turn(
    sim: ChatGPTSimulator, mode: str
) -> None:
    """The server's ids (reasoning item, function call item) come back on the next turn as
    the server gave them; the items we make ids for keep them from turn to turn; a tool
    follow-up has the turn's turn_id (reference-clients-2026-11.md §1.3)."""
    sim.backend.queue(
        Fault.events(
            [
                *created_events("resp_ids", "gpt-6.2-sol"),
                *reasoning_events(
                    "Thinking about it.", item_id="rs_server1", encrypted_content="gAAAA-enc"
                ),
                *tool_call_events(
                    "get_weather",
                    {"city": "Paris"},
                    call_id="call_server1",
                    item_id="fc_server1",
                    output_index=1,
                ),
                completed_event("resp_ids", "gpt-6.2-sol"),
            ]
        )
    )
    first = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "weather?"}]
    message = _message_of(mode, first, tools=TOOLS[:1])
    assert message.tool_calls[0].id == "call_server1"
    history = [
        *first,
        message,
        {"role": "tool", "tool_call_id": "call_server1", "content": "sunny"},
    ]
    _message_of(mode, history, tools=TOOLS[:1])
    sent_first, sent_second = (r.body for r in sim.backend.requests[-2:])
    items = sent_second["input"]
    reasoning = next(i for i in items if i["type"] == "reasoning")
    assert reasoning["id"] == "rs_server1"
    assert reasoning["encrypted_content"] == "gAAAA-enc"
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Thinking about it."}]
    call = next(i for i in items if i["type"] == "function_call")
    assert (call["id"], call["call_id"], call["status"]) == (
        "fc_server1",
        "call_server1",
        "completed",
    )
    assert next(i for i in items if i["type"] == "function_call_output")["id"].startswith("fco_")
    # The first request's items are the second's prefix, ids and all.
    assert items[: len(sent_first["input"])] == sent_first["input"]
    assert sent_second["client_metadata"] == sent_first["client_metadata"]
