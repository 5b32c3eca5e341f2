"""The simulator's default answer (pure, deterministic, so tests can assert content): what
:func:`plan_reply` makes of a request, and :func:`plan_events`, its stream."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex.testing.codex_backend.events import (
    JSON,
    Event,
    estimate_tokens,
    reasoning_events,
    response_stream,
    text_events,
    tool_call_events,
    usage,
)
from litellm_codex.testing.codex_backend.validation import declared_tools

__all__ = ["ReplyPlan", "count_input_tokens", "plan_events", "plan_reply", "sample_from_schema"]


@dataclass
class ReplyPlan:
    """What the simulated model answers: optional reasoning, then tool calls or text."""

    text: str | None = None
    #: ``(name, arguments JSON string)`` per call.
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    #: Summary paragraphs; ``None`` = no reasoning item, ``[]`` = reasoning without summary.
    reasoning: list[str] | None = None
    reasoning_effort: str | None = None
    encrypted_reasoning: bool = False
    #: Set when the tools were declared in an ``additional_tools`` namespace (Lite).
    tool_namespace: str | None = None


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]


def _last_user_message(items: Sequence[Any]) -> JSON | None:
    for item in reversed(items):
        if (
            isinstance(item, dict)
            and item.get("type", "message") == "message"
            and item.get("role") == "user"
        ):
            return item
    return None


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return " ".join(_texts(output))


def sample_from_schema(schema: Any, text: str = "", *, root: Any = None, depth: int = 0) -> Any:
    """A value matching a (simple) JSON schema: required keys filled by type.

    Strings become ``text``; numbers 1 / 1.5; booleans ``True``; arrays one element;
    ``enum``/``const`` their first value; ``anyOf``/``oneOf`` the first branch; local
    ``$ref`` (``#/$defs/..``, ``#/definitions/..``) is followed. Without ``required``
    every property is filled.
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return sample_from_schema(target, text, root=root, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample_from_schema(schema[key][0], text, root=root, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        keys = schema.get("required")
        if not isinstance(keys, list):
            keys = list(props)
        return {
            k: sample_from_schema(props.get(k, {}), text, root=root, depth=depth + 1) for k in keys
        }
    if kind == "array":
        return [sample_from_schema(schema.get("items", {}), text, root=root, depth=depth + 1)]
    return {"string": text, "integer": 1, "number": 1.5, "boolean": True}.get(kind)


_CALL_MARKER = re.compile(r"\bcall\s+", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][\w-]*")


def _parse_calls(text: str, tools: Mapping[str, JSON]) -> list[tuple[str, str | None]]:
    """``call a {"x": 1} and b`` -> ``[("a", '{"x": 1}'), ("b", None)]`` (names in ``tools``)."""
    calls: list[tuple[str, str | None]] = []
    decoder = json.JSONDecoder()
    for marker in _CALL_MARKER.finditer(text):
        pos = marker.end()
        while True:
            while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
                pos += 1
            match = _NAME.match(text, pos)
            if match is None:
                break
            if match.group().lower() == "and":
                pos = match.end()
                continue
            if match.group() not in tools:
                break
            pos = match.end()
            args: str | None = None
            rest = len(text[pos:]) - len(text[pos:].lstrip())
            if text[pos + rest : pos + rest + 1] == "{":
                try:
                    value, end = decoder.raw_decode(text, pos + rest)
                except ValueError:
                    value, end = None, pos
                if isinstance(value, dict):
                    args, pos = json.dumps(value), end
            calls.append((match.group(), args))
        if calls:
            break
    return calls


def plan_reply(body: Mapping[str, Any]) -> ReplyPlan:
    """Decide the default reply to a (validated) ``/responses`` body; rules in the module
    docstring."""
    items = body.get("input") or []
    user = _last_user_message(items)
    user_text = " ".join(_texts(user.get("content"))) if user else ""
    plan = ReplyPlan()

    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort", "medium") != "none":
        plan.reasoning_effort = reasoning.get("effort") or "medium"
        summary = reasoning.get("summary")
        plan.reasoning = []
        if summary in ("auto", "concise", "detailed"):
            short = user_text if len(user_text) <= 60 else user_text[:57] + "..."
            plan.reasoning.append(f"Thinking about: {short}")
            if summary == "detailed":
                plan.reasoning.append("Planning the answer step by step.")
        plan.encrypted_reasoning = "reasoning.encrypted_content" in (body.get("include") or [])

    # Trailing tool outputs: the model answers with their content.
    outputs: list[str] = []
    for item in reversed(items):
        if isinstance(item, dict) and item.get("type") in (
            "function_call_output",
            "custom_tool_call_output",
        ):
            outputs.append(_output_text(item.get("output")))
        else:
            break
    tools = {
        t["name"]: t
        for t in declared_tools(body) or []
        if isinstance(t, dict) and t.get("type") == "function" and "name" in t
    }
    if body.get("tools") is None and tools:
        # Tools declared in a namespace: the calls name it (see tool_call_events).
        plan.tool_namespace = "functions"
    choice = body.get("tool_choice")
    if not outputs and tools and choice != "none":
        calls = _parse_calls(user_text, tools)
        if not calls and isinstance(choice, dict) and choice.get("name") in tools:
            calls = [(choice["name"], None)]
        elif not calls and choice == "required":
            calls = [(next(iter(tools)), None)]
        if body.get("parallel_tool_calls") is False:
            calls = calls[:1]
        for name, args in calls:
            if args is None:
                value = sample_from_schema(tools[name].get("parameters") or {}, "sample")
                args = json.dumps(value if isinstance(value, dict) else {})
            plan.tool_calls.append((name, args))
        if plan.tool_calls:
            return plan

    if outputs:
        plain = "tool result: " + "; ".join(reversed(outputs))
    else:
        images = sum(
            1
            for p in (user.get("content") if user else None) or []
            if isinstance(p, dict) and p.get("type") == "input_image"
        )
        plain = f"echo: {user_text}"
        if images:
            plain = f"I see {images} image(s). {plain}"
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        plan.text = json.dumps(sample_from_schema(fmt.get("schema") or {}, plain))
    elif fmt.get("type") == "json_object":
        plan.text = json.dumps({"answer": plain})
    else:
        plan.text = plain
    return plan


_EFFORT_TOKENS = {"minimal": 0, "low": 8, "medium": 16, "high": 32, "xhigh": 64}


def count_input_tokens(body: Mapping[str, Any]) -> int:
    """Rough input size: instructions, every text, call and output; 85 per image."""
    total = estimate_tokens(str(body.get("instructions") or ""))
    for item in body.get("input") or []:
        if not isinstance(item, dict):
            continue
        for text in _texts(item.get("content")):
            total += estimate_tokens(text)
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                total += 85
        for key in ("name", "arguments", "input"):
            if isinstance(item.get(key), str):
                total += estimate_tokens(item[key])
        if "output" in item:
            total += estimate_tokens(_output_text(item["output"]))
    tools = declared_tools(body)
    if tools:
        total += estimate_tokens(json.dumps(tools))
    return total


def plan_events(
    plan: ReplyPlan,
    model: str,
    *,
    input_tokens: int = 0,
    cached_tokens: int = 0,
    response_id: str | None = None,
    completed_output: bool = False,
) -> list[Event]:
    """The numbered event stream for ``plan`` (reasoning, then tool calls or the text)."""
    items: list[list[Event]] = []
    reasoning_tokens = output_tokens = 0
    if plan.reasoning is not None:
        encrypted = None
        if plan.encrypted_reasoning:
            encrypted = "gAAAAB" + base64.b64encode(json.dumps(plan.reasoning).encode()).decode()
        items.append(reasoning_events(plan.reasoning, encrypted_content=encrypted))
        reasoning_tokens = sum(estimate_tokens(p) for p in plan.reasoning) + _EFFORT_TOKENS.get(
            plan.reasoning_effort or "medium", 16
        )
    for name, args in plan.tool_calls:
        items.append(tool_call_events(name, args, namespace=plan.tool_namespace))
        output_tokens += estimate_tokens(name) + estimate_tokens(args)
    if not plan.tool_calls and plan.text is not None:
        items.append(text_events(plan.text))
        output_tokens += estimate_tokens(plan.text)
    output_tokens += reasoning_tokens
    return response_stream(
        model,
        items,
        response_id=response_id,
        completed_output=completed_output,
        usage=usage(
            input_tokens,
            output_tokens,
            cached_tokens=min(cached_tokens, input_tokens),
            reasoning_tokens=reasoning_tokens,
        ),
    )
