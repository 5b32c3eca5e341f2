"""Contract tests of the Codex backend simulator, driven with plain httpx and our SSE decoder.

The simulator is what every other contract test trusts, so each gate, reply and fault is
checked against the documented behaviour (protocols/codex-chatgpt-backend.md §2-5).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from litellm_codex.sse import iter_sse
from litellm_codex.testing import SimServer
from litellm_codex.testing._tokens import Account, OpenAIAuthority
from litellm_codex.testing.codex_backend import (
    CodexBackend,
    CodexBackendSimulator,
    Fault,
    ReplyPlan,
    default_models,
    error_event,
    install_codex_backend,
    model_info,
    number_events,
    plan_reply,
    response_stream,
    sample_from_schema,
    text_events,
    tool_call_events,
    validate_request,
)

pytestmark = pytest.mark.timeout(20)

#: The classic (non-Lite) model of today's catalog; the Lite shape has its own tests below.
MODEL = "gpt-5.5"
LITE_MODEL = "gpt-6.2-sol"


_clients: list[httpx.Client] = []


@pytest.fixture(scope="module")
def server() -> Iterator[CodexBackendSimulator]:
    # One pooled client for the module: building a client per request costs more than the
    # request itself.
    with CodexBackendSimulator() as sim, httpx.Client(timeout=5) as client:
        _clients.append(client)
        yield sim
        _clients.remove(client)


@pytest.fixture
def sim(server: CodexBackendSimulator) -> Iterator[CodexBackendSimulator]:
    """The shared simulator, reset to its defaults for each test."""
    backend = server.backend
    backend.clear()
    backend.set_models(default_models())
    backend.require_account_header = True
    backend.completed_output = False
    backend.responder = backend.default_responder
    yield server
    backend.clear()


@pytest.fixture
def headers(sim: CodexBackendSimulator) -> dict[str, str]:
    return sim.auth_headers()


def user(text: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}, *extra],
    }


def make_body(*items: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "instructions": "You are a test.",
        "input": list(items) or [user("hello world")],
        "stream": True,
        "store": False,
    }
    body.update(overrides)
    return body


def post(
    sim: CodexBackendSimulator,
    body: Any,
    headers: dict[str, str],
    *,
    timeout: float = 5.0,
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """POST /responses; return the response and its parsed events (empty for errors)."""
    client = _clients[-1]
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
    url = sim.api_base + "/responses"
    with client.stream("POST", url, headers=headers, timeout=timeout, **kwargs) as r:
        if r.status_code != 200:
            r.read()
            return r, []
        events = [event.json() for event in iter_sse(r.iter_bytes())]
    return r, events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def assert_well_formed(events: list[dict[str, Any]]) -> None:
    assert [e["type"] for e in events[:2]] == ["response.created", "response.in_progress"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    last = events[-1]
    assert last["type"] == "response.completed"
    assert last["response"]["output"] == []  # the real quirk
    assert last["response"]["status"] == "completed"
    assert len({e["response"]["id"] for e in events if "response" in e}) == 1
    added = of_type(events, "response.output_item.added")
    done = of_type(events, "response.output_item.done")
    assert [e["output_index"] for e in added] == list(range(len(added)))
    assert [e["item"]["id"] for e in added] == [e["item"]["id"] for e in done]


def message_text(events: list[dict[str, Any]]) -> str:
    deltas = "".join(e["delta"] for e in of_type(events, "response.output_text.delta"))
    (done,) = of_type(events, "response.output_text.done")
    assert done["text"] == deltas
    return deltas


# -- gates --


def _without(key: str) -> Any:
    def change(body: dict[str, Any]) -> None:
        del body[key]

    return change


def _set(key: str, value: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        body[key] = value

    return change


CALL = {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}
CALL_OUT = {"type": "function_call_output", "call_id": "call_1", "output": "ok"}
UNSUPPORTED_53 = (
    "The 'gpt-5.3-codex' model is not supported when using Codex with a ChatGPT account."
)
ITEM_ID_MESSAGE = (
    "Item with id 'rs_abc' not found. Items are not persisted when `store` is set to false. "
    "Try again with `store` set to true, or remove this item from your input."
)

GATES: list[tuple[str, Any, int, dict[str, Any]]] = [
    ("stream missing", _without("stream"), 400, {"detail": "Stream must be set to true"}),
    ("stream false", _set("stream", False), 400, {"detail": "Stream must be set to true"}),
    ("store missing", _without("store"), 400, {"detail": "Store must be set to false"}),
    ("store true", _set("store", True), 400, {"detail": "Store must be set to false"}),
    ("store null", _set("store", None), 400, {"detail": "Store must be set to false"}),
    ("no instructions", _without("instructions"), 400, {"detail": "Instructions are required"}),
    (
        "empty instructions",
        _set("instructions", "  "),
        400,
        {"detail": "Instructions are required"},
    ),
    *[
        (f"param {name}", _set(name, 1), 400, {"detail": f"Unsupported parameter: {name}"})
        for name in (
            "max_output_tokens",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "frequency_penalty",
            "presence_penalty",
            "metadata",
            "user",
            "stream_options",
        )
    ],
    (
        "unknown model",
        _set("model", "gpt-5.3-codex"),
        400,
        {"detail": UNSUPPORTED_53},
    ),
    ("string input", _set("input", "hi"), 400, {"detail": "Input must be a list"}),
    (
        "item id",
        _set("input", [{"type": "reasoning", "id": "rs_abc", "summary": []}, user("x")]),
        404,
        {
            "error": {
                "message": ITEM_ID_MESSAGE,
                "type": "invalid_request_error",
                "param": "input",
                "code": None,
            }
        },
    ),
    (
        "orphan output",
        _set("input", [user("x"), CALL_OUT]),
        400,
        {
            "error": {
                "message": "No tool call found for function call output with call_id call_1.",
                "type": "invalid_request_error",
                "param": "input",
                "code": None,
            }
        },
    ),
    (
        "call without output",
        _set("input", [user("x"), CALL, user("y")]),
        400,
        {
            "error": {
                "message": "No tool output found for function call call_1.",
                "type": "invalid_request_error",
                "param": "input",
                "code": None,
            }
        },
    ),
    (
        "verbosity not offered",
        lambda b: b.update(text={"verbosity": "loud"}),
        400,
        {
            "error": {
                "message": "Unsupported value: 'loud' is not supported with the 'gpt-5.5' "
                "model. Supported values are: 'low', 'medium', and 'high'.",
                "type": "invalid_request_error",
                "param": "text.verbosity",
                "code": "unsupported_value",
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("change", "status", "expected"), [g[1:] for g in GATES], ids=[g[0] for g in GATES]
)
def test_gates_answer_the_documented_error_body(
    sim: CodexBackendSimulator, headers: dict[str, str], change: Any, status: int, expected: Any
) -> None:
    body = make_body()
    change(body)
    response, _ = post(sim, body, headers)
    assert response.status_code == status
    assert response.json() == expected
    assert response.headers["x-request-id"].startswith("req_")
    assert sim.requests == []
    assert sim.backend.rejections[-1].status == status


ERROR_CODES: list[tuple[str, Any, str, str]] = [
    (
        "arguments not a string",
        _set("input", [user("x"), {**CALL, "arguments": {}}, CALL_OUT]),
        "input[1].arguments",
        "invalid_type",
    ),
    (
        "chat completions tool",
        _set("tools", [{"type": "function", "function": {"name": "f"}}]),
        "tools[0].name",
        "missing_required_parameter",
    ),
    (
        "effort not offered",
        _set("reasoning", {"effort": "ultra"}),
        "reasoning.effort",
        "unsupported_value",
    ),
    (
        "bad summary",
        _set("reasoning", {"summary": "verbose"}),
        "reasoning.summary",
        "invalid_value",
    ),
    (
        "chat json_schema shape",
        _set(
            "text", {"format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}}
        ),
        "text.format.name",
        "missing_required_parameter",
    ),
    ("bad format", _set("text", {"format": {"type": "yaml"}}), "text.format.type", "invalid_value"),
    (
        "input_text from assistant",
        _set("input", [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]),
        "input[0].content[0].type",
        "invalid_value",
    ),
    (
        "chat text part",
        _set("input", [{"role": "user", "content": [{"type": "text", "text": "x"}]}]),
        "input[0].content[0].type",
        "invalid_value",
    ),
    (
        "bad role",
        _set("input", [{"role": "tool", "content": "x"}]),
        "input[0].role",
        "invalid_value",
    ),
    ("unknown item", _set("input", [{"type": "bogus"}]), "input[0].type", "invalid_value"),
    (
        "unknown forced tool",
        lambda b: b.update(
            tools=[{"type": "function", "name": "f"}], tool_choice={"type": "function", "name": "g"}
        ),
        "tool_choice",
        "invalid_value",
    ),
    (
        "bad image",
        _set(
            "input", [user("x", {"type": "input_image", "image_url": "data:image/png;base64,@@@"})]
        ),
        None,
        "invalid_value",
    ),
    ("item not an object", _set("input", ["hi"]), "input[0]", "invalid_type"),
    (
        "output not text",
        _set("input", [user("x"), CALL, {**CALL_OUT, "output": 3}]),
        "input[2].output",
        "invalid_type",
    ),
    (
        "content not a list",
        _set("input", [{"role": "user", "content": 3}]),
        "input[0].content",
        "invalid_type",
    ),
    (
        "text part without text",
        _set("input", [{"role": "user", "content": [{"type": "input_text"}]}]),
        "input[0].content[0].text",
        "missing_required_parameter",
    ),
    (
        "image without url",
        _set("input", [user("x", {"type": "input_image"})]),
        "input[0].content[1].image_url",
        "missing_required_parameter",
    ),
    (
        "image path",
        _set("input", [user("x", {"type": "input_image", "image_url": "images/a.png"})]),
        "input[0].content[1].image_url",
        "invalid_value",
    ),
    (
        "call without name",
        _set("input", [user("x"), {"type": "function_call", "call_id": "c", "arguments": "{}"}]),
        "input[1].name",
        "missing_required_parameter",
    ),
    ("tools not a list", _set("tools", {"f": {}}), "tools", "invalid_type"),
    (
        "tool without type",
        _set("tools", [{"name": "f"}]),
        "tools[0].type",
        "missing_required_parameter",
    ),
    (
        "parameters not an object",
        _set("tools", [{"type": "function", "name": "f", "parameters": "{}"}]),
        "tools[0].parameters",
        "invalid_type",
    ),
    ("bad tool_choice", _set("tool_choice", "sometimes"), "tool_choice", "invalid_value"),
    ("reasoning not an object", _set("reasoning", "high"), "reasoning", "invalid_type"),
    ("text not an object", _set("text", "json"), "text", "invalid_type"),
    ("include not strings", _set("include", [1]), "include", "invalid_type"),
]


@pytest.mark.parametrize(
    ("change", "param", "code"), [c[1:] for c in ERROR_CODES], ids=[c[0] for c in ERROR_CODES]
)
def test_model_api_errors_name_param_and_code(
    sim: CodexBackendSimulator, headers: dict[str, str], change: Any, param: str | None, code: str
) -> None:
    body = make_body()
    change(body)
    response, _ = post(sim, body, headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")


def test_invalid_image_uses_the_text_codex_matches(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    bad = {"type": "input_image", "image_url": "data:image/png;base64,!!"}
    response, _ = post(sim, make_body(user("x", bad)), headers)
    assert (
        "The image data you provided does not represent a valid image"
        in response.json()["error"]["message"]
    )


def test_non_json_body_is_refused(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    response, _ = post(sim, b"{nope", headers)
    assert response.status_code == 400
    assert "detail" in response.json()


def test_accepted_variants_pass(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    ok = [
        make_body(text={"verbosity": "low"}),
        make_body(text={"verbosity": "medium", "format": {"type": "text"}}),
        make_body(user("x"), CALL, CALL_OUT, tools=[{"type": "function", "name": "f"}]),
        make_body({"role": "user", "content": "plain string content"}),
        make_body(user("x", {"type": "input_image", "image_url": "https://example.com/a.png"})),
        make_body(
            reasoning={"effort": "low", "summary": "concise"},
            include=["reasoning.encrypted_content"],
        ),
        make_body(prompt_cache_key="conv-1", tool_choice="auto", parallel_tool_calls=True),
        make_body(user("x", {"type": "input_image", "file_id": "file-1"})),
        make_body(tools=[{"type": "web_search"}], tool_choice={"type": "web_search"}),
        make_body(
            {"type": "custom_tool_call", "call_id": "k", "name": "apply_patch", "input": "*"},
            {"type": "custom_tool_call_output", "call_id": "k", "output": "done"},
        ),
    ]
    for body in ok:
        response, events = post(sim, body, headers)
        assert response.status_code == 200, response.text
        assert_well_formed(events)
    assert len(sim.requests) == len(ok)


def test_validate_request_is_pure() -> None:
    assert validate_request(make_body(), default_models()) is None
    assert validate_request([], default_models()) == (
        400,
        {"detail": "Request body must be a JSON object"},
    )
    assert validate_request(make_body(model=None), default_models()) == (
        400,
        {"detail": "Model is required"},
    )


# -- auth --


def test_auth_failures(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    body = make_body()
    cases: list[tuple[dict[str, str], int, Any]] = [
        (
            {k: v for k, v in headers.items() if k != "Authorization"},
            401,
            {"detail": "Unauthorized"},
        ),
        ({**headers, "Authorization": "Bearer not-a-token"}, 401, {"detail": "Unauthorized"}),
        ({**headers, "Authorization": "Basic abc"}, 401, {"detail": "Unauthorized"}),
        ({**headers, "ChatGPT-Account-ID": "acct-other"}, 403, None),
        ({k: v for k, v in headers.items() if k != "ChatGPT-Account-ID"}, 403, None),
    ]
    for hdrs, status, expected in cases:
        response, _ = post(sim, body, hdrs)
        assert response.status_code == status
        if expected is not None:
            assert response.json() == expected
        else:
            assert response.json()["detail"]["code"] == "account_mismatch"
    assert sim.requests == []
    assert [r.status for r in sim.backend.rejections] == [c[1] for c in cases]


def test_expired_and_revoked_tokens_say_token_expired(sim: CodexBackendSimulator) -> None:
    for kill in (sim.authority.expire_access, sim.authority.revoke):
        tokens = sim.authority.issue()
        hdrs = sim.auth_headers(tokens)
        assert post(sim, make_body(), hdrs)[0].status_code == 200
        kill(tokens["access_token"])
        response, _ = post(sim, make_body(), hdrs)
        assert response.status_code == 401
        assert response.json()["detail"]["code"] == "token_expired"


def test_account_header_can_be_optional_and_headers_are_recorded(
    sim: CodexBackendSimulator,
) -> None:
    sim.backend.require_account_header = False
    other = Account(account_id="acct-two", plan="pro")
    hdrs = sim.auth_headers(account=other)
    assert hdrs["ChatGPT-Account-ID"] == "acct-two"
    del hdrs["ChatGPT-Account-ID"]
    response, _ = post(sim, make_body(), {**hdrs, "session_id": "s-1"})
    assert response.status_code == 200
    assert response.headers["x-codex-plan-type"] == "pro"
    recorded = sim.backend.last_request
    assert recorded.account_id == "acct-two"
    assert recorded.headers["originator"] == "codex_cli_rs"
    assert recorded.headers["session_id"] == "s-1"
    assert recorded.body["store"] is False
    assert recorded.model == MODEL


# -- default replies --


def test_echo_stream_is_realistic(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    response, events = post(sim, make_body(user("hello there, simulated world")), headers)
    assert response.headers["content-type"] == "text/event-stream"
    for name in (
        "x-request-id",
        "x-models-etag",
        "x-codex-primary-used-percent",
        "x-codex-primary-window-minutes",
        "x-codex-primary-reset-at",
        "x-codex-secondary-used-percent",
        "x-codex-secondary-window-minutes",
        "x-codex-secondary-reset-at",
    ):
        assert response.headers[name]
    assert_well_formed(events)
    assert message_text(events) == "echo: hello there, simulated world"
    assert len(of_type(events, "response.output_text.delta")) > 1
    kinds = [e["type"] for e in events]
    assert kinds[2:5] == [
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert kinds[-5:-1] == [
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    ]
    item = of_type(events, "response.output_item.done")[0]["item"]
    assert item["phase"] == "final_answer"
    assert item["content"][0]["text"] == "echo: hello there, simulated world"
    use = events[-1]["response"]["usage"]
    assert use["input_tokens"] > 0
    assert use["output_tokens"] > 0
    assert use["total_tokens"] == use["input_tokens"] + use["output_tokens"]
    assert use["input_tokens_details"] == {"cached_tokens": 0}
    assert use["output_tokens_details"] == {"reasoning_tokens": 0}


def test_echo_uses_the_last_user_message(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    history = [
        user("first"),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "echo: first"}],
        },
        user("second"),
    ]
    _, events = post(sim, make_body(*history), headers)
    assert message_text(events) == "echo: second"


TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
    {"type": "function", "name": "get_time", "parameters": {"type": "object", "properties": {}}},
]


def calls_of(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    calls = []
    for done in of_type(events, "response.output_item.done"):
        item = done["item"]
        if item["type"] != "function_call":
            continue
        deltas = [
            e["delta"]
            for e in of_type(events, "response.function_call_arguments.delta")
            if e["item_id"] == item["id"]
        ]
        assert "".join(deltas) == item["arguments"]
        assert item["call_id"].startswith("call_")
        calls.append((item["name"], item["arguments"]))
    return calls


def test_two_parallel_tool_calls(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    text = 'Please call get_weather {"city": "Paris"} and get_time now.'
    _, events = post(sim, make_body(user(text), tools=TOOLS), headers)
    assert_well_formed(events)
    assert calls_of(events) == [("get_weather", '{"city": "Paris"}'), ("get_time", "{}")]
    assert of_type(events, "response.output_text.delta") == []
    assert len(of_type(events, "response.function_call_arguments.delta")) >= 2


def test_tool_call_arguments_come_from_the_schema(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    _, events = post(sim, make_body(user("call get_weather"), tools=TOOLS), headers)
    assert calls_of(events) == [("get_weather", '{"city": "sample"}')]


@pytest.mark.parametrize(
    ("text", "extra", "expected"),
    [
        ("call get_weather and get_time", {"parallel_tool_calls": False}, ["get_weather"]),
        ("call get_weather", {"tool_choice": "none"}, []),
        ("hello", {"tool_choice": {"type": "function", "name": "get_time"}}, ["get_time"]),
        ("hello", {"tool_choice": "required"}, ["get_weather"]),
        ("call nothing_known", {}, []),
        ("call get_time, get_weather", {}, ["get_time", "get_weather"]),
    ],
)
def test_tool_choice_rules(
    sim: CodexBackendSimulator,
    headers: dict[str, str],
    text: str,
    extra: dict[str, Any],
    expected: list[str],
) -> None:
    _, events = post(sim, make_body(user(text), tools=TOOLS, **extra), headers)
    assert [name for name, _ in calls_of(events)] == expected
    if not expected:
        assert message_text(events) == f"echo: {text}"


def test_tool_output_is_answered(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    items = [
        user("call get_weather and get_time"),
        {**CALL, "call_id": "c1", "name": "get_weather"},
        {**CALL, "call_id": "c2", "name": "get_time"},
        {"type": "function_call_output", "call_id": "c1", "output": "22C"},
        {
            "type": "function_call_output",
            "call_id": "c2",
            "output": [{"type": "input_text", "text": "noon"}],
        },
    ]
    _, events = post(sim, make_body(*items, tools=TOOLS), headers)
    assert_well_formed(events)
    assert message_text(events) == "tool result: 22C; noon"


def test_reasoning_streams_a_summary_then_text(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    body = make_body(
        user("why?"),
        reasoning={"effort": "high", "summary": "detailed"},
        include=["reasoning.encrypted_content"],
    )
    _, events = post(sim, body, headers)
    assert_well_formed(events)
    items = [e["item"] for e in of_type(events, "response.output_item.done")]
    assert [i["type"] for i in items] == ["reasoning", "message"]
    assert items[0]["encrypted_content"].startswith("gAAAA")
    summaries = [s["text"] for s in items[0]["summary"]]
    assert summaries == ["Thinking about: why?", "Planning the answer step by step."]
    for index, text in enumerate(summaries):
        deltas = [
            e["delta"]
            for e in of_type(events, "response.reasoning_summary_text.delta")
            if e["summary_index"] == index
        ]
        assert "".join(deltas) == text
    assert len(of_type(events, "response.reasoning_summary_part.added")) == 2
    assert len(of_type(events, "response.reasoning_summary_text.done")) == 2
    assert message_text(events) == "echo: why?"
    use = events[-1]["response"]["usage"]
    assert use["output_tokens_details"]["reasoning_tokens"] > 0
    assert use["output_tokens"] > use["output_tokens_details"]["reasoning_tokens"]


def test_reasoning_without_summary_or_encryption(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    _, events = post(sim, make_body(reasoning={"effort": "low"}), headers)
    item = of_type(events, "response.output_item.done")[0]["item"]
    assert item["type"] == "reasoning"
    assert item["summary"] == []
    assert "encrypted_content" not in item
    assert of_type(events, "response.reasoning_summary_text.delta") == []


def test_json_schema_and_json_object(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "n": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["answer", "n", "tags"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "name": "out", "schema": schema, "strict": True}
    _, events = post(sim, make_body(user("hi"), text={"format": fmt}), headers)
    assert json.loads(message_text(events)) == {"answer": "echo: hi", "n": 1, "tags": ["echo: hi"]}
    _, events = post(sim, make_body(user("hi"), text={"format": {"type": "json_object"}}), headers)
    assert json.loads(message_text(events)) == {"answer": "echo: hi"}


def test_image_input_is_mentioned(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    image = {
        "type": "input_image",
        "image_url": "data:image/png;base64,iVBORw0KGgo=",
        "detail": "auto",
    }
    _, events = post(sim, make_body(user("what is this?", image)), headers)
    assert message_text(events) == "I see 1 image(s). echo: what is this?"


def test_prompt_cache_key_reports_cached_tokens(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    body = make_body(prompt_cache_key="conv-42")
    first = post(sim, body, headers)[1][-1]["response"]["usage"]
    second = post(sim, body, headers)[1][-1]["response"]["usage"]
    assert first["input_tokens_details"]["cached_tokens"] == 0
    assert second["input_tokens_details"]["cached_tokens"] == second["input_tokens"] > 0
    assert [r.body["prompt_cache_key"] for r in sim.requests] == ["conv-42", "conv-42"]


def test_context_window_exceeded_fails_in_stream(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    sim.set_models([model_info(MODEL, context_window=5)])
    _, events = post(sim, make_body(user("one two three four five six seven")), headers)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    assert events[-1]["response"]["error"]["code"] == "context_length_exceeded"


def test_completed_output_can_carry_the_items(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    sim.backend.completed_output = True
    _, events = post(sim, make_body(), headers)
    (item,) = events[-1]["response"]["output"]
    assert (item["type"], item["status"]) == ("message", "completed")


def test_custom_responder(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.backend.responder = lambda turn: response_stream(
        turn.model, [text_events(f"custom {turn.model}")], response_id=turn.response_id
    )
    _, events = post(sim, make_body(), headers)
    assert message_text(events) == f"custom {MODEL}"


# -- faults --


def test_usage_limit(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.usage_limit(resets_in=120))
    now = int(sim.authority.clock())
    response, _ = post(sim, make_body(), headers)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "usage_limit_reached"
    assert error["plan_type"] == "plus"
    assert error["resets_in_seconds"] == 120
    assert now + 119 <= error["resets_at"] <= now + 122
    assert response.headers["x-codex-primary-used-percent"] == "100"
    assert response.headers["x-codex-primary-reset-after-seconds"] == "120"
    assert response.headers["content-type"] == "application/json"
    assert sim.requests[-1].fault == "usage_limit"
    assert post(sim, make_body(), headers)[0].status_code == 200


def test_unauthorized_once_then_ok(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.unauthorized_once())
    first, _ = post(sim, make_body(), headers)
    assert first.status_code == 401
    assert first.json()["detail"]["code"] == "token_expired"
    second, events = post(sim, make_body(), headers)
    assert second.status_code == 200
    assert_well_formed(events)


def test_queue_order_and_status_faults(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(
        Fault.server_error(503),
        Fault.status(418, {"detail": "teapot"}, {"retry-after": "3"}),
        Fault.deactivated_workspace(),
        Fault.text("scripted"),
    )
    assert sim.backend.pending == 4
    statuses = []
    for _ in range(5):
        response, _ = post(sim, make_body(), headers)
        statuses.append(response.status_code)
        if response.status_code == 418:
            assert response.json() == {"detail": "teapot"}
            assert response.headers["retry-after"] == "3"
        if response.status_code == 402:
            assert response.json() == {"detail": {"code": "deactivated_workspace"}}
        if response.status_code == 503:
            assert response.json()["error"]["type"] == "server_error"
    assert statuses == [503, 418, 402, 200, 200]
    assert [r.fault for r in sim.requests] == [
        "server_error:503",
        "status:418",
        "status:402",
        "text",
        None,
    ]
    assert sim.backend.pending == 0


def test_fault_waits_for_an_accepted_call(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    sim.queue(Fault.server_error())
    assert post(sim, make_body(store=True), headers)[0].status_code == 400
    assert sim.backend.pending == 1
    assert post(sim, make_body(), headers)[0].status_code == 500


def read_raw(
    sim: CodexBackendSimulator, headers: dict[str, str], seen: list[Any], read_timeout: float = 5
) -> None:
    """Stream one reply into ``seen`` (raw decoded events), letting transport errors out."""
    timeout = httpx.Timeout(5, read=read_timeout)
    url = sim.api_base + "/responses"
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream("POST", url, headers=headers, json=make_body()) as r,
    ):
        assert r.status_code == 200
        seen.extend(iter_sse(r.iter_bytes()))


def test_drop_breaks_the_transfer(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.drop(after=3))
    seen: list[Any] = []
    with pytest.raises(httpx.RemoteProtocolError):
        read_raw(sim, headers, seen)
    assert post(sim, make_body(), headers)[0].status_code == 200


def test_stall_hits_the_read_timeout(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.stall(3, after=2))
    seen: list[Any] = []
    with pytest.raises(httpx.ReadTimeout):
        read_raw(sim, headers, seen, read_timeout=0.3)
    assert [e.json()["type"] for e in seen] == ["response.created", "response.in_progress"]


def test_short_stall_then_completes(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.stall(0.05, after=1))
    _, events = post(sim, make_body(), headers)
    assert_well_formed(events)


def test_malformed_frame(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(Fault.malformed())
    events: list[Any] = []
    read_raw(sim, headers, events)
    assert events[0].json()["type"] == "response.created"
    assert events[1].data == "{not json"
    with pytest.raises(json.JSONDecodeError):
        events[1].json()
    assert json.loads(events[-1].data)["type"] == "response.completed"


def test_in_stream_failures(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(
        Fault.failed("rate_limit_exceeded", "Please try again in 1.5s.", after=4),
        Fault.error_event("server_error", "boom"),
        Fault.no_completed(),
        Fault.incomplete("content_filter"),
    )
    _, failed = post(sim, make_body(), headers)
    assert len(failed) == 5
    assert failed[-1]["type"] == "response.failed"
    assert failed[-1]["response"]["error"] == {
        "code": "rate_limit_exceeded",
        "message": "Please try again in 1.5s.",
    }
    assert failed[-1]["response"]["status"] == "failed"
    assert [e["sequence_number"] for e in failed] == list(range(5))

    _, errored = post(sim, make_body(), headers)
    assert [e["type"] for e in errored] == ["response.created", "response.in_progress", "error"]
    assert (errored[-1]["code"], errored[-1]["message"]) == ("server_error", "boom")

    _, cut = post(sim, make_body(), headers)
    assert cut[-1]["type"] == "response.output_item.done"
    assert of_type(cut, "response.completed") == []

    _, incomplete = post(sim, make_body(), headers)
    assert incomplete[-1]["type"] == "response.incomplete"
    assert incomplete[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}
    assert incomplete[-1]["response"]["usage"]["output_tokens"] > 0
    assert message_text(incomplete) == "echo: hello world"


def test_custom_event_replies(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    custom = [
        {"type": "response.created", "response": {"id": "r1"}},
        b": a comment\n\n",
        error_event("x", "y"),
    ]
    sim.queue(
        Fault.events(custom),
        Fault.events([{"type": "response.created", "response": {"id": "r2"}}], number=False),
        Fault.tool_calls(("get_time", {}), ("get_weather", '{"city": "Oslo"}')),
    )
    _, events = post(sim, make_body(), headers)
    assert events == [
        {"type": "response.created", "response": {"id": "r1"}, "sequence_number": 0},
        {"type": "error", "code": "x", "message": "y", "param": None, "sequence_number": 1},
    ]
    _, events = post(sim, make_body(), headers)
    assert events == [{"type": "response.created", "response": {"id": "r2"}}]
    _, events = post(sim, make_body(), headers)
    assert_well_formed(events)
    assert calls_of(events) == [("get_time", "{}"), ("get_weather", '{"city": "Oslo"}')]


def test_queue_is_thread_safe(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    sim.queue(*[Fault.server_error(500) for _ in range(6)])
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        status = post(sim, make_body(), headers)[0].status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 4 + [500] * 6
    assert len(sim.requests) == 10


# -- /models --


def test_models_list_etag_and_304(sim: CodexBackendSimulator, headers: dict[str, str]) -> None:
    url = sim.api_base + "/models"
    response = _clients[-1].get(url, params={"client_version": "0.171.0"}, headers=headers)
    assert response.status_code == 200
    slugs = [m["slug"] for m in response.json()["models"]]
    # Today's catalog (Codex CLI 0.171.0, reference-clients-2026-11.md §1.2).
    assert slugs[0] == "gpt-6.2-sol"
    for slug in ("gpt-6.2-astra", "gpt-6-sol", "gpt-5.6-sol", "gpt-5.5", "codex-auto-review"):
        assert slug in slugs
    assert "gpt-5.1-codex" not in slugs
    sol = next(m for m in response.json()["models"] if m["slug"] == "gpt-6.2-sol")
    assert sol["context_window"] == 500000
    assert sol["use_responses_lite"] is True
    assert sol["minimal_client_version"] == "0.166.0"
    assert [lvl["effort"] for lvl in sol["supported_reasoning_levels"]] == [
        "low",
        "medium",
        "high",
        "xhigh",
        "max",
        "ultra",
    ]
    classic = next(m for m in response.json()["models"] if m["slug"] == "gpt-5.5")
    assert classic["use_responses_lite"] is False
    assert classic["upgrade"]["model"] == "gpt-6-sol"
    etag = response.headers["etag"]
    assert etag == sim.backend.etag

    not_modified = _clients[-1].get(
        url, params={"client_version": "0.171.0"}, headers={**headers, "If-None-Match": etag}
    )
    assert not_modified.status_code == 304
    assert not_modified.content == b""

    # An older client does not see the models above its version.
    old = _clients[-1].get(url, params={"client_version": "0.130.0"}, headers=headers)
    assert [m["slug"] for m in old.json()["models"]] == ["gpt-5.5", "codex-auto-review"]

    sim.set_models(
        [
            model_info("only-one", minimal_client_version="0.50.0"),
            model_info("future", minimal_client_version="9.0.0"),
        ]
    )
    changed = _clients[-1].get(
        url, params={"client_version": "0.171.0"}, headers={**headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert [m["slug"] for m in changed.json()["models"]] == ["only-one"]
    assert changed.headers["etag"] != etag
    everything = _clients[-1].get(url, headers=headers)
    assert [m["slug"] for m in everything.json()["models"]] == ["only-one", "future"]
    assert [r["client_version"] for r in sim.backend.model_requests] == [
        "0.171.0",
        "0.171.0",
        "0.130.0",
        "0.171.0",
        "",
    ]


def test_models_need_auth_and_follow_the_list(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    assert _clients[-1].get(sim.api_base + "/models").status_code == 401
    sim.set_models([model_info("gpt-x")])
    response, _ = post(sim, make_body(), headers)
    assert (
        response.json()["detail"]
        == "The 'gpt-5.5' model is not supported when using Codex with a ChatGPT account."
    )
    assert post(sim, make_body(model="gpt-x"), headers)[0].status_code == 200


# -- composition and pure builders --


def test_install_on_a_shared_server_with_another_base() -> None:
    authority = OpenAIAuthority()
    with SimServer() as server:
        backend = install_codex_backend(server, authority, base_path="/api/codex/")
        assert isinstance(backend, CodexBackend)
        tokens = authority.issue()
        hdrs = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "ChatGPT-Account-ID": authority.account.account_id,
            "version": "0.171.0",
        }
        response = httpx.post(f"{server.url}/api/codex/responses", headers=hdrs, json=make_body())
        assert response.status_code == 200
        assert httpx.get(f"{server.url}/api/codex/models", headers=hdrs).status_code == 200
        assert backend.last_request.body["model"] == MODEL


def test_last_request_without_calls() -> None:
    backend = CodexBackend(SimServer(), OpenAIAuthority())
    with pytest.raises(LookupError):
        _ = backend.last_request


def test_response_stream_numbers_and_indexes() -> None:
    events = response_stream(
        "m",
        [text_events("a b c", output_index=7), tool_call_events("f", {"x": 1}, call_id="call_x")],
        completed_output=True,
    )
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    indexes = {e["output_index"] for e in events if "output_index" in e}
    assert indexes == {0, 1}
    output = events[-1]["response"]["output"]
    assert [i["type"] for i in output] == ["message", "function_call"]
    assert (output[1]["arguments"], output[1]["call_id"]) == ('{"x": 1}', "call_x")
    assert number_events([b"raw", {"type": "x"}]) == [b"raw", {"type": "x", "sequence_number": 0}]


SCHEMAS: list[tuple[Any, Any]] = [
    ({"type": "string"}, "T"),
    ({"type": "integer"}, 1),
    ({"type": "number"}, 1.5),
    ({"type": "boolean"}, True),
    ({"type": "null"}, None),
    ({"type": ["null", "integer"]}, 1),
    ({"enum": ["b", "c"]}, "b"),
    ({"const": 3}, 3),
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, 1),
    ({"type": "array", "items": {"type": "boolean"}}, [True]),
    ({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}, {"a": "T", "b": 1}),
    ({"type": "object", "properties": {"a": {}, "b": {}}, "required": ["b"]}, {"b": "T"}),
    (
        {
            "$defs": {"P": {"type": "integer"}},
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/P"}},
        },
        {"p": 1},
    ),
    ("not a schema", None),
]


@pytest.mark.parametrize(("schema", "expected"), SCHEMAS)
def test_sample_from_schema(schema: Any, expected: Any) -> None:
    assert sample_from_schema(schema, "T") == expected


def test_plan_reply_is_pure() -> None:
    plan = plan_reply(
        make_body(user('call f {"a": [1, 2]} and f'), tools=[{"type": "function", "name": "f"}])
    )
    assert plan == ReplyPlan(tool_calls=[("f", '{"a": [1, 2]}'), ("f", "{}")])
    plan = plan_reply(make_body(user("call f {broken"), tools=[{"type": "function", "name": "f"}]))
    assert plan.tool_calls == [("f", "{}")]
    assert plan_reply(make_body(reasoning={"effort": "none"})).reasoning is None
    assert plan_reply(make_body(user("x" * 80), reasoning={"summary": "auto"})).reasoning == [
        f"Thinking about: {'x' * 57}..."
    ]


# -- today's gates: client version, the Lite shape, zstd bodies --


DEVELOPER = {
    "type": "message",
    "role": "developer",
    "content": [{"type": "input_text", "text": "Be brief."}],
}


def lite_body(*items: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A Lite request as Codex CLI 0.171.0 shapes it (§1.3): an optional leading
    ``additional_tools`` item, a developer message, then ``items`` (or a user message)."""
    rest = list(items) or [user("hello world")]
    lead = [rest.pop(0)] if rest[0].get("type") == "additional_tools" else []
    body: dict[str, Any] = {
        "model": LITE_MODEL,
        "input": [*lead, DEVELOPER, *rest],
        "stream": True,
        "store": False,
        "reasoning": {"effort": "low", "context": "all_turns"},
    }
    body.update(overrides)
    return body


LITE = {"x-openai-internal-codex-responses-lite": "true"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
EXTRA_TOOLS = {
    "type": "additional_tools",
    "role": "developer",
    "tools": [{"type": "namespace", "name": "functions", "description": "", "tools": [WEATHER]}],
}


def test_lite_request_is_answered_with_namespaced_calls(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    body = lite_body(EXTRA_TOOLS, user("call get_weather"), parallel_tool_calls=False)
    response, events = post(sim, body, {**headers, **LITE})
    assert response.status_code == 200, response.text
    calls = [e["item"] for e in of_type(events, "response.output_item.done")]
    calls = [c for c in calls if c["type"] == "function_call"]
    assert [(c["name"], c["namespace"]) for c in calls] == [("get_weather", "functions")]
    # The tool result goes back as a plain function_call_output.
    follow = lite_body(
        EXTRA_TOOLS,
        user("call get_weather"),
        {
            "type": "function_call",
            "call_id": calls[0]["call_id"],
            "name": "get_weather",
            "namespace": "functions",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": calls[0]["call_id"], "output": "sunny"},
    )
    response, events = post(sim, follow, {**headers, **LITE})
    assert response.status_code == 200, response.text
    assert "tool result: sunny" in "".join(
        e["delta"] for e in of_type(events, "response.output_text.delta")
    )


LITE_REFUSALS = [
    ("no lite header", lite_body(), {}, "unsupported_request_format"),
    ("top-level tools", lite_body(tools=[WEATHER]), LITE, "unsupported_parameter"),
    (
        "parallel calls",
        lite_body(EXTRA_TOOLS, user("x"), parallel_tool_calls=True),
        LITE,
        "unsupported_value",
    ),
    ("tools not first", lite_body(user("x"), EXTRA_TOOLS), LITE, "invalid_value"),
    (
        "image detail",
        lite_body(
            user(
                "x",
                {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "high"},
            )
        ),
        LITE,
        "unsupported_parameter",
    ),
    (
        "no reasoning context",
        lite_body(reasoning={"effort": "low"}),
        LITE,
        "missing_required_parameter",
    ),
    ("lite header on classic", make_body(), LITE, "unsupported_request_format"),
    ("additional_tools on classic", make_body(EXTRA_TOOLS, user("x")), {}, "invalid_value"),
    (
        "reasoning.context on classic",
        make_body(reasoning={"effort": "low", "context": "all_turns"}),
        {},
        "unknown_parameter",
    ),
]


@pytest.mark.parametrize(
    ("body", "extra", "code"), [r[1:] for r in LITE_REFUSALS], ids=[r[0] for r in LITE_REFUSALS]
)
def test_wrong_shape_for_the_model_is_refused(
    sim: CodexBackendSimulator, headers: dict[str, str], body: Any, extra: Any, code: str
) -> None:
    response, _ = post(sim, body, {**headers, **extra})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert sim.requests == []


@pytest.mark.parametrize(("version", "status"), [("0.165.9", 400), (None, 400), ("0.166.0", 200)])
def test_model_above_the_callers_version_is_refused(
    sim: CodexBackendSimulator, headers: dict[str, str], version: str | None, status: int
) -> None:
    hdrs = {k: v for k, v in headers.items() if k != "version"}
    if version is not None:
        hdrs["version"] = version
    response, _ = post(sim, lite_body(), {**hdrs, **LITE})
    assert response.status_code == status
    if status == 400:
        assert response.json()["detail"] == (
            "The 'gpt-6.2-sol' model is not supported when using Codex with a ChatGPT account."
        )


def test_zstd_bodies_are_accepted_and_garbage_is_refused(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    import zstandard

    raw = json.dumps(lite_body()).encode()
    packed = zstandard.ZstdCompressor().compress(raw)
    hdrs = {**headers, **LITE, "content-encoding": "zstd", "content-type": "application/json"}
    response, _ = post(sim, packed, hdrs)
    assert response.status_code == 200
    assert sim.requests[-1].body == json.loads(raw)
    assert post(sim, b"not zstd", hdrs)[0].status_code == 400
    brotli = {**hdrs, "content-encoding": "br"}
    assert post(sim, packed, brotli)[0].status_code == 415


def test_ids_on_client_authored_items_pass(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    """Codex CLI 0.171.0 sends ids on the items it writes (msg_, at_, fco_), with store:
    false; a reasoning item with an id but no encrypted content still gets the 404 (the
    `item id` gate above)."""
    tools = {**EXTRA_TOOLS, "id": "at_1"}
    body = lite_body(tools, {**user("call get_weather"), "id": "msg_1"})
    response, _ = post(sim, body, {**headers, **LITE})
    assert response.status_code == 200, response.text


def test_server_ids_with_their_content_pass_and_client_metadata_is_a_string_map(
    sim: CodexBackendSimulator, headers: dict[str, str]
) -> None:
    """The reference replays the server's own ids (rs_ with its encrypted content, fc_)
    with store: false (reference-clients-2026-11.md §1.3): accepted and recorded.
    client_metadata is a string-to-string map."""
    history = [
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
        {
            "type": "function_call",
            "id": "fc_1",
            "status": "completed",
            "call_id": "call_1",
            "name": "get_weather",
            "namespace": "functions",
            "arguments": "{}",
        },
        {"type": "function_call_output", "id": "fco_1", "call_id": "call_1", "output": "sun"},
    ]
    body = lite_body(EXTRA_TOOLS, user("weather?"), *history, client_metadata={"turn_id": "t1"})
    response, _ = post(sim, body, {**headers, **LITE})
    assert response.status_code == 200, response.text
    recorded = sim.backend.last_request.body
    assert [i.get("id") for i in recorded["input"][-3:]] == ["rs_1", "fc_1", "fco_1"]
    bad = lite_body(client_metadata={"turn": 1})
    response, _ = post(sim, bad, {**headers, **LITE})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "client_metadata.turn"
