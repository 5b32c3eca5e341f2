"""What the ChatGPT backend refuses in a ``/responses`` body, and how (§2.4 and
reference-clients-2026-11.md §1): :func:`validate_request` gives the ``(status, error
body)`` the real service answers, or ``None``. Pure."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any

from litellm_codex.testing.codex_backend.events import JSON

__all__ = [
    "ALLOWED_PARAMETERS",
    "Problem",
    "declared_tools",
    "detail_error",
    "validate_request",
    "version_tuple",
]

#: Top-level body keys the backend accepts; any other key is ``Unsupported parameter``.
#: (Codex's own request struct, §2.2, plus what LiteLLM keeps, §2.4.)
ALLOWED_PARAMETERS = frozenset(
    {
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
        "prompt_cache_key",
        "text",
        "service_tier",
        "client_metadata",
        "truncation",
    }
)

_INPUT_CONTENT_TYPES = ("input_text", "input_image", "input_file")
_OUTPUT_CONTENT_TYPES = ("output_text", "refusal")
_ITEM_TYPES = (
    "message",
    "function_call",
    "function_call_output",
    "reasoning",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "web_search_call",
    "compaction",
    "item_reference",
    "additional_tools",
)
_VERBOSITY = ("low", "medium", "high")
_SUMMARY = ("auto", "concise", "detailed", "none")

Problem = tuple[int, JSON]


def detail_error(message: str, status: int = 400) -> Problem:
    # Gate errors of the ChatGPT backend itself: {"detail": "..."} (§2.4).
    return status, {"detail": message}


def _invalid(
    message: str, param: str | None, code: str | None = None, status: int = 400
) -> Problem:
    # Errors of the model API behind the gate: {"error": {...}} (§4.1).
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def _quote_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


def validate_request(
    body: Any, models: Sequence[JSON], headers: Mapping[str, str] | None = None
) -> Problem | None:
    """Check a ``/responses`` body like the real backend; ``(status, error body)`` or ``None``.

    Pure: ``models`` is the catalog whose slugs are accepted; ``headers`` (lower-case
    names), when given, are checked too: the ``version`` gate and the Lite marker.
    """
    if not isinstance(body, dict):
        return detail_error("Request body must be a JSON object")
    # The three gates every third-party client hits first (§2.4).
    if body.get("stream") is not True:
        return detail_error("Stream must be set to true")
    if body.get("store") is not False:  # a missing field fails too (openclaw#138703)
        return detail_error("Store must be set to false")
    instructions = body.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or not instructions.strip()):
        return detail_error("Instructions are required")
    if instructions is None and not _has_developer_message(body.get("input")):
        # Today's reference sends no `instructions` but developer messages (§1.3); with
        # neither, the old gate applies (simulator decision).
        return detail_error("Instructions are required")
    for key in body:
        if key not in ALLOWED_PARAMETERS:
            return detail_error(f"Unsupported parameter: {key}")
    model = body.get("model")
    info = next((m for m in models if m.get("slug") == model), None)
    refused = detail_error(
        f"The '{model}' model is not supported when using Codex with a ChatGPT account."
    )
    if info is None:
        if not isinstance(model, str) or not model:
            return detail_error("Model is required")  # simulator decision: wording not observed
        return refused
    if headers is not None:
        # Models above the caller's `version` are refused like unknown ones (§1.1, third-
        # party reports); a missing header counts as the oldest client.
        have = version_tuple(headers.get("version") or "0")
        if have < version_tuple(str(info.get("minimal_client_version") or "0")):
            return refused
    return (
        _check_shape(body, info, headers)
        or _check_client_metadata(body.get("client_metadata"))
        or _check_input(body.get("input"))
        or _check_tools(declared_tools(body), body.get("tool_choice"))
        or _check_reasoning(body.get("reasoning"), info)
        or _check_text(body.get("text"), info)
        or _check_include(body.get("include"))
    )


def _check_client_metadata(metadata: Any) -> Problem | None:
    """``client_metadata`` is a string-to-string map (reference-clients-2026-11.md §1.3);
    the wording is the public API's for ``metadata`` (simulator decision)."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return _invalid(
            "Invalid type for 'client_metadata': expected an object, but got "
            f"{_type_name(metadata)} instead.",
            "client_metadata",
            "invalid_type",
        )
    for key, value in metadata.items():
        if not isinstance(value, str):
            return _invalid(
                f"Invalid type for 'client_metadata.{key}': expected a string, but got "
                f"{_type_name(value)} instead.",
                f"client_metadata.{key}",
                "invalid_type",
            )
    return None


def _has_developer_message(items: Any) -> bool:
    return isinstance(items, list) and any(
        isinstance(item, dict)
        and item.get("type", "message") == "message"
        and item.get("role") in ("developer", "system")
        for item in items
    )


def declared_tools(body: Mapping[str, Any]) -> Any:
    """Top-level ``tools``, or (Lite) the tools of the ``additional_tools`` namespaces."""
    if body.get("tools") is not None:
        return body.get("tools")
    found: list[Any] = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            for group in item.get("tools") or []:
                if isinstance(group, dict) and group.get("type") == "namespace":
                    found.extend(group.get("tools") or [])
                else:
                    found.append(group)
    return found or None


def _check_shape(body: JSON, info: JSON, headers: Mapping[str, str] | None) -> Problem | None:
    """The "Responses Lite" shape for Lite models, the classic one for the others (§1.3).

    Simulator decision: the real answers to a wrong shape were not observed; these are
    400s in the model API's error shape naming the offending field.
    """
    lite = info.get("use_responses_lite") is True
    slug = info.get("slug")
    marker = (headers or {}).get("x-openai-internal-codex-responses-lite")
    raw_items = body.get("input")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    extra = [i for i in items if isinstance(i, dict) and i.get("type") == "additional_tools"]
    raw_reasoning = body.get("reasoning")
    reasoning: JSON = raw_reasoning if isinstance(raw_reasoning, dict) else {}
    if lite:
        if headers is not None and marker != "true":
            return _invalid(
                f"The '{slug}' model requires the Responses Lite request format.",
                None,
                "unsupported_request_format",
            )
        if body.get("tools"):
            return _invalid(
                f"Unsupported parameter: 'tools' is not supported with the '{slug}' model; "
                "declare tools in an 'additional_tools' input item.",
                "tools",
                "unsupported_parameter",
            )
        if body.get("parallel_tool_calls") is True:
            return _invalid(
                f"Unsupported value: 'parallel_tool_calls' must be false with the '{slug}' model.",
                "parallel_tool_calls",
                "unsupported_value",
            )
        if extra and items and items[0] is not extra[0]:
            return _invalid(
                "The 'additional_tools' item must be the first input item.",
                "input",
                "invalid_value",
            )
        for j, group in enumerate(extra[0].get("tools") or [] if extra else []):
            if not isinstance(group, dict) or group.get("type") != "namespace":
                return _invalid(
                    f"Invalid value for 'input[0].tools[{j}]': expected a namespace.",
                    f"input[0].tools[{j}]",
                    "invalid_value",
                )
        for i, item in enumerate(items):
            for j, part in enumerate(item.get("content") or [] if isinstance(item, dict) else []):
                if (
                    isinstance(part, dict)
                    and part.get("type") == "input_image"
                    and "detail" in part
                ):
                    return _invalid(
                        f"Unsupported parameter: 'input[{i}].content[{j}].detail' is not "
                        f"supported with the '{slug}' model.",
                        f"input[{i}].content[{j}].detail",
                        "unsupported_parameter",
                    )
        if reasoning and reasoning.get("context") != "all_turns":
            return _invalid(
                f"Missing required parameter: 'reasoning.context' for the '{slug}' model.",
                "reasoning.context",
                "missing_required_parameter",
            )
        return None
    if marker is not None:
        return _invalid(
            f"The '{slug}' model does not support the Responses Lite request format.",
            None,
            "unsupported_request_format",
        )
    if extra:
        return _invalid(
            f"Invalid value: 'additional_tools' is not supported with the '{slug}' model.",
            "input",
            "invalid_value",
        )
    if "context" in reasoning:
        return _invalid(
            f"Unknown parameter: 'reasoning.context' is not supported with the '{slug}' model.",
            "reasoning.context",
            "unknown_parameter",
        )
    return None


def _check_input(items: Any) -> Problem | None:
    if not isinstance(items, list):
        # LiteLLM's string `input` is rejected (litellm#38085); wording is ours.
        return detail_error("Input must be a list")
    open_calls: dict[str, int] = {}  # call_id -> index of a call still waiting for output
    for i, item in enumerate(items):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            return _invalid(
                f"Invalid type for '{where}': expected an object, but got "
                f"{_type_name(item)} instead.",
                where,
                "invalid_type",
            )
        if item.get("id") is not None and _needs_lookup(item):
            # With store=false nothing is persisted, so an id is only a reference the
            # server would have to resolve when the item cannot stand on its own: a
            # reasoning item without its encrypted content (can1357/oh-my-pi#41,
            # vercel/ai#7543), an item_reference. Every other id passes and is recorded:
            # Codex CLI 0.171.0 sends ids on all its items with store=false, client-made
            # (msg_, at_, fco_, ctco_) and the server's (rs_, fc_) alike
            # (reference-clients-2026-11.md §1.3), and nothing says the server checks them.
            return _invalid(
                f"Item with id '{item['id']}' not found. Items are not persisted when `store` "
                "is set to false. Try again with `store` set to true, or remove this item "
                "from your input.",
                "input",
                None,
                status=404,
            )
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in _ITEM_TYPES:
            return _invalid(
                f"Invalid value: '{kind}'. Supported values are: {_quote_list(_ITEM_TYPES)}.",
                f"{where}.type",
                "invalid_value",
            )
        problem: Problem | None = None
        if kind == "message":
            problem = _check_message(item, where)
        elif kind in ("function_call", "custom_tool_call"):
            problem = _check_call(item, where, kind)
            if problem is None:
                open_calls[item["call_id"]] = i
        elif kind in ("function_call_output", "custom_tool_call_output"):
            call_id = item.get("call_id")
            if not isinstance(call_id, str) or call_id not in open_calls:
                # Codex's mock enforces this pairing; the wording is the public API's.
                return _invalid(
                    f"No tool call found for function call output with call_id {call_id}.", "input"
                )
            del open_calls[call_id]
            output = item.get("output")
            if not isinstance(output, (str, list)):
                return _invalid(
                    f"Invalid type for '{where}.output': expected a string or an "
                    f"array, but got {_type_name(output)} instead.",
                    f"{where}.output",
                    "invalid_type",
                )
        if problem is not None:
            return problem
    if open_calls:
        call_id = next(iter(open_calls))
        return _invalid(f"No tool output found for function call {call_id}.", "input")
    return None


def _needs_lookup(item: JSON) -> bool:
    """An item the server could only use by looking its id up (simulator decision: the one
    id-carrying shape the reference never sends)."""
    kind = item.get("type")
    if kind == "item_reference":
        return True
    return kind == "reasoning" and not item.get("encrypted_content")


def _check_message(item: JSON, where: str) -> Problem | None:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        return _invalid(
            f"Invalid value: '{role}'. Supported values are: 'assistant', "
            "'system', 'developer', and 'user'.",
            f"{where}.role",
            "invalid_value",
        )
    content = item.get("content")
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return _invalid(
            f"Invalid type for '{where}.content': expected one of a string or an "
            f"array, but got {_type_name(content)} instead.",
            f"{where}.content",
            "invalid_type",
        )
    allowed = _OUTPUT_CONTENT_TYPES if role == "assistant" else _INPUT_CONTENT_TYPES
    for j, part in enumerate(content):
        pwhere = f"{where}.content[{j}]"
        ptype = part.get("type") if isinstance(part, dict) else None
        if ptype not in allowed:
            return _invalid(
                f"Invalid value: '{ptype}'. Supported values are: {_quote_list(allowed)}.",
                f"{pwhere}.type",
                "invalid_value",
            )
        assert isinstance(part, dict)
        if ptype in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            return _invalid(
                f"Missing required parameter: '{pwhere}.text'.",
                f"{pwhere}.text",
                "missing_required_parameter",
            )
        if ptype == "input_image":
            problem = _check_image(part, pwhere)
            if problem is not None:
                return problem
    return None


def _check_image(part: JSON, where: str) -> Problem | None:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if isinstance(part.get("file_id"), str):
            return None
        return _invalid(
            f"Missing required parameter: '{where}.image_url'.",
            f"{where}.image_url",
            "missing_required_parameter",
        )
    if url.startswith("data:"):
        head, sep, data = url.partition(",")
        ok = bool(sep) and head.endswith(";base64") and head[5:].startswith("image/")
        if ok:
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                ok = False
        if not ok:
            # Codex matches this text to report InvalidImageRequest (§2.3).
            return _invalid(
                "The image data you provided does not represent a valid image. "
                "Please check your input and try again with one of the supported "
                "image formats.",
                None,
                "invalid_value",
            )
    elif not url.startswith(("http://", "https://")):
        return _invalid(
            f"Invalid value for '{where}.image_url': expected a URL or a data URL.",
            f"{where}.image_url",
            "invalid_value",
        )
    return None


def _check_call(item: JSON, where: str, kind: str) -> Problem | None:
    fields = (
        ("call_id", "name", "arguments")
        if kind == "function_call"
        else ("call_id", "name", "input")
    )
    for name in fields:
        if name not in item:
            return _invalid(
                f"Missing required parameter: '{where}.{name}'.",
                f"{where}.{name}",
                "missing_required_parameter",
            )
        if not isinstance(item[name], str):
            # `arguments` is a JSON *string* (§2.3), a frequent client mistake.
            return _invalid(
                f"Invalid type for '{where}.{name}': expected a string, but got "
                f"{_type_name(item[name])} instead.",
                f"{where}.{name}",
                "invalid_type",
            )
    return None


def _check_tools(tools: Any, tool_choice: Any) -> Problem | None:
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            return _invalid(
                f"Invalid type for 'tools': expected an array, but got "
                f"{_type_name(tools)} instead.",
                "tools",
                "invalid_type",
            )
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
                return _invalid(
                    f"Missing required parameter: 'tools[{i}].type'.",
                    f"tools[{i}].type",
                    "missing_required_parameter",
                )
            if tool["type"] in ("function", "custom"):
                # A Chat Completions tool ({"type": "function", "function": {...}}) lands
                # here: the Responses shape has the name at the top level.
                if not isinstance(tool.get("name"), str) or not tool["name"]:
                    return _invalid(
                        f"Missing required parameter: 'tools[{i}].name'.",
                        f"tools[{i}].name",
                        "missing_required_parameter",
                    )
                names.append(tool["name"])
            if tool["type"] == "function" and not isinstance(tool.get("parameters", {}), dict):
                return _invalid(
                    f"Invalid type for 'tools[{i}].parameters': expected an object, "
                    f"but got {_type_name(tool['parameters'])} instead.",
                    f"tools[{i}].parameters",
                    "invalid_type",
                )
    if tool_choice is None or tool_choice in ("auto", "none", "required"):
        return None
    if isinstance(tool_choice, dict):
        name = tool_choice.get("name")
        if tool_choice.get("type") == "function" and isinstance(name, str):
            if name in names:
                return None
            return _invalid(
                f"Tool choice '{name}' not found in 'tools' parameter.",
                "tool_choice",
                "invalid_value",
            )
        if tool_choice.get("type") != "function":
            return None  # hosted tool choices ({"type": "web_search"}) pass
    return _invalid("Invalid value for 'tool_choice'.", "tool_choice", "invalid_value")


def _check_reasoning(reasoning: Any, info: JSON) -> Problem | None:
    if reasoning is None:
        return None
    if not isinstance(reasoning, dict):
        return _invalid(
            f"Invalid type for 'reasoning': expected an object, but got "
            f"{_type_name(reasoning)} instead.",
            "reasoning",
            "invalid_type",
        )
    effort = reasoning.get("effort")
    levels = [lvl["effort"] for lvl in info.get("supported_reasoning_levels", [])]
    if effort is not None and effort not in levels:
        return _invalid(
            f"Unsupported value: '{effort}' is not supported with the "
            f"'{info['slug']}' model. Supported values are: {_quote_list(levels)}.",
            "reasoning.effort",
            "unsupported_value",
        )
    summary = reasoning.get("summary")
    if summary is not None and summary not in _SUMMARY:
        return _invalid(
            f"Invalid value: '{summary}'. Supported values are: {_quote_list(_SUMMARY)}.",
            "reasoning.summary",
            "invalid_value",
        )
    return None


def _check_text(text: Any, info: JSON) -> Problem | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        return _invalid(
            f"Invalid type for 'text': expected an object, but got {_type_name(text)} instead.",
            "text",
            "invalid_type",
        )
    verbosity = text.get("verbosity")
    if verbosity is not None:
        # Codex models accept only 'medium' (openai/codex#9035, #9055).
        supported = _VERBOSITY if info.get("support_verbosity") else ("medium",)
        if verbosity not in supported:
            return _invalid(
                f"Unsupported value: '{verbosity}' is not supported with the "
                f"'{info['slug']}' model. Supported values are: "
                f"{_quote_list(supported)}.",
                "text.verbosity",
                "unsupported_value",
            )
    fmt = text.get("format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        return _invalid(
            f"Invalid value: '{kind}'. Supported values are: 'text', "
            "'json_object', and 'json_schema'.",
            "text.format.type",
            "invalid_value",
        )
    assert isinstance(fmt, dict)
    if kind == "json_schema":
        for name in ("name", "schema"):
            if name not in fmt:
                # The Chat Completions shape nests these under "json_schema": not here.
                return _invalid(
                    f"Missing required parameter: 'text.format.{name}'.",
                    f"text.format.{name}",
                    "missing_required_parameter",
                )
    return None


def _check_include(include: Any) -> Problem | None:
    if include is None:
        return None
    if not isinstance(include, list) or not all(isinstance(x, str) for x in include):
        return _invalid(
            "Invalid type for 'include': expected an array of strings.", "include", "invalid_type"
        )
    return None


def version_tuple(text: str) -> tuple[int, ...]:
    """``"0.171.0"`` -> ``(0, 171, 0)`` (missing parts are 0; non-digits ignored)."""
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))
