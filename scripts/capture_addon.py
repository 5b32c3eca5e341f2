"""mitmproxy addon for ``capture_reference.py``: record every request, answer it locally.

Loaded by ``mitmdump -s scripts/capture_addon.py`` inside the capture's network namespace.
It never forwards anything: every flow gets a response made here. Each request is appended
to ``$CAPTURE_LOG`` (JSON lines) with its method, URL, headers in the order sent, and its
body decoded (zstd / gzip ``content-encoding`` undone; JSON parsed when it parses).

What to answer is decided per request from ``$CAPTURE_STATE`` (a JSON file the driver
rewrites before each client run):

- ``scenario``: ``text`` (answer with text), ``tool`` (answer the first turn with a tool
  call, the follow-up that carries its result with text), ``refresh`` (answer the model
  call 401 until the client has refreshed its token);
- ``codex_models``: the catalog to serve on ``/backend-api/codex/models``;
- ``copilot_models``: the catalog to serve on the Copilot API's ``/models``.

The answers are shaped after the real services (protocol note ``reference-clients-2026-11.md``)
only as far as the clients need to carry on; they are not a simulator.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import threading
import time
from typing import Any

from mitmproxy import http

_LOCK = threading.Lock()
_STATE_SEEN: dict[str, Any] = {"refreshed": False, "unauthorized": 0}


def _state() -> dict[str, Any]:
    path = os.environ.get("CAPTURE_STATE")
    if not path or not os.path.exists(path):
        return {"scenario": "text"}
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _decode(raw: bytes, encoding: str) -> bytes:
    for enc in [e.strip().lower() for e in encoding.split(",") if e.strip()][::-1]:
        if enc == "zstd":
            import zstandard

            raw = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        elif enc == "gzip":
            raw = gzip.decompress(raw)
    return raw


def _body(flow: http.HTTPFlow) -> tuple[Any, str]:
    raw = flow.request.raw_content or b""
    encoding = flow.request.headers.get("content-encoding", "")
    kind = "empty"
    if raw:
        try:
            raw = _decode(raw, encoding)
        except Exception as exc:  # keep the raw bytes if decoding fails
            return {"undecodable": base64.b64encode(raw).decode(), "error": str(exc)}, "raw"
        try:
            return json.loads(raw), "json"
        except ValueError:
            try:
                return raw.decode("utf-8"), "text"
            except UnicodeDecodeError:
                return {"base64": base64.b64encode(raw).decode()}, "binary"
    return None, kind


def _record(flow: http.HTTPFlow) -> dict[str, Any]:
    body, kind = _body(flow)
    entry = {
        "time": time.time(),
        "run": _state().get("run"),
        "method": flow.request.method,
        "url": flow.request.pretty_url,
        "http_version": flow.request.http_version,
        "headers": [[k, v] for k, v in flow.request.headers.fields_str()]
        if hasattr(flow.request.headers, "fields_str")
        else [[k.decode(), v.decode()] for k, v in flow.request.headers.fields],
        "body_kind": kind,
        "body": body,
    }
    log = os.environ.get("CAPTURE_LOG")
    if log:
        with _LOCK, open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
    return entry


# ---------------------------------------------------------------------------------------
# Fake tokens
# ---------------------------------------------------------------------------------------


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def fake_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (the clients only decode it)."""
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{_b64('sig')}"


ACCOUNT_ID = "00000000-0000-4000-8000-000000000001"
AUTH_CLAIM = {
    "chatgpt_account_id": ACCOUNT_ID,
    "chatgpt_plan_type": "pro",
    "chatgpt_user_id": "user-capture",
    "user_id": "user-capture",
}


def codex_tokens(lifetime: int = 3600) -> dict[str, str]:
    now = int(time.time())
    return {
        "id_token": fake_jwt(
            {
                "email": "capture@example.invalid",
                "email_verified": True,
                "exp": now + lifetime,
                "iat": now,
                "https://api.openai.com/auth": AUTH_CLAIM,
            }
        ),
        "access_token": fake_jwt(
            {"exp": now + lifetime, "iat": now, "https://api.openai.com/auth": AUTH_CLAIM}
        ),
        "refresh_token": f"rt_capture_{now}",
    }


# ---------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------


def _json(flow: http.HTTPFlow, obj: Any, status: int = 200) -> None:
    flow.response = http.Response.make(
        status, json.dumps(obj).encode(), {"content-type": "application/json"}
    )


def _sse(flow: http.HTTPFlow, events: list[Any], *, named: bool = True, done: bool = False) -> None:
    parts = []
    for ev in events:
        head = f"event: {ev['type']}\n" if named and isinstance(ev, dict) and "type" in ev else ""
        parts.append(f"{head}data: {json.dumps(ev)}\n\n")
    if done:
        parts.append("data: [DONE]\n\n")
    flow.response = http.Response.make(
        200,
        "".join(parts).encode(),
        {"content-type": "text/event-stream", "cache-control": "no-cache"},
    )


def _texts(obj: Any) -> str:
    return json.dumps(obj) if obj is not None else ""


def _has_tool_result(body: Any) -> bool:
    """Whether the request carries the result of a tool call (any of the API shapes)."""
    text = _texts(body)
    return any(
        marker in text
        for marker in (
            '"function_call_output"',
            '"custom_tool_call_output"',
            '"tool_result"',
            '"role": "tool"',
        )
    )


def _schema_args(schema: dict[str, Any] | None, overrides: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    props = (schema or {}).get("properties") or {}
    for name in (schema or {}).get("required") or []:
        kind = (props.get(name) or {}).get("type")
        args[name] = {"boolean": False, "integer": 1, "number": 1, "array": [], "object": {}}.get(
            str(kind), "capture"
        )
    for key, value in overrides.items():
        if key in props or not props:
            args[key] = value
    return args


_PREFERRED = ("get_weather", "shell_command", "exec_command", "shell", "bash", "exec")


def _flat_tools(tools: list[Any]) -> list[dict[str, Any]]:
    """All tools, namespaces flattened (``namespace`` set on their members)."""
    out: list[dict[str, Any]] = []
    for tool in tools or []:
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == "namespace":
            for inner in _flat_tools(tool.get("tools") or []):
                inner.setdefault("_namespace", tool.get("name"))
                out.append(inner)
        elif tool.get("type") == "function" and isinstance(tool.get("function"), dict):
            fn = tool["function"]
            out.append({"type": "function", **fn})
        else:
            out.append(dict(tool))
    return out


def _pick_tool(tools: list[dict[str, Any]], prefer: str | None) -> dict[str, Any] | None:
    names = [prefer] if prefer else []
    names += list(_PREFERRED)
    for name in names:
        for tool in tools:
            if tool.get("name") == name:
                return tool
    return None


def _tool_input(tool: dict[str, Any], state: dict[str, Any]) -> tuple[str, str]:
    """(kind, payload): ``custom`` tools take free text, function tools JSON arguments."""
    if tool.get("type") == "custom":
        return "custom", state.get("custom_input", 'text("capture")')
    schema = tool.get("parameters") or tool.get("input_schema") or {}
    overrides = {
        "command": "echo capture",
        "cmd": "echo capture",
        "duration_ms": 1,
        "city": "Paris",
        "description": "say capture",
        **(state.get("args") or {}),
    }
    return "function", json.dumps(_schema_args(schema, overrides))


# -- Responses API (Codex backend, Copilot /responses) ----------------------------------


def _responses_usage() -> dict[str, Any]:
    return {
        "input_tokens": 20,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 2},
        "total_tokens": 25,
    }


def _responses_answer(flow: http.HTTPFlow, body: Any, state: dict[str, Any]) -> None:
    body = body if isinstance(body, dict) else {}
    model = body.get("model", "model")
    n = int(time.time() * 1000)
    rid = f"resp_{n}"
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "response": {"id": rid, "model": model, "status": "in_progress"},
        }
    ]
    reasoning = {
        "type": "reasoning",
        "id": f"rs_{n}",
        "summary": [{"type": "summary_text", "text": "Thinking about it."}],
        "encrypted_content": "gAAAAAcapture-encrypted-reasoning",
    }
    events.append({"type": "response.output_item.done", "output_index": 0, "item": reasoning})
    tools = list(body.get("tools") or [])
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            tools += list(item.get("tools") or [])
    flat = _flat_tools(tools)
    tool = None
    if state.get("scenario") == "tool" and not _has_tool_result(body):
        tool = _pick_tool(flat, state.get("tool"))
    if tool is not None:
        kind, payload = _tool_input(tool, state)
        if kind == "custom":
            item = {
                "type": "custom_tool_call",
                "id": f"ctc_{n}",
                "call_id": f"call_{n}",
                "name": tool["name"],
                "input": payload,
                "status": "completed",
            }
        else:
            item = {
                "type": "function_call",
                "id": f"fc_{n}",
                "call_id": f"call_{n}",
                "name": tool["name"],
                "arguments": payload,
                "status": "completed",
            }
        if tool.get("_namespace"):
            item["namespace"] = tool["_namespace"]
    else:
        item = {
            "type": "message",
            "id": f"msg_{n}",
            "role": "assistant",
            "status": "completed",
            "phase": "final_answer",
            "content": [{"type": "output_text", "text": "Capture done.", "annotations": []}],
        }
    events.append({"type": "response.output_item.added", "output_index": 1, "item": item})
    if item["type"] == "message":
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": item["id"],
                "output_index": 1,
                "content_index": 0,
                "delta": "Capture done.",
            }
        )
    events.append({"type": "response.output_item.done", "output_index": 1, "item": item})
    # The ChatGPT backend ends with an empty ``output`` (protocol note); the Copilot CLI
    # rebuilds its answer from ``response.completed.output``, so give it the items there.
    full = "githubcopilot.com" in flow.request.pretty_host
    events.append(
        {
            "type": "response.completed",
            "response": {
                "id": rid,
                "model": model,
                "status": "completed",
                "output": [reasoning, item] if full else [],
                "usage": _responses_usage(),
            },
        }
    )
    _sse(flow, events)


# -- Anthropic Messages (Copilot /v1/messages) -----------------------------------------


def _messages_answer(flow: http.HTTPFlow, body: Any, state: dict[str, Any]) -> None:
    body = body if isinstance(body, dict) else {}
    n = int(time.time() * 1000)
    model = body.get("model", "claude")
    tool = None
    if state.get("scenario") == "tool" and not _has_tool_result(body):
        tool = _pick_tool(_flat_tools(body.get("tools") or []), state.get("tool"))
    usage = {"input_tokens": 20, "output_tokens": 1, "cache_read_input_tokens": 0}
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": f"msg_{n}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage,
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Thinking about it."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJlLWNhcHR1cmU="},
        },
        {"type": "content_block_stop", "index": 0},
    ]
    if tool is not None:
        _, args = _tool_input(tool, state)
        events += [
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {
                    "type": "tool_use",
                    "id": f"toolu_{n}",
                    "name": tool["name"],
                    "input": {},
                },
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": args},
            },
            {"type": "content_block_stop", "index": 1},
        ]
        stop = "tool_use"
    else:
        events += [
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": ""},
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "text_delta", "text": "Capture done."},
            },
            {"type": "content_block_stop", "index": 1},
        ]
        stop = "end_turn"
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ]
    _sse(flow, events)


# -- Chat Completions (Copilot /chat/completions) --------------------------------------


def _chat_answer(flow: http.HTTPFlow, body: Any, state: dict[str, Any]) -> None:
    body = body if isinstance(body, dict) else {}
    n = int(time.time() * 1000)
    model = body.get("model", "model")
    tool = None
    if state.get("scenario") == "tool" and not _has_tool_result(body):
        tool = _pick_tool(_flat_tools(body.get("tools") or []), state.get("tool"))
    base = {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion.chunk",
        "created": n // 1000,
        "model": model,
    }
    chunks: list[dict[str, Any]] = [
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "content": None,
                        "reasoning_text": "Thinking about it.",
                        "reasoning_opaque": "b3BhcXVlLWNhcHR1cmU=",
                    },
                }
            ],
        }
    ]
    if tool is not None:
        _, args = _tool_input(tool, state)
        chunks.append(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": f"call_{n}",
                                    "type": "function",
                                    "function": {"name": tool["name"], "arguments": args},
                                }
                            ]
                        },
                    }
                ],
            }
        )
        finish = "tool_calls"
    else:
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": "Capture done."}}]})
        finish = "stop"
    chunks.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        }
    )
    _sse(flow, chunks, named=False, done=True)


# ---------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------


def _copilot_user() -> dict[str, Any]:
    return {
        "login": "capture-user",
        "access_type_sku": "free_educational_quota",
        "analytics_tracking_id": "0" * 32,
        "assigned_date": None,
        "can_signup_for_limited": False,
        "chat_enabled": True,
        "copilot_plan": "individual",
        "is_mcp_enabled": True,
        "organization_login_list": [],
        "organization_list": [],
        "restricted_telemetry": False,
        "endpoints": {
            "api": "https://api.individual.githubcopilot.com",
            "origin-tracker": "https://origin-tracker.individual.githubcopilot.com",
            "proxy": "https://proxy.individual.githubcopilot.com",
            "telemetry": "https://telemetry.individual.githubcopilot.com",
        },
        "quota_reset_date": "2026-12-01",
        "quota_snapshots": {
            "chat": {
                "entitlement": 0,
                "percent_remaining": 100.0,
                "remaining": 0,
                "unlimited": True,
            },
            "completions": {
                "entitlement": 0,
                "percent_remaining": 100.0,
                "remaining": 0,
                "unlimited": True,
            },
            "premium_interactions": {
                "entitlement": 300,
                "percent_remaining": 100.0,
                "remaining": 300,
                "unlimited": False,
                "overage_permitted": False,
            },
        },
    }


def request(flow: http.HTTPFlow) -> None:
    entry = _record(flow)
    state = _state()
    host = flow.request.pretty_host
    path = flow.request.path.split("?", 1)[0]
    method = flow.request.method
    body = entry["body"]

    # -- OpenAI / ChatGPT ------------------------------------------------------------
    if host == "auth.openai.com" and path == "/oauth/token":
        with _LOCK:
            _STATE_SEEN["refreshed"] = True
        _json(flow, codex_tokens())
        return
    if host == "chatgpt.com":
        if path.endswith("/wham/accounts/check"):
            _json(
                flow,
                {
                    "accounts": [
                        {
                            "id": ACCOUNT_ID,
                            "workspace_backend_origin": "https://chatgpt.com",
                            "account_routing_override": "NO_CONSTRAINT",
                        }
                    ]
                },
            )
            return
        if path.endswith("/codex/models"):
            _json(flow, state.get("codex_models") or {"models": []}, 200)
            return
        if path.endswith("/codex/responses") and method == "GET":
            _json(flow, {"detail": "Upgrade Required"}, 426)
            return
        if path.endswith("/codex/responses") and method == "POST":
            if _refresh_gate(flow, state):
                return
            _responses_answer(flow, body, state)
            return
        _json(flow, {})
        return

    # -- GitHub / Copilot --------------------------------------------------------------
    if host == "api.github.com":
        if path == "/copilot_internal/user":
            _json(flow, _copilot_user())
            return
        if path == "/user":
            _json(flow, {"login": "capture-user", "id": 1, "name": "Capture User"})
            return
        _json(flow, {})
        return
    if host.endswith("githubcopilot.com"):
        if path == "/models":
            _json(flow, {"data": state.get("copilot_models") or [], "object": "list"})
            return
        if path.startswith("/models/") and path.endswith("/policy"):
            _json(flow, {"state": "enabled"})
            return
        if method == "POST" and path in ("/v1/messages", "/responses", "/chat/completions"):
            if _refresh_gate(flow, state):
                return
            {"/v1/messages": _messages_answer, "/responses": _responses_answer}.get(
                path, _chat_answer
            )(flow, body, state)
            return
        _json(flow, {})
        return
    _json(flow, {}, 200)


def _refresh_gate(flow: http.HTTPFlow, state: dict[str, Any]) -> bool:
    """In the ``refresh`` scenario: 401 the model call until a refresh happened."""
    if state.get("scenario") != "refresh":
        return False
    with _LOCK:
        if _STATE_SEEN["refreshed"] or _STATE_SEEN["unauthorized"] >= 4:
            return False
        _STATE_SEEN["unauthorized"] += 1
    _json(
        flow,
        {"error": {"message": "Your authentication token has expired.", "code": "token_expired"}},
        401,
    )
    return True


def websocket_handshake(flow: http.HTTPFlow) -> None:  # pragma: no cover - safety net
    _json(flow, {"detail": "Upgrade Required"}, 426)
