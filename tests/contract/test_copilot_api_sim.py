"""The Copilot API simulator, driven with plain httpx on 127.0.0.1.

These tests pin what the simulator enforces (headers, routing, vision, parameters), that
each vendor's stream and whole-answer shape goes through the Copilot translator to the same
answer, and that scripted faults reach the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from litellm_codex.errors import StreamError, upstream_error
from litellm_codex.sse import iter_sse
from litellm_codex.testing import SimServer
from litellm_codex.testing._tokens import GitHubAuthority
from litellm_codex.testing.copilot_api import (
    DEMO_MODELS,
    CopilotApiSimulator,
    Fault,
    copilot_model,
    default_models,
    install_copilot_api,
    thinking_signature,
    valid_headers,
)
from litellm_codex.translate.copilot_chat import ChatModelTraits, build_chat_request
from litellm_codex.translate.copilot_chat_body import parse_chat_response
from litellm_codex.translate.copilot_chat_stream import CopilotChatStreamTranslator
from litellm_codex.translate.copilot_headers import request_headers
from litellm_codex.translate.deltas import ChatAccumulator, ChatResult
from litellm_codex.translate.responses_stream import decode_event

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


@pytest.fixture
def sim() -> Iterator[CopilotApiSimulator]:
    with CopilotApiSimulator() as server:
        yield server


@pytest.fixture
def token(sim: CopilotApiSimulator) -> str:
    return sim.copilot_token()


@pytest.fixture
def client(sim: CopilotApiSimulator, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, headers=valid_headers(token), timeout=5) as c:
        yield c


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def chat(client: httpx.Client, model: str, messages: list[Any], **params: Any) -> httpx.Response:
    return client.post("/chat/completions", json={"model": model, "messages": messages, **params})


def stream_result(response: httpx.Response) -> tuple[list[dict[str, Any]], ChatResult]:
    """The raw chunks and the translated answer of a streamed chat response."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    translator = CopilotChatStreamTranslator()
    raw: list[dict[str, Any]] = []
    acc = ChatAccumulator()
    for event in iter_sse(response.iter_bytes()):
        payload = decode_event(event)  # the provider's one event path; skips [DONE]
        if payload is not None:
            raw.append(json.loads(event.data))
            acc.extend(translator.feed(payload))
    acc.extend(translator.finish())
    return raw, acc.result()


def sends(client: httpx.Client, model: str, messages: list[Any], **params: Any) -> httpx.Response:
    """Send as our provider will: body and headers from the Copilot translator, the model's
    traits from the simulator's ``/models`` entry."""
    stream = bool(params.pop("stream", False))
    entries = {m["id"]: m for m in client.get("/models").json()["data"]}
    traits = ChatModelTraits.from_entry(entries.get(model))
    built = build_chat_request(model, messages, params, stream=stream, traits=traits)
    return client.post("/chat/completions", json=built.body, headers=request_headers(messages))


# --------------------------------------------------------------------------------------
# /models


def test_models_list_shape(client: httpx.Client) -> None:
    response = client.get("/models")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    models = {m["id"]: m for m in body["data"]}
    assert models["gpt-4o"]["supported_endpoints"] == ["/chat/completions"]
    assert models["gpt-5.1-codex"]["supported_endpoints"] == ["/responses"]
    assert set(models["gpt-5-mini"]["supported_endpoints"]) == {"/chat/completions", "/responses"}
    assert models["claude-sonnet-4.5"]["vendor"] == "Anthropic"
    assert models["claude-opus-4.5"]["policy"]["state"] == "unconfigured"
    assert models["text-embedding-3-small"]["capabilities"]["type"] == "embeddings"
    caps = models["gpt-4o"]["capabilities"]
    assert caps["type"] == "chat"
    assert set(caps["limits"]) >= {
        "max_context_window_tokens",
        "max_output_tokens",
        "max_prompt_tokens",
    }
    assert caps["supports"]["tool_calls"] is True
    assert caps["supports"]["vision"] is True
    assert models["gpt-5-mini"]["capabilities"]["supports"]["reasoning_effort"] == [
        "low",
        "medium",
        "high",
    ]
    assert "x-quota-snapshot-premium_interactions" in response.headers


def test_copilot_model_builder_options() -> None:
    entry = copilot_model("m", vision=False, policy=None, endpoints=None)
    assert "policy" not in entry
    assert "supported_endpoints" not in entry
    assert "vision" not in entry["capabilities"]["supports"]
    assert default_models() == default_models()
    assert default_models() is not default_models()


# --------------------------------------------------------------------------------------
# Header enforcement


@pytest.mark.parametrize(
    "auth",
    [None, "Bearer nope", "token {token}", "Bearer {github}"],
    ids=["missing", "unknown", "wrong-scheme", "github-token"],
)
def test_bad_authorization_is_401(sim: CopilotApiSimulator, token: str, auth: str | None) -> None:
    headers = valid_headers(token)
    if auth is None:
        del headers["Authorization"]
    else:
        github = sim.authority.issue_github_token()
        headers["Authorization"] = auth.format(token=token, github=github)
    response = httpx.post(
        sim.url + "/chat/completions",
        headers=headers,
        json={"model": "gpt-4o", "messages": [user("hi")]},
    )
    assert response.status_code == 401
    assert response.text == "unauthorized: token expired"


def test_expired_copilot_token_is_401(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    assert chat(client, "gpt-4o", [user("hi")]).status_code == 200
    sim.authority.expire_copilot()
    response = chat(client, "gpt-4o", [user("hi")])
    assert response.status_code == 401
    code, _ = upstream_error(401, response.headers, response.content).code, None
    assert code is None  # plain text body: the status alone says what happened


@pytest.mark.parametrize(
    ("missing", "text"),
    [
        ("Editor-Version", "bad request: missing Editor-Version header for IDE auth"),
        ("Copilot-Integration-Id", "bad request: missing Copilot-Integration-Id header"),
    ],
)
def test_missing_editor_headers_is_400(
    sim: CopilotApiSimulator, token: str, missing: str, text: str
) -> None:
    headers = valid_headers(token)
    del headers[missing]
    for path, method in (("/chat/completions", "POST"), ("/models", "GET")):
        response = httpx.request(
            method,
            sim.url + path,
            headers=headers,
            json={"model": "gpt-4o", "messages": [user("hi")]},
        )
        assert response.status_code == 400
        assert response.text == text


def test_integration_id_can_be_optional() -> None:
    with CopilotApiSimulator(require_integration_id=False) as sim:
        headers = valid_headers(sim.copilot_token())
        del headers["Copilot-Integration-Id"]
        assert httpx.get(sim.url + "/models", headers=headers).status_code == 200


def test_request_headers_are_recorded_and_echoed(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    messages = [user("hi")]
    headers = {**request_headers(messages), "X-Request-Id": "req-123"}
    response = client.post(
        "/chat/completions", json={"model": "gpt-4o", "messages": messages}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-123"
    seen = sim.api.last().headers
    assert seen["x-initiator"] == "user"
    assert seen["x-request-id"] == "req-123"
    assert seen["x-interaction-id"] == headers["X-Interaction-Id"]
    assert seen["openai-intent"] == "conversation-agent"
    assert "copilot-vision-request" not in seen


# --------------------------------------------------------------------------------------
# Routing and request checks


@pytest.mark.parametrize(
    ("path", "model", "status_code", "code"),
    [
        ("/chat/completions", "gpt-5.1-codex", 400, "unsupported_api_for_model"),
        ("/responses", "gpt-4o", 400, "unsupported_api_for_model"),
        ("/chat/completions", "claude-opus-4.5", 400, "model_not_supported"),
        ("/chat/completions", "no-such-model", 400, "model_not_supported"),
        ("/chat/completions", "text-embedding-3-small", 400, "model_not_supported"),
        ("/embeddings", "gpt-4o", 400, "model_not_supported"),
    ],
)
def test_routing_errors(
    client: httpx.Client, path: str, model: str, status_code: int, code: str
) -> None:
    body = {"model": model, "messages": [user("hi")], "input": "hi"}
    response = client.post(path, json=body)
    assert response.status_code == status_code
    assert response.json()["error"]["code"] == code
    err = upstream_error(response.status_code, response.headers, response.content)
    assert err.code == code


def test_unsupported_api_message_names_the_endpoint(client: httpx.Client) -> None:
    response = chat(client, "gpt-5.1-codex", [user("hi")])
    assert response.json()["error"]["message"] == (
        'model "gpt-5.1-codex" is not accessible via the /chat/completions endpoint'
    )


def test_policy_enablement(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    assert chat(client, "claude-opus-4.5", [user("hi")]).status_code == 400
    sim.api.set_policy("claude-opus-4.5", "enabled")
    assert chat(client, "claude-opus-4.5", [user("hi")]).status_code == 200
    with pytest.raises(KeyError):
        sim.api.set_policy("nope", "enabled")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_request_body"),
        (b"[1]", "invalid_request_body"),
        (json.dumps({"model": "gpt-4o", "messages": []}).encode(), "invalid_request_body"),
        (json.dumps({"model": "gpt-4o"}).encode(), "invalid_request_body"),
    ],
)
def test_bad_bodies(client: httpx.Client, body: bytes, code: str) -> None:
    response = client.post(
        "/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_vision_requires_header(client: httpx.Client) -> None:
    messages = [
        user("what is this?"),
        {"role": "user", "content": [{"type": "text", "text": "look"}, IMAGE]},
    ]
    bare = chat(client, "gpt-4o", messages)
    assert bare.status_code == 400
    assert bare.json()["error"]["message"] == (
        "missing required Copilot-Vision-Request header for vision requests"
    )
    ok = sends(client, "gpt-4o", messages)
    assert ok.status_code == 200
    assert parse_chat_response(ok.json()).content == "I see 1 image(s). echo: look"


def test_max_tokens_rejected_on_reasoning_models_unless_translated(client: httpx.Client) -> None:
    raw = chat(client, "gpt-5-mini", [user("one two three four")], max_tokens=2)
    assert raw.status_code == 400
    assert "max_completion_tokens" in raw.json()["error"]["message"]
    ok = sends(client, "gpt-5-mini", [user("one two three four")], max_tokens=2)
    assert ok.status_code == 200
    result = parse_chat_response(ok.json())
    assert (result.content, result.finish_reason) == ("echo: one", "length")


def test_long_tool_call_ids_rejected_unless_translated(client: httpx.Client) -> None:
    long_id = "toolu_" + "z" * 70
    messages = [
        user("call get_time"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": long_id,
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": long_id, "content": "noon"},
    ]
    raw = chat(client, "claude-sonnet-4.5", messages, tools=[TIME])
    assert raw.status_code == 400
    assert "64" in raw.json()["error"]["message"]
    ok = sends(client, "claude-sonnet-4.5", messages, tools=[TIME])
    assert ok.status_code == 200
    assert parse_chat_response(ok.json()).content == "tool result: noon"


# --------------------------------------------------------------------------------------
# Answers: every vendor shape through the translator

VENDORS = ["gpt-4o", "claude-sonnet-4.5", "gemini-2.5-pro"]


@pytest.mark.parametrize("model", VENDORS)
def test_text_answer_stream_and_whole_agree(client: httpx.Client, model: str) -> None:
    _, streamed = stream_result(sends(client, model, [user("hello there")], stream=True))
    whole = parse_chat_response(sends(client, model, [user("hello there")]).json())
    assert streamed.content == whole.content == "echo: hello there"
    assert streamed.finish_reason == whole.finish_reason == "stop"
    assert streamed.usage == whole.usage
    assert streamed.usage is not None
    assert streamed.usage.total_tokens > 0
    assert streamed.model == whole.model


@pytest.mark.parametrize("model", VENDORS)
def test_two_tool_calls_stream_and_whole_agree(client: httpx.Client, model: str) -> None:
    messages = [user('call get_weather {"city": "Paris"} and get_time')]
    _, streamed = stream_result(sends(client, model, messages, tools=[WEATHER, TIME], stream=True))
    whole = parse_chat_response(sends(client, model, messages, tools=[WEATHER, TIME]).json())
    for result in (streamed, whole):
        assert [(c.name, json.loads(c.arguments)) for c in result.tool_calls] == [
            ("get_weather", {"city": "Paris"}),
            ("get_time", {}),
        ]
        assert result.finish_reason == "tool_calls"
        assert len({c.id for c in result.tool_calls}) == 2
    assert streamed.content == whole.content


def test_claude_stream_puts_every_call_on_index_zero(client: httpx.Client) -> None:
    raw, result = stream_result(
        sends(
            client,
            "claude-sonnet-4.5",
            [user("call get_weather and get_time")],
            tools=[WEATHER, TIME],
            stream=True,
        )
    )
    heads = [
        tc
        for chunk in raw
        for choice in chunk["choices"]
        for tc in choice["delta"].get("tool_calls") or []
        if "id" in tc
    ]
    assert [tc["index"] for tc in heads] == [0, 0]
    assert all(tc["id"].startswith("tooluse_") for tc in heads)
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in raw[1:-1])
    assert raw[0]["choices"] == []
    assert "prompt_filter_results" in raw[0]
    # ...and the translator still makes two calls of them, with the upstream ids.
    assert [c.id for c in result.tool_calls] == [tc["id"] for tc in heads]
    assert result.content == "I'll use the tools."


def test_claude_whole_answer_splits_choices(client: httpx.Client) -> None:
    body = sends(client, "claude-sonnet-4.5", [user("call get_time")], tools=[TIME]).json()
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert body["choices"][0]["message"]["content"] == "I'll use the tools."
    assert "tool_calls" not in body["choices"][0]["message"]
    assert body["choices"][1]["message"]["tool_calls"][0]["function"]["name"] == "get_time"
    result = parse_chat_response(body)
    assert result.content == "I'll use the tools."
    assert [c.name for c in result.tool_calls] == ["get_time"]


def test_anthropic_native_body(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.api.anthropic_native.add("claude-sonnet-4.5")
    body = sends(
        client, "claude-sonnet-4.5", [user("call get_time")], tools=[TIME], reasoning_effort="low"
    ).json()
    assert "choices" not in body
    assert body["stop_reason"] == "tool_use"
    result = parse_chat_response(body)
    assert result.content == "I'll use the tools."
    assert result.reasoning_content == "Thinking about: call get_time"
    assert [c.name for c in result.tool_calls] == ["get_time"]
    assert result.finish_reason == "tool_calls"
    text = parse_chat_response(sends(client, "claude-sonnet-4.5", [user("hi")]).json())
    assert (text.content, text.finish_reason) == ("echo: hi", "stop")


def test_gemini_streams_reasoning_text(client: httpx.Client) -> None:
    raw, result = stream_result(sends(client, "gemini-2.5-pro", [user("why?")], stream=True))
    assert any("reasoning_text" in c["choices"][0]["delta"] for c in raw)
    assert result.reasoning_content == "Thinking about: why?"
    assert result.content == "echo: why?"
    assert result.usage is not None
    assert result.usage.reasoning_tokens


def test_claude_reasoning_only_when_asked(client: httpx.Client) -> None:
    _, plain = stream_result(sends(client, "claude-sonnet-4.5", [user("hi")], stream=True))
    assert plain.reasoning_content is None
    _, thinking = stream_result(
        sends(client, "claude-sonnet-4.5", [user("hi")], reasoning_effort="high", stream=True)
    )
    assert thinking.reasoning_content == "Thinking about: hi"


def test_gpt_usage_trailer_only_with_include_usage(client: httpx.Client) -> None:
    raw, result = stream_result(chat(client, "gpt-4o", [user("hi")], stream=True))
    assert raw[-1]["choices"][0]["finish_reason"] == "stop"
    assert "usage" in raw[-1]
    raw, trailer = stream_result(
        chat(client, "gpt-4o", [user("hi")], stream=True, stream_options={"include_usage": True})
    )
    assert raw[-1]["choices"] == []
    assert "usage" in raw[-1]
    assert raw[-2]["choices"][0]["finish_reason"] == "stop"
    assert trailer.usage == result.usage
    assert trailer.usage is not None
    assert trailer.usage.cached_tokens == 0


def test_cached_tokens_reported(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.api.cached_tokens = 3
    result = parse_chat_response(chat(client, "gpt-4o", [user("a b c d e")]).json())
    assert result.usage is not None
    assert result.usage.cached_tokens == 3


def test_tool_loop_and_initiator(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "be brief"},
        user("call get_weather"),
    ]
    first = parse_chat_response(sends(client, "gpt-4o", messages, tools=[WEATHER]).json())
    call = first.tool_calls[0]
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call.to_openai()]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = parse_chat_response(sends(client, "gpt-4o", messages, tools=[WEATHER]).json())
    assert second.content == "tool result: sunny"
    assert [c.headers["x-initiator"] for c in sim.api.calls("/chat/completions")] == [
        "user",
        "agent",
    ]
    assert sim.api.calls("/chat/completions")[0].json()["messages"][0]["role"] == "system"


def test_premium_quota_counts_user_requests_only(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    def remaining(response: httpx.Response) -> float:
        value = parse_qs(response.headers["x-quota-snapshot-premium_interactions"])
        return float(value["rem"][0])

    before = remaining(client.get("/models"))
    assert before == 100
    sends(client, "gpt-4o", [user("free model")])
    assert remaining(client.get("/models")) == 100
    sends(client, "claude-sonnet-4.5", [user("premium")])
    after_user = remaining(client.get("/models"))
    assert after_user < 100
    agent_turn = [user("x"), {"role": "assistant", "content": "y"}]
    sends(client, "claude-sonnet-4.5", agent_turn)
    assert remaining(client.get("/models")) == after_user
    assert sim.api.premium_used == 1
    chat_quota = parse_qs(client.get("/models").headers["x-quota-snapshot-chat"])
    assert chat_quota["ent"] == ["-1"]


@pytest.mark.parametrize(
    ("params", "content", "finish"),
    [
        ({"stop": ["three"]}, "echo: one two ", "stop"),
        ({"stop": "two"}, "echo: one ", "stop"),
        ({"max_tokens": 3}, "echo: one two", "length"),
        ({"max_tokens": 50}, "echo: one two three", "stop"),
        ({"response_format": {"type": "json_object"}}, '{"answer": "echo: one two three"}', "stop"),
    ],
)
def test_stop_length_and_json(
    client: httpx.Client, params: dict[str, Any], content: str, finish: str
) -> None:
    result = parse_chat_response(chat(client, "gpt-4o", [user("one two three")], **params).json())
    assert (result.content, result.finish_reason) == (content, finish)


def test_json_schema_answer(client: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["answer", "n"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    result = parse_chat_response(chat(client, "gpt-4o", [user("hi")], response_format=fmt).json())
    assert json.loads(result.content or "") == {"answer": "echo: hi", "n": 1}


@pytest.mark.parametrize(
    ("choice", "parallel", "names"),
    [
        ("none", None, []),
        ("required", None, ["get_weather"]),
        ({"type": "function", "function": {"name": "get_time"}}, None, ["get_time"]),
        ("auto", False, ["get_weather"]),
    ],
)
def test_tool_choice(
    client: httpx.Client, choice: Any, parallel: bool | None, names: list[str]
) -> None:
    text = "call get_weather and get_time" if parallel is False else "no tools please"
    params: dict[str, Any] = {"tools": [WEATHER, TIME], "tool_choice": choice}
    if parallel is not None:
        params["parallel_tool_calls"] = parallel
    result = parse_chat_response(chat(client, "gpt-4o", [user(text)], **params).json())
    assert [c.name for c in result.tool_calls] == names


# --------------------------------------------------------------------------------------
# /responses and /embeddings


def test_responses_stream_scrambles_item_ids(client: httpx.Client) -> None:
    response = client.post(
        "/responses",
        json={
            "model": "gpt-5.1-codex",
            "input": [{"role": "user", "content": "hi"}],
            "stream": True,
        },
    )
    assert response.status_code == 200
    events = [json.loads(e.data) for e in iter_sse(response.iter_bytes())]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    ids = [e.get("item_id") or e.get("item", {}).get("id") for e in events]
    item_ids = [i for i in ids if i]
    assert len(item_ids) == len(set(item_ids)) > 2  # a new id on every event (§3.7)
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "echo: hi"


def test_responses_scrambling_can_be_turned_off(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    sim.api.scramble_item_ids = False
    response = client.post(
        "/responses", json={"model": "gpt-5.1-codex", "input": "x", "stream": True}
    )
    events = [json.loads(e.data) for e in iter_sse(response.iter_bytes())]
    ids = {e["item_id"] for e in events if "item_id" in e}
    assert len(ids) == 1


def test_responses_whole_and_tools(client: httpx.Client) -> None:
    tool = {"type": "function", "name": "get_time", "parameters": {}}
    response = client.post(
        "/responses", json={"model": "gpt-5.1-codex", "input": "call get_time", "tools": [tool]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert [o["type"] for o in body["output"]] == ["function_call"]
    assert body["output"][0]["name"] == "get_time"


@pytest.mark.parametrize(
    ("body", "status_code"),
    [
        ({"model": "gpt-5.1-codex", "input": 3}, 400),
        (
            {
                "model": "gpt-5.1-codex",
                "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}],
            },
            400,
        ),
    ],
)
def test_responses_rejections(client: httpx.Client, body: dict[str, Any], status_code: int) -> None:
    assert client.post("/responses", json=body).status_code == status_code


def test_embeddings(client: httpx.Client) -> None:
    response = client.post(
        "/embeddings",
        json={"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 4},
    )
    assert response.status_code == 200
    body = response.json()
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert all(len(d["embedding"]) == 4 for d in body["data"])
    again = client.post(
        "/embeddings", json={"model": "text-embedding-3-small", "input": "a", "dimensions": 4}
    ).json()
    assert again["data"][0]["embedding"] == body["data"][0]["embedding"]
    assert body["usage"]["prompt_tokens"] == 2
    default = client.post("/embeddings", json={"model": "text-embedding-3-small", "input": "a"})
    assert len(default.json()["data"][0]["embedding"]) == 8
    bad = client.post("/embeddings", json={"model": "text-embedding-3-small", "input": []})
    assert bad.status_code == 400


# --------------------------------------------------------------------------------------
# Faults


@pytest.mark.parametrize(
    ("fault", "status_code", "code", "retry_after"),
    [
        (Fault.quota_exceeded(retry_after=60), 402, "quota_exceeded", 60.0),
        (Fault.rate_limited(retry_after=7), 429, "user_model_rate_limited", 7.0),
        (Fault.forbidden(), 403, "forbidden", None),
        (Fault.server_error(503), 503, "server_error", None),
        (Fault.status(418, b"teapot"), 418, None, None),
    ],
)
def test_status_faults(
    sim: CopilotApiSimulator,
    client: httpx.Client,
    fault: Any,
    status_code: int,
    code: str | None,
    retry_after: float | None,
) -> None:
    sim.queue(fault)
    response = chat(client, "gpt-4o", [user("hi")])
    assert response.status_code == status_code
    err = upstream_error(response.status_code, dict(response.headers), response.content)
    assert err.code == code
    assert err.retry_after == retry_after
    assert chat(client, "gpt-4o", [user("hi")]).status_code == 200  # once only
    assert sim.api.pending() == 0


def test_rate_limit_headers(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.rate_limited(retry_after=5))
    response = chat(client, "gpt-4o", [user("hi")])
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-ratelimit-exceeded"] == "user_model_rate_limited"


def test_token_expired_once(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.token_expired())
    first = chat(client, "gpt-4o", [user("hi")])
    assert (first.status_code, first.text) == (401, "unauthorized: token expired")
    assert chat(client, "gpt-4o", [user("hi")]).status_code == 200


def test_faults_are_per_endpoint_and_status_faults_come_first(
    sim: CopilotApiSimulator, token: str, client: httpx.Client
) -> None:
    sim.queue(Fault.server_error(), endpoint="/responses")
    assert chat(client, "gpt-4o", [user("hi")]).status_code == 200
    assert sim.api.pending() == 1
    sim.api.queue(Fault.status(500), endpoint=None)
    # Status faults answer before authentication, like a proxy in front of the API.
    unauth = httpx.post(sim.url + "/embeddings", json={})
    assert unauth.status_code == 500
    assert (
        client.post("/responses", json={"model": "gpt-5.1-codex", "input": "x"}).status_code == 500
    )
    assert sim.api.pending() == 0


def test_stream_faults_wait_for_a_good_answer(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    sim.queue(Fault.drop(after=2))
    assert chat(client, "gpt-5.1-codex", [user("hi")]).status_code == 400  # not used up
    assert sim.api.pending() == 1
    with pytest.raises(httpx.RemoteProtocolError):
        stream_result(chat(client, "gpt-4o", [user("hi")], stream=True))
    assert sim.api.pending() == 0


def test_drop_mid_stream(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.drop(after=3))
    with client.stream(
        "POST",
        "/chat/completions",
        json={"model": "gpt-4o", "messages": [user("a b c d")], "stream": True},
    ) as response:
        assert response.status_code == 200
        translator = CopilotChatStreamTranslator()
        got: list[Any] = []

        def consume() -> None:
            for event in iter_sse(response.iter_bytes()):
                payload = decode_event(event)
                if payload is not None:
                    got.extend(translator.feed(payload))

        with pytest.raises(httpx.RemoteProtocolError):
            consume()
        assert got  # part of the answer arrived before the drop
        with pytest.raises(StreamError):
            translator.finish()


def test_drop_whole_body(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.drop())
    with pytest.raises(httpx.RemoteProtocolError):
        chat(client, "gpt-4o", [user("hi")])


def test_drop_models(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.drop(), endpoint="/models")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/models")
    assert client.get("/models").status_code == 200


def test_stall_times_out(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.stall(5, after=1))
    with pytest.raises(httpx.ReadTimeout):
        stream_result(
            client.post(
                "/chat/completions",
                json={"model": "gpt-4o", "messages": [user("hi")], "stream": True},
                timeout=httpx.Timeout(5, read=0.3),
            )
        )


def test_short_stall_then_whole_body(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.stall(0.05))
    response = chat(client, "gpt-4o", [user("hi")])
    assert parse_chat_response(response.json()).content == "echo: hi"


def test_malformed_frame(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    sim.queue(Fault.malformed(after=2))
    with pytest.raises(StreamError, match="malformed"):
        stream_result(chat(client, "gpt-4o", [user("hi")], stream=True))
    sim.queue(Fault.malformed())
    with pytest.raises(json.JSONDecodeError):
        chat(client, "gpt-4o", [user("hi")]).json()


# --------------------------------------------------------------------------------------
# Installation on a shared server


def test_install_below_a_base_path() -> None:
    authority = GitHubAuthority()
    with SimServer() as server:
        api = install_copilot_api(server, authority, base_path="/copilot/")
        assert api.url == server.url + "/copilot"
        _, body = authority.exchange(authority.issue_github_token())
        headers = valid_headers(body["token"])
        assert httpx.get(server.url + "/copilot/models", headers=headers).status_code == 200
        assert httpx.get(server.url + "/models", headers=headers).status_code == 404
        httpx.post(server.url + "/other", json={})
        assert [c.path for c in api.calls()] == ["/copilot/models"]
        with pytest.raises(LookupError):
            api.last()


def test_simulator_advertises_itself_in_the_token_exchange(sim: CopilotApiSimulator) -> None:
    _, body = sim.authority.exchange(sim.authority.issue_github_token())
    assert body["endpoints"]["api"] == sim.url


def test_responses_stream_through_the_shared_responses_translator(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    # The provider sends codex models through the Codex Responses translation; it must
    # cope with Copilot's per-event item ids (§3.7).
    from litellm_codex.translate.responses_stream import ResponsesStreamTranslator

    tool = {"type": "function", "name": "get_time", "parameters": {}}
    response = client.post(
        "/responses",
        json={
            "model": "gpt-5.1-codex",
            "input": "call get_time and get_time",
            "tools": [tool],
            "reasoning": {"effort": "low", "summary": "auto"},
            "stream": True,
        },
    )
    translator = ResponsesStreamTranslator()
    acc = ChatAccumulator()
    for event in iter_sse(response.iter_bytes()):
        acc.extend(translator.feed(json.loads(event.data)))
    acc.extend(translator.finish())
    result = acc.result()
    assert [c.name for c in result.tool_calls] == ["get_time", "get_time"]
    assert result.reasoning_content == "Thinking about: call get_time and get_time"
    assert result.finish_reason == "tool_calls"
    assert sim.api.requests == sim.api.calls("/responses")


# --------------------------------------------------------------------------------------
# /v1/messages, client versions, direct tokens


def _messages_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4.5",
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": "call get_weather"}],
        "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
        **extra,
    }


def test_messages_stream_carries_signed_thinking(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    body = _messages_body(stream=True, thinking={"type": "enabled", "budget_tokens": 2000})
    with client.stream("POST", "/v1/messages", json=body) as response:
        assert response.status_code == 200
        events = [json.loads(e.data) for e in iter_sse(response.iter_bytes())]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text", "tool_use"]
    thinking = "".join(
        e["delta"].get("thinking", "") for e in events if e["type"] == "content_block_delta"
    )
    (signature,) = [
        e["delta"]["signature"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "signature_delta"
    ]
    assert signature == thinking_signature(thinking)
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_messages_refuses_a_forged_or_missing_thinking_block(client: httpx.Client) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
    for assistant, needle in (
        ([{"type": "thinking", "thinking": "t", "signature": "forged"}, call], "signature"),
        ([call], "must start with a thinking block"),
    ):
        body = _messages_body(thinking={"type": "enabled", "budget_tokens": 2000})
        body["messages"] += [
            {"role": "assistant", "content": assistant},
            {"role": "user", "content": [result]},
        ]
        response = client.post("/v1/messages", json=body)
        assert response.status_code == 400
        assert needle in response.json()["error"]["message"]
    assert client.post("/v1/messages", json={"model": "claude-sonnet-4.5"}).status_code == 400


def test_messages_refuses_thinking_the_model_does_not_have(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    """From the catalog: adaptive thinking and its effort only where the entry lists them."""
    adaptive = {"thinking": {"type": "adaptive"}, "output_config": {"effort": "medium"}}
    refused = client.post("/v1/messages", json=_messages_body(**adaptive))  # claude-sonnet-4.5
    assert refused.status_code == 400
    assert "adaptive" in refused.json()["error"]["message"]
    ok = client.post("/v1/messages", json=_messages_body(model="claude-sonnet-4.6", **adaptive))
    assert ok.status_code == 200, ok.text
    too_much = {**adaptive, "output_config": {"effort": "xhigh"}}
    refused = client.post(
        "/v1/messages", json=_messages_body(model="claude-sonnet-4.6", **too_much)
    )
    assert refused.status_code == 400
    assert "low, medium, high" in refused.json()["error"]["message"]
    # A catalog entry changed by the test changes the answer: no model-name rules.
    entry = sim.api.model("claude-sonnet-4.5")
    assert entry is not None
    entry["capabilities"]["supports"].update(
        adaptive_thinking=True, reasoning_effort=["low", "medium", "high"]
    )
    assert client.post("/v1/messages", json=_messages_body(**adaptive)).status_code == 200


def test_max_tokens_rule_follows_the_catalog(
    sim: CopilotApiSimulator, client: httpx.Client
) -> None:
    entry = sim.api.model("gpt-5-mini")
    assert entry is not None
    # Our request follows the same entry: max_completion_tokens while it lists efforts.
    assert "max_completion_tokens" in sends_body(client, "gpt-5-mini", max_tokens=2)
    del entry["capabilities"]["supports"]["reasoning_effort"]
    assert chat(client, "gpt-5-mini", [user("hi")], max_tokens=2).status_code == 200
    assert "max_tokens" in sends_body(client, "gpt-5-mini", max_tokens=2)
    # An o-series-like name with a plain entry: the name decides nothing.
    sim.api.models.append(copilot_model("o9-test", vendor="OpenAI"))
    assert "max_tokens" in sends_body(client, "o9-test", max_tokens=2)


def sends_body(client: httpx.Client, model: str, **params: Any) -> dict[str, Any]:
    """The body our translator builds for ``model`` from the simulator's catalog."""
    entries = {m["id"]: m for m in client.get("/models").json()["data"]}
    traits = ChatModelTraits.from_entry(entries.get(model))
    return build_chat_request(model, [user("hi")], params, stream=False, traits=traits).body


def test_gemini_validated_tool_choice_is_served(client: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    response = chat(
        client,
        "gemini-3-pro-preview",
        [user("call get_time")],
        tools=[tool],
        tool_choice="validated",
    )
    assert response.status_code == 200, response.text
    assert parse_chat_response(response.json()).tool_calls[0].name == "get_time"


def test_models_list_v1_messages_for_claude(client: httpx.Client) -> None:
    models = {m["id"]: m for m in client.get("/models").json()["data"]}
    assert "/v1/messages" in models["claude-sonnet-4.5"]["supported_endpoints"]
    for name in DEMO_MODELS.values():
        assert models[name]["policy"]["state"] == "enabled"


def test_retired_api_version_and_old_editor(sim: CopilotApiSimulator, client: httpx.Client) -> None:
    old = client.get("/models", headers={"X-GitHub-Api-Version": "2025-04-01"})
    assert old.status_code == 466
    body = {"model": "gemini-3-pro-preview", "messages": [user("hi")]}
    refused = client.post(
        "/chat/completions", json=body, headers={"Editor-Version": "vscode/1.104.3"}
    )
    assert refused.status_code == 400
    assert "not supported in this vscode version" in refused.json()["error"]["message"]
    assert client.post("/chat/completions", json=body).status_code == 200


def test_direct_github_token_is_a_bearer(sim: CopilotApiSimulator) -> None:
    direct = sim.authority.issue_github_token(direct=True)
    exchangeable = sim.authority.issue_github_token()
    assert sim.authority.exchange(direct)[0] == 404
    status_code, info = sim.authority.copilot_user(direct)
    assert status_code == 200 and info["endpoints"]["api"] == sim.url
    assert httpx.get(sim.url + "/models", headers=valid_headers(direct)).status_code == 200
    # An exchangeable GitHub token is not a Copilot bearer.
    assert httpx.get(sim.url + "/models", headers=valid_headers(exchangeable)).status_code == 401
