"""Issue #13: every call bounded by its deadline and its memory, no token to an untrusted
host, bad input refused before the network.

Real LiteLLM SDK calls against the simulators on 127.0.0.1, with faults scripted on the
simulators' routes (stall before headers, trickle, huge line, dropped body, redirect).
Each test names the failure it guards against; all of them failed before the fix.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import litellm
import openai
import pytest

import litellm_codex
from litellm_codex.auth import codex_refresh, copilot_exchange, login_openai
from litellm_codex.auth.store import FileStore, MemoryStore
from litellm_codex.errors import DeadlineExceeded, LiteLLMCodexError, LoginError, StoreError
from litellm_codex.testing._server import DROP, Request, Response, SimServer, Stall
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.copilot_simulator import CopilotSimulator

#: What a failed call raises: a LiteLLM error (all derive from openai.APIError) or, for
#: `list_models`, one of ours.
ANY_ERROR = (openai.APIError, LiteLLMCodexError)
CODEX = "openai-codex/gpt-6.2-sol"
COPILOT = "github_copilot/gpt-4o"
HI = [{"role": "user", "content": "hello there"}]
SYNC_ASYNC = ["completion", "acompletion", "streaming", "astreaming"]


@pytest.fixture
def codex(codex_sim: ChatGPTSimulator) -> ChatGPTSimulator:
    """The logged-in ChatGPT simulator (``codex_sim``, tests/conftest.py)."""
    return codex_sim


@pytest.fixture
def copilot(copilot_sim: CopilotSimulator) -> CopilotSimulator:
    """The logged-in Copilot simulator (``copilot_sim``, tests/conftest.py)."""
    return copilot_sim


def call(mode: str, model: str, messages: Any = HI, **kwargs: Any) -> Any:
    """One call through ``mode``; streams are read to the end."""
    if mode == "completion":
        return litellm.completion(model=model, messages=messages, **kwargs)
    if mode == "streaming":
        return list(litellm.completion(model=model, messages=messages, stream=True, **kwargs))

    async def run() -> Any:
        try:
            if mode == "acompletion":
                return await litellm.acompletion(model=model, messages=messages, **kwargs)
            stream = await litellm.acompletion(
                model=model, messages=messages, stream=True, **kwargs
            )
            return [chunk async for chunk in stream]
        finally:
            await litellm_codex.openai_codex.aclose()
            await litellm_codex.github_copilot.aclose()

    return asyncio.run(run())


def timed(mode: str, model: str, **kwargs: Any) -> tuple[BaseException, float]:
    start = time.monotonic()
    with pytest.raises(ANY_ERROR) as info:
        call(mode, model, num_retries=0, **kwargs)
    return info.value, time.monotonic() - start


def is_timeout(exc: BaseException) -> bool:
    # LiteLLM wraps an async stream's first failure in MidStreamFallbackError (README).
    original = getattr(exc, "original_exception", None)
    return isinstance(exc, litellm.Timeout) or isinstance(original, litellm.Timeout)


def stall_handler(sim: SimServer, seconds: float) -> Any:
    def handler(request: Request) -> Response:
        sim._wait(seconds)  # silent until the server stops
        return Response(503, body=b"late")

    return handler


# -- 1. one deadline per call ---------------------------------------------------------------


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_silent_token_endpoint_is_bounded_by_timeout(
    codex: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # Before: the refresh used its own 30 s (completion(timeout=5) took 31 s).
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    codex_refresh.save_login(FileStore(), codex.issue_login(access_ttl=1))
    codex_refresh.reset_codex_credentials()
    time.sleep(1.1)
    codex.script("POST", "/oauth/token", stall_handler(codex, 30))
    exc, took = timed(mode, CODEX, timeout=1.5)
    assert is_timeout(exc), repr(exc)
    assert took < 3.5
    assert "credentials" in str(exc)
    assert codex.calls_to("/oauth/token") and not codex.calls_to("/responses")


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_silent_copilot_exchange_is_bounded_by_timeout(
    copilot: CopilotSimulator, mode: str
) -> None:
    copilot.script("GET", "/copilot_internal/v2/token", stall_handler(copilot, 30))
    exc, took = timed(mode, COPILOT, timeout=1.5)
    assert is_timeout(exc), repr(exc)
    assert took < 3.5
    assert copilot.calls_to("/copilot_internal/v2/token")


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_retries_and_backoff_share_one_deadline(
    codex: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # Before: a silent upstream was retried with a full timeout each time (4 s -> 13 s).
    monkeypatch.setenv("LITELLM_CODEX_MAX_RETRIES", "5")
    for _ in range(6):
        codex.script("POST", "/responses", stall_handler(codex, 30))
    exc, took = timed(mode, CODEX, timeout=1.5)
    assert is_timeout(exc), repr(exc)
    assert took < 3.5


@pytest.mark.parametrize("mode", ["completion", "acompletion"])
def test_trickling_copilot_body_is_bounded_by_timeout(copilot: CopilotSimulator, mode: str) -> None:
    # Before: a non-stream body trickling one byte at a time ran until the server stopped.
    body = json.dumps({"choices": [{"message": {"role": "assistant", "content": "x" * 50}}]})
    pieces: list[Any] = []
    for ch in body.encode():
        pieces += [bytes([ch]), Stall(0.2)]
    copilot.script(
        "POST",
        "/chat/completions",
        Response(200, {"content-type": "application/json"}, stream=pieces),
    )
    exc, took = timed(mode, COPILOT, timeout=2)
    assert is_timeout(exc), repr(exc)
    assert took < 4


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_keepalives_without_content_are_bounded_by_timeout(
    codex: ChatGPTSimulator, mode: str
) -> None:
    pieces: list[Any] = []
    for _ in range(100):
        pieces += [b": keep-alive\n\n", Stall(0.2)]
    codex.script(
        "POST", "/responses", Response(200, {"content-type": "text/event-stream"}, stream=pieces)
    )
    exc, took = timed(mode, CODEX, timeout=1.5)
    assert is_timeout(exc), repr(exc)
    assert took < 3.5


@pytest.mark.parametrize("mode", ["completion", "astreaming"])
def test_copilot_routing_lookup_is_within_the_deadline(
    copilot: CopilotSimulator, mode: str
) -> None:
    # The first call to a Copilot base looks its model up in /models (routing): that wait
    # is part of the call's deadline, not a fixed 15 s of its own.
    copilot.script("GET", "/models", stall_handler(copilot, 30))
    exc, took = timed(mode, COPILOT, timeout=1.5)
    assert is_timeout(exc), repr(exc)
    assert took < 3.5
    assert copilot.calls_to("/models")


def test_list_models_is_bounded_by_its_timeout(codex: ChatGPTSimulator) -> None:
    codex.script("GET", "/models", stall_handler(codex, 30))
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        litellm_codex.openai_codex.list_models(refresh=True, timeout=1.0)
    assert time.monotonic() - start < 2.5


# -- 2. bounded memory --------------------------------------------------------------------


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_huge_sse_line_is_refused_and_not_retried(
    codex: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # Before: `data: ` + 128 MB without a newline was buffered whole, then retried twice.
    monkeypatch.setenv("LITELLM_CODEX_MAX_EVENT_BYTES", str(256 * 1024))
    pieces: list[Any] = [b"data: "] + [b"x" * 65536] * 64  # 4 MiB, no newline
    codex.script(
        "POST", "/responses", Response(200, {"content-type": "text/event-stream"}, stream=pieces)
    )
    with pytest.raises(ANY_ERROR) as info:
        call(mode, CODEX, num_retries=0)
    text = str(info.value)
    assert "LITELLM_CODEX_MAX_EVENT_BYTES" in text
    assert len(codex.calls_to("/responses")) == 1


@pytest.mark.parametrize("mode", ["completion", "acompletion"])
def test_huge_body_is_refused_and_not_retried(
    copilot: CopilotSimulator, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_MAX_BODY_BYTES", "100000")
    pieces: list[Any] = [b'{"choices": [{"message": {"content": "'] + [b"y" * 65536] * 8
    copilot.script(
        "POST",
        "/chat/completions",
        Response(200, {"content-type": "application/json"}, stream=pieces),
    )
    with pytest.raises(litellm.APIConnectionError, match="LITELLM_CODEX_MAX_BODY_BYTES"):
        call(mode, COPILOT, num_retries=0)
    assert len(copilot.calls_to("/chat/completions")) == 1


# -- 3. endpoint trust --------------------------------------------------------------------


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_copilot_token_endpoint_over_plain_http_is_refused(
    copilot: CopilotSimulator, mode: str
) -> None:
    # Before: the bearer token went out in clear text to the token's `endpoints.api`.
    copilot.authority.user.api_endpoint = "http://203.0.113.7:9/copilot"
    with pytest.raises(litellm.BadRequestError) as info:
        call(mode, COPILOT, num_retries=0, timeout=5)
    assert "endpoints.api" in str(info.value) and "http://203.0.113.7:9" in str(info.value)


@pytest.mark.parametrize(
    ("model", "setting"),
    [(CODEX, "OPENAI_CODEX_API_BASE"), (COPILOT, "GITHUB_COPILOT_API_BASE")],
)
def test_configured_base_over_plain_http_is_refused(
    codex: ChatGPTSimulator,
    copilot: CopilotSimulator,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    setting: str,
) -> None:
    monkeypatch.setenv(setting, "http://example.com/api")
    with pytest.raises(litellm.BadRequestError, match=setting):
        call("completion", model, num_retries=0, timeout=5)
    with pytest.raises(litellm.BadRequestError, match="api_base"):
        call("completion", model, num_retries=0, timeout=5, api_base="http://10.1.2.3/v1")
    assert not codex.calls_to("/responses") and not copilot.calls_to("/chat/completions")


def test_token_endpoints_over_plain_http_are_refused(
    codex: ChatGPTSimulator, copilot: CopilotSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The refresh token and the GitHub token never go in clear text to another machine.
    monkeypatch.setenv("OPENAI_CODEX_AUTH_BASE", "http://203.0.113.9")
    codex_refresh.save_login(FileStore(), codex.issue_login(access_ttl=1))
    codex_refresh.reset_codex_credentials()
    time.sleep(1.1)
    with pytest.raises(litellm.BadRequestError, match=r"http://203\.0\.113\.9"):
        call("completion", CODEX, num_retries=0, timeout=5)
    monkeypatch.setenv("GITHUB_COPILOT_GITHUB_API_URL", "http://203.0.113.9")
    copilot_exchange.reset_copilot_credentials()
    with pytest.raises(litellm.BadRequestError, match=r"http://203\.0\.113\.9"):
        call("completion", COPILOT, num_retries=0, timeout=5)
    assert not codex.calls_to("/oauth/token") and not copilot.calls_to("/copilot_internal/v2/token")


def redirect_to(other: SimServer) -> Response:
    return Response(307, {"location": f"{other.url}/steal"}, b"")


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_redirects_never_carry_codex_credentials(codex: ChatGPTSimulator, mode: str) -> None:
    with SimServer() as other:
        codex.script("POST", "/responses", redirect_to(other))
        with pytest.raises(ANY_ERROR, match="redirected"):
            call(mode, CODEX, num_retries=0, timeout=5)
        assert other.calls == []


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_redirects_never_carry_copilot_credentials(copilot: CopilotSimulator, mode: str) -> None:
    with SimServer() as other:
        copilot.script("POST", "/chat/completions", redirect_to(other))
        with pytest.raises(ANY_ERROR, match="redirected"):
            call(mode, COPILOT, num_retries=0, timeout=5)
        assert other.calls == []


def test_redirects_never_carry_credentials_from_side_endpoints(
    codex: ChatGPTSimulator, copilot: CopilotSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SimServer() as other:
        # /models of both providers
        codex.script("GET", "/models", redirect_to(other))
        with pytest.raises(ANY_ERROR):
            litellm_codex.openai_codex.list_models(refresh=True)
        copilot.script("GET", "/models", redirect_to(other))
        with pytest.raises(ANY_ERROR):
            litellm_codex.github_copilot.list_models(refresh=True)
        # the Copilot token exchange
        copilot_exchange.reset_copilot_credentials()
        copilot.script("GET", "/copilot_internal/v2/token", redirect_to(other))
        with pytest.raises(ANY_ERROR):
            call("completion", COPILOT, num_retries=0, timeout=5)
        # the Codex refresh
        codex_refresh.save_login(FileStore(), codex.issue_login(access_ttl=1))
        codex_refresh.reset_codex_credentials()
        time.sleep(1.1)
        codex.script("POST", "/oauth/token", redirect_to(other))
        with pytest.raises(ANY_ERROR):
            call("completion", CODEX, num_retries=0, timeout=5)
        assert other.calls == []


# -- 6. local validation ------------------------------------------------------------------

PNG = "data:image/png;base64,iVBORw0KGgo="
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
BAD_INPUTS: dict[str, tuple[list[Any], dict[str, Any], str]] = {
    "empty-messages": ([], {}, "messages"),
    "unknown-role": ([{"role": "robot", "content": "hi"}], {}, "messages[0].role"),
    "unknown-part": (
        [
            {
                "role": "user",
                "content": [{"type": "video_url", "video_url": {"url": "https://x.test/v.mp4"}}],
            }
        ],
        {},
        "messages[0].content[0].type",
    ),
    "text-part-not-text": (
        [{"role": "user", "content": [{"type": "text", "text": 5}]}],
        {},
        "messages[0].content[0].text",
    ),
    "bad-image-url": (
        [{"role": "user", "content": [{"type": "image_url", "image_url": "not a url"}]}],
        {},
        "messages[0].content[0].image_url",
    ),
    "bad-data-url": (
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,x"}}]}],
        {},
        "messages[0].content[0].image_url.url",
    ),
    "schema-banana": (
        HI,
        {
            "tools": [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "banana"}}}
            ]
        },
        "tools[0].function.parameters",
    ),
    "schema-nested-banana": (
        HI,
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": {
                            "type": "object",
                            "properties": {"a": {"type": "banana"}},
                        },
                    },
                }
            ]
        },
        "tools[0].function.parameters.properties.a.type",
    ),
    "schema-not-object": (
        HI,
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": [1]}}]},
        "tools[0].function.parameters",
    ),
    "tool-choice-undeclared": (
        HI,
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
        "tool_choice",
    ),
    "tool-choice-no-tools": (
        HI,
        {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        "tool_choice",
    ),
    "reasoning-effort-int": (HI, {"reasoning_effort": 5}, "reasoning_effort"),
    "temperature-str": (HI, {"temperature": "hot"}, "temperature"),
    "max-tokens-zero": (HI, {"max_tokens": 0}, "max_tokens"),
    "stop-int": (HI, {"stop": 7}, "stop"),
    "tool-message-no-id": ([{"role": "tool", "content": "x"}], {}, "messages[0].tool_call_id"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("model", [CODEX, COPILOT])
def test_bad_input_is_refused_before_the_network(
    codex: ChatGPTSimulator, copilot: CopilotSimulator, model: str, case: str
) -> None:
    messages, params, name = BAD_INPUTS[case]
    codex.reset_calls()
    copilot.reset_calls()
    with pytest.raises(litellm.BadRequestError) as info:
        call("completion", model, messages, num_retries=0, **params)
    assert f"`{name}`" in str(info.value)
    # Nothing reached either simulator: not the API, not the token endpoints.
    assert codex.calls == [] and copilot.calls == []


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_bad_input_is_refused_in_every_entry_point(copilot: CopilotSimulator, mode: str) -> None:
    copilot.reset_calls()
    with pytest.raises(ANY_ERROR) as info:
        call(mode, COPILOT, [], num_retries=0)
    original = getattr(info.value, "original_exception", info.value)
    assert isinstance(original, litellm.BadRequestError), repr(info.value)
    assert copilot.calls == []


def test_good_input_still_goes_through(codex: ChatGPTSimulator) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": PNG}},
            ],
        },
    ]
    answer = call(
        "completion",
        CODEX,
        messages,
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        reasoning_effort="low",
    )
    assert answer.choices[0].message is not None
    assert codex.calls_to("/responses")


def test_parameter_error_gets_no_model_list_hint(codex: ChatGPTSimulator) -> None:
    # Before: any 400 containing "model" and "not supported" got "Available models: ...".
    body = {
        "error": {
            "message": "Unsupported value: 'low' is not supported with the "
            "'gpt-5.1-codex' model. Supported values are: 'medium'.",
            "type": "invalid_request_error",
            "param": "text.verbosity",
            "code": "unsupported_value",
        }
    }
    codex.script(
        "POST",
        "/responses",
        Response(400, {"content-type": "application/json"}, json.dumps(body).encode()),
    )
    with pytest.raises(litellm.BadRequestError) as info:
        call("completion", CODEX, num_retries=0)
    text = str(info.value).lower()
    for hint in ("available models", "models in the catalog", "litellm-codex models"):
        assert hint not in text
    assert not codex.calls_to("/models")


def test_unknown_model_still_gets_the_hint(codex: ChatGPTSimulator) -> None:
    body = {"detail": "The 'gpt-9' model is not supported when using Codex with a ChatGPT account."}
    codex.script(
        "POST",
        "/responses",
        Response(400, {"content-type": "application/json"}, json.dumps(body).encode()),
    )
    with pytest.raises((litellm.BadRequestError, litellm.NotFoundError)) as info:
        call("completion", CODEX, num_retries=0)
    assert "models" in str(info.value).split("account.")[-1].lower()


# -- 7. malformed stream events -----------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        b"data: [1,2]\n\n",
        b"data: 7\n\n",
        b'data: "text"\n\n',
        b'data: {"type": 5}\n\n',
        b'data: {"type": "response.output_text.delta", "delta": 5}\n\n',
        b'data: {"choices": 5}\n\n',
        b'data: {"choices": [{"delta": {"content": 5}}]}\n\n',
        b'data: {"choices": [{"delta": {"tool_calls": [7]}}]}\n\n',
    ],
)
@pytest.mark.parametrize("model", [CODEX, COPILOT])
def test_malformed_event_is_the_documented_stream_error(
    codex: ChatGPTSimulator,
    copilot: CopilotSimulator,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    frame: bytes,
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_MAX_RETRIES", "0")  # a broken stream is retried
    # Before: `data: [1,2]` became APIConnectionError("AttributeError: 'list' object...").
    sim: SimServer = codex if model == CODEX else copilot
    path = "/responses" if model == CODEX else "/chat/completions"
    sim.script("POST", path, Response(200, {"content-type": "text/event-stream"}, stream=[frame]))
    with pytest.raises(litellm.APIConnectionError) as info:
        call("streaming", model, num_retries=0)
    text = str(info.value)
    for name in ("AttributeError", "TypeError", "KeyError", "'list' object"):
        assert name not in text, text
    if not frame.startswith(b"data: {"):
        assert "malformed" in text, text


# -- 11. a Copilot body dropped mid-read is retried -----------------------------------------


@pytest.mark.parametrize("mode", ["completion", "acompletion"])
def test_copilot_body_dropped_mid_read_is_retried(copilot: CopilotSimulator, mode: str) -> None:
    copilot.script(
        "POST",
        "/chat/completions",
        Response(200, {"content-type": "application/json"}, stream=[b'{"choices": [', DROP]),
    )
    answer = call(mode, COPILOT, num_retries=0)
    assert answer.choices[0].message.content
    assert len(copilot.calls_to("/chat/completions")) == 2


# -- 5. our credentials.json is never silently readable by others ---------------------------


def test_group_readable_credentials_file_is_fixed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: a 0644 credentials.json was used silently.
    path = tmp_path / "credentials.json"
    store = FileStore(path)
    store.save("openai-codex", {"access_token": "a"})
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert store.load("openai-codex") == {"access_token": "a"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by other users (mode 0644); changed it to 0600" in caplog.text


def test_credentials_file_that_cannot_be_fixed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "credentials.json"
    store = FileStore(path)
    store.save("openai-codex", {"access_token": "a"})
    os.chmod(path, 0o640)

    def not_owner(fd: int, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchmod", not_owner)  # as if another user owned it
    with pytest.raises(StoreError, match="chmod 600"):
        store.load("openai-codex")


# -- 9. the browser login replies before it finishes ----------------------------------------


def test_browser_login_error_page_is_written_before_the_login_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: the login finished first, so the CLI could exit before the "Login failed"
    # page was written and the browser got a reset connection (about 1 run in 6). A slow
    # page makes the old order fail every time.
    original = login_openai._page

    def slow_page(title: str, text: str) -> bytes:
        time.sleep(0.3)
        return original(title, text)

    monkeypatch.setattr(login_openai, "_page", slow_page)
    browser: dict[str, socket.socket] = {}

    def open_browser(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        port = urlsplit(query["redirect_uri"][0]).port
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            f"GET /auth/callback?error=access_denied&state={query['state'][0]} HTTP/1.1\r\n"
            f"Host: localhost:{port}\r\n\r\n".encode()
        )
        browser["sock"] = sock
        return True

    with pytest.raises(LoginError, match="denied"):
        login_openai.login_browser(
            MemoryStore(),
            auth_base="https://auth.invalid",
            open_browser=open_browser,
            print_fn=lambda text: None,
            port=0,
            timeout=10,
        )
    sock = browser["sock"]
    try:
        sock.setblocking(False)
        reply = sock.recv(65536)  # already there when the login ended
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"Login failed" in reply


def test_copilot_forget_models_asks_again(copilot: CopilotSimulator) -> None:
    # The /models cache is keyed by API base: after forget_models() and without a disk
    # snapshot (each test has its own LITELLM_CODEX_HOME), a new server on the same address
    # (a reused port) is asked again instead of routed from the old answer.
    from litellm_codex.providers import _models_snapshot

    litellm.completion(model=COPILOT, messages=HI, timeout=10)
    litellm.completion(model=COPILOT, messages=HI, timeout=10)
    assert len(copilot.calls_to("/models", "GET")) == 1
    _models_snapshot.path_for("copilot", copilot.api_base).unlink()
    litellm_codex.github_copilot.forget_models()
    litellm.completion(model=COPILOT, messages=HI, timeout=10)
    assert len(copilot.calls_to("/models", "GET")) == 2
