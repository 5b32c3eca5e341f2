"""Local validation of a chat call, for both providers, before any network I/O.

The backends answer bad input with a 400 at best (after a credentials refresh and a round
trip) and at worst accept it and do something else (Codex treats ``input: []`` as an empty
conversation). :func:`validate_call` refuses it first, with a
:class:`~litellm_codex.errors.ConfigurationError` (``litellm.BadRequestError``) that names
the parameter: ``messages[2].content[0].image_url``, ``tools[1].function.parameters``,
``tool_choice``, ``reasoning_effort``...

Only what we read or forward is checked, and only its shape: values the backends decide
(which models take which reasoning effort) are left to them. Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from litellm_codex.errors import ConfigurationError

__all__ = ["ROLES", "validate_call", "validate_messages", "validate_params"]

#: Chat Completions roles (``function`` is the legacy tool role).
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
#: Content part types the translators handle (responses_request.py, copilot_chat.py,
#: copilot_headers.py).
PART_TYPES = frozenset({"text", "input_text", "image_url", "input_image", "file", "refusal"})
#: JSON Schema's type names (draft 2020-12, §6.1.1).
SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
#: OpenAI's rule for function names.
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_TOOL_CHOICES = frozenset({"auto", "none", "required"})

_NUMBER = (int, float)
#: Parameter -> (accepted types, description for the message). ``bool`` is excluded from
#: the numeric ones below.
_PARAM_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "temperature": (_NUMBER, "a number"),
    "top_p": (_NUMBER, "a number"),
    "presence_penalty": (_NUMBER, "a number"),
    "frequency_penalty": (_NUMBER, "a number"),
    "max_tokens": ((int,), "a positive integer"),
    "max_completion_tokens": ((int,), "a positive integer"),
    "max_output_tokens": ((int,), "a positive integer"),
    "n": ((int,), "a positive integer"),
    "seed": ((int,), "an integer"),
    "top_logprobs": ((int,), "an integer"),
    "reasoning_effort": ((str,), "a string such as 'low', 'medium' or 'high'"),
    "reasoning_summary": ((str,), "a string such as 'auto' or 'detailed'"),
    "verbosity": ((str,), "a string such as 'low', 'medium' or 'high'"),
    "service_tier": ((str,), "a string"),
    "user": ((str,), "a string"),
    "prompt_cache_key": ((str,), "a string"),
    "parallel_tool_calls": ((bool,), "true or false"),
    "logprobs": ((bool,), "true or false"),
    "store": ((bool,), "true or false"),
    "reasoning": ((Mapping,), "an object like {'effort': 'medium'}"),
    "response_format": ((Mapping,), "an object like {'type': 'json_object'}"),
    "stream_options": ((Mapping,), "an object like {'include_usage': true}"),
    "metadata": ((Mapping,), "an object"),
    "extra_body": ((Mapping,), "an object"),
    "tools": ((list, tuple), "a list of tools"),
    "functions": ((list, tuple), "a list of functions"),
}
_POSITIVE = frozenset({"max_tokens", "max_completion_tokens", "max_output_tokens", "n"})


def _bad(text: str) -> ConfigurationError:
    return ConfigurationError(text)


def validate_call(messages: Any, params: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` naming the first bad parameter, else nothing."""
    validate_messages(messages)
    validate_params(params)


# -- messages ------------------------------------------------------------------------------


def validate_messages(messages: Any) -> None:
    """Check ``messages``: a non-empty list of chat messages with known roles and parts."""
    if not isinstance(messages, (list, tuple)):
        raise _bad("`messages` must be a list of chat messages")
    if not messages:
        raise _bad("`messages` is empty: send at least one message")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping):
            raise _bad(f"`{where}` must be an object with `role` and `content`")
        role = message.get("role")
        if role not in ROLES:
            raise _bad(f"`{where}.role` is {role!r}; expected one of {', '.join(sorted(ROLES))}")
        _content(message.get("content"), where)
        if role == "assistant" and message.get("tool_calls") is not None:
            _tool_calls(message["tool_calls"], where)
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise _bad(f"`{where}.tool_call_id` must be the id of the tool call answered")


def _content(content: Any, where: str) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, (list, tuple)):
        raise _bad(f"`{where}.content` must be a string or a list of content parts")
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        if not isinstance(part, Mapping):
            raise _bad(f"`{at}` must be an object with a `type`")
        kind = part.get("type")
        if kind not in PART_TYPES:
            raise _bad(f"`{at}.type` is {kind!r}; expected one of {', '.join(sorted(PART_TYPES))}")
        if kind in ("text", "input_text") and not isinstance(part.get("text"), str):
            raise _bad(f"`{at}.text` must be a string")
        if kind in ("image_url", "input_image"):
            _image(part, at)


def _image(part: Mapping[str, Any], at: str) -> None:
    raw = part.get("image_url")
    url = raw.get("url") if isinstance(raw, Mapping) else raw
    name = f"{at}.image_url" + (".url" if isinstance(raw, Mapping) else "")
    if not isinstance(url, str) or not url:
        raise _bad(f"`{name}` must be an http(s) URL or a data: URL")
    if url.startswith("data:"):
        header, comma, payload = url[5:].partition(",")
        if not comma or not payload or not header.lower().startswith("image/"):
            raise _bad(
                f"`{name}` is not a valid image data URL (expected data:image/<type>;base64,<data>)"
            )
        return
    try:
        split = urlsplit(url)
    except ValueError:
        split = None
    if split is None or split.scheme not in ("http", "https") or not split.netloc:
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise _bad(f"`{name}` {shown!r} is not an http(s) URL or a data: URL")


def _tool_calls(calls: Any, where: str) -> None:
    if not isinstance(calls, (list, tuple)):
        raise _bad(f"`{where}.tool_calls` must be a list")
    for k, call in enumerate(calls):
        at = f"{where}.tool_calls[{k}]"
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise _bad(f"`{at}.function.name` must be a string")
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, (str, Mapping)):
            raise _bad(f"`{at}.function.arguments` must be a JSON string")


# -- parameters ----------------------------------------------------------------------------


def validate_params(params: Mapping[str, Any]) -> None:
    """Check the types of the parameters we read, the tools and ``tool_choice``."""
    for name, (types, what) in _PARAM_TYPES.items():
        value = params.get(name)
        if value is None:
            continue
        numeric = types in (_NUMBER, (int,))
        if not isinstance(value, types) or (numeric and isinstance(value, bool)):
            raise _bad(f"`{name}` must be {what}, not {type(value).__name__} {value!r:.40}")
        if name in _POSITIVE and isinstance(value, int) and value < 1:
            raise _bad(f"`{name}` must be {what}, not {value!r}")
    stop = params.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop))
    ):
        raise _bad("`stop` must be a string or a list of strings")
    names = _tools(params.get("tools"), "tools")
    legacy = _legacy_functions(params.get("functions"))
    _tool_choice(params.get("tool_choice"), names, "tool_choice", "tools")
    _tool_choice(params.get("function_call"), legacy, "function_call", "functions")


def _tools(tools: Any, param: str) -> list[str]:
    names: list[str] = []
    for i, tool in enumerate(tools or ()):
        at = f"{param}[{i}]"
        if not isinstance(tool, Mapping):
            raise _bad(f"`{at}` must be an object like {{'type': 'function', 'function': {{...}}}}")
        function = tool.get("function")
        if tool.get("type", "function") != "function" or not isinstance(function, Mapping):
            # Other tool types (web_search...) are the translators' business.
            continue
        names.append(_function(function, f"{at}.function"))
    return names


def _legacy_functions(functions: Any) -> list[str]:
    return [
        _function(f, f"functions[{i}]") if isinstance(f, Mapping) else _not_object(i)
        for i, f in enumerate(functions or ())
    ]


def _not_object(i: int) -> str:
    raise _bad(f"`functions[{i}]` must be an object with `name` and `parameters`")


def _function(function: Mapping[str, Any], at: str) -> str:
    name = function.get("name")
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
        raise _bad(
            f"`{at}.name` must be 1-128 letters, digits, '_', '-', '.' or ':', not {name!r:.40}"
        )
    parameters = function.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise _bad(f"`{at}.parameters` must be a JSON Schema object, not {parameters!r:.40}")
        kind = parameters.get("type", "object")
        if kind != "object":
            raise _bad(
                f"`{at}.parameters` must be a JSON Schema with type 'object', not {kind!r:.40}"
            )
        _schema(parameters, f"{at}.parameters")
    return name


def _schema(schema: Any, at: str, depth: int = 0) -> None:
    """Type names in a JSON Schema must be JSON Schema's (``{"type": "banana"}`` is not)."""
    if depth > 64:
        raise _bad(f"`{at}` is nested too deeply")
    if isinstance(schema, bool):
        return  # true / false are schemas
    if not isinstance(schema, Mapping):
        raise _bad(f"`{at}` must be a JSON Schema object, not {schema!r:.40}")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        for k in kinds:
            if k not in SCHEMA_TYPES:
                raise _bad(
                    f"`{at}.type` is {k!r:.40}, not a JSON Schema type "
                    f"({', '.join(sorted(SCHEMA_TYPES))})"
                )
    for key in ("properties", "patternProperties", "$defs", "definitions"):
        sub = schema.get(key)
        if sub is None:
            continue
        if not isinstance(sub, Mapping):
            raise _bad(f"`{at}.{key}` must be an object mapping names to schemas")
        for name, value in sub.items():
            _schema(value, f"{at}.{key}.{name}", depth + 1)
    for key in ("items", "additionalProperties", "not", "contains", "if", "then", "else"):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            _schema(sub, f"{at}.{key}", depth + 1)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        sub = schema.get(key)
        if sub is None:
            continue
        if not isinstance(sub, list):
            raise _bad(f"`{at}.{key}` must be a list of schemas")
        for k, value in enumerate(sub):
            _schema(value, f"{at}.{key}[{k}]", depth + 1)


def _tool_choice(choice: Any, names: list[str], param: str, declared_in: str) -> None:
    if choice is None:
        return
    if isinstance(choice, str):
        if choice in _TOOL_CHOICES or (param == "function_call" and choice in ("auto", "none")):
            if choice == "required" and not names:
                raise _bad(f"`{param}` is 'required' but no `{declared_in}` are declared")
            return
        raise _bad(f"`{param}` is {choice!r:.40}; expected 'auto', 'none', 'required' or a tool")
    if not isinstance(choice, Mapping):
        raise _bad(f"`{param}` must be a string or an object naming a tool")
    function = choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
    if not isinstance(name, str) or not name:
        if choice.get("type") not in (None, "function"):
            return  # a built-in tool choice ({"type": "web_search"}): the backend decides
        raise _bad(
            f"`{param}` must name a function: {{'type': 'function', 'function': {{'name': ...}}}}"
        )
    if name not in names:
        declared = ", ".join(names) if names else "none"
        raise _bad(
            f"`{param}` names {name!r}, which is not among the declared `{declared_in}` "
            f"({declared}); declare it or choose another"
        )
