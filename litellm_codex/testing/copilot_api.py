"""A simulator of the GitHub Copilot API (``https://api.githubcopilot.com`` and friends).

Routes, all below an optional ``base_path``:

- ``GET /models``: the model catalogue (:func:`default_models`), shaped like the real list;
- ``POST /chat/completions``: OpenAI Chat Completions, streamed or not, in the shape of the
  vendor behind the model (below);
- ``POST /responses``: the Responses API for models that list it (codex models), built with
  the event builders of :mod:`litellm_codex.testing.codex_backend`;
- ``POST /v1/messages``: the Anthropic Messages API for models that list it (Claude), JSON or
  Anthropic SSE, with ``thinking`` blocks signed by :func:`thinking_signature`; like
  Anthropic, it refuses a thinking block whose signature does not match and, with thinking
  on, an assistant tool-use turn that does not start with its thinking block;
- ``POST /embeddings``.

Client versions (reference-clients-2026-11.md §2): an ``X-GitHub-Api-Version`` older than
:attr:`CopilotApi.oldest_api_version` answers HTTP 466, and the models in
:attr:`CopilotApi.min_editor_versions` refuse older ``Editor-Version``s ("model ... is not
supported in this vscode version, please update"). A GitHub token the exchange refuses
(direct mode, ``GitHubAuthority.issue_github_token(direct=True)``) is accepted as the bearer.

Everything follows ``protocols/github-copilot.md`` (§3-4); where the notes are silent the
choice is marked *simulator decision*. Each request is checked in this order:

1. a queued :class:`Fault` with a status answers first (``controller.queue(...)``);
2. ``Authorization: Bearer <copilot token>`` must be valid for the :class:`GitHubAuthority`
   (else 401 ``unauthorized: token expired``, text, as the real API says);
3. ``Editor-Version`` must be present (else 400 ``bad request: missing Editor-Version
   header for IDE auth``) and, unless ``require_integration_id=False``,
   ``Copilot-Integration-Id`` (simulator decision: Zed works without it, §3.2, but our
   client always sends it, so the simulator holds it to that);
4. the model: unknown or not enabled by policy -> 400 ``model_not_supported``; a chat call
   for a model whose ``supported_endpoints`` lack ``/chat/completions`` -> 400
   ``unsupported_api_for_model`` (and the same for ``/responses``);
5. images without ``Copilot-Vision-Request: true`` -> 400; ``max_tokens`` on an OpenAI
   reasoning model (an OpenAI-vendor catalog entry that lists ``reasoning_effort``) -> 400
   "Use 'max_completion_tokens' instead" (§3.5); a tool call id over 64 characters -> 400
   (§3.6 quirk 6, wording a simulator decision);
6. on ``/v1/messages``, a thinking configuration the model's catalog entry does not have:
   ``thinking.type: adaptive`` without ``adaptive_thinking``, ``enabled`` without
   ``thinking``, an ``output_config.effort`` outside its ``reasoning_effort`` list -> 400
   (Anthropic's refusals; wording a simulator decision).

Per-model behaviour comes from the catalog (:func:`copilot_model` entries, overridable per
simulator), never from the package under test: the simulator imports nothing of it, and
the reference client's identity values it expects are its own copy
(:data:`REFERENCE_IDENTITY`).

The default responder reuses :func:`litellm_codex.testing.codex_backend.plan_reply`, so
both simulators answer alike: ``"echo: <last user text>"``; ``call <name>`` (several with
``and``) in the last user text calls those tools; after tool results ``"tool result:
..."``; images add ``"I see N image(s)."``; ``response_format`` gives JSON. A
``max_tokens`` / ``max_completion_tokens`` below the answer's word count cuts it
(``finish_reason: length``) and ``stop`` strings cut it too.

Vendor shapes on ``/chat/completions`` (§3.6):

- OpenAI (``vendor`` OpenAI / Azure OpenAI): a ``prompt_filter_results`` chunk with empty
  ``choices`` first, one choice, proper tool call indexes; usage on the finish chunk, or
  in a trailing empty-``choices`` chunk when ``stream_options.include_usage`` is set;
- Anthropic: uuid ids, ``role`` repeated in every delta, every tool call on ``index: 0``
  with a new ``tooluse_`` id, reasoning as ``reasoning_text`` when asked for; non-stream
  answers split text (``choices[0]``) and tool calls (``choices[1]``), or, for models in
  :attr:`CopilotApi.anthropic_native`, an Anthropic-native body without ``choices``;
- Google: ``reasoning_text`` deltas before the answer, each tool call whole in one delta.

Successful answers carry ``x-quota-snapshot-premium_interactions`` / ``-chat`` headers
(§4): user-initiated requests (``X-Initiator: user``) to premium models use up the
premium entitlement, agent-initiated ones are free.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litellm_codex.testing import faults
from litellm_codex.testing._server import (
    Request,
    Response,
    SimServer,
    json_response,
)
from litellm_codex.testing._tokens import GitHubAuthority, GitHubUser
from litellm_codex.testing.codex_backend import (
    ReplyPlan,
    count_input_tokens,
    estimate_tokens,
    plan_events,
    plan_reply,
)

__all__ = [
    "DEFAULT_MIN_EDITOR_VERSIONS",
    "DEMO_MODELS",
    "REFERENCE_IDENTITY",
    "CopilotApi",
    "CopilotApiSimulator",
    "Fault",
    "copilot_model",
    "default_models",
    "install_copilot_api",
    "reasoning_opaque",
    "thinking_signature",
    "valid_headers",
]

JSON = dict[str, Any]

# =====================================================================================
# Models (GET /models, §3.4)
# =====================================================================================


def copilot_model(
    model_id: str,
    *,
    name: str | None = None,
    vendor: str = "Azure OpenAI",
    family: str | None = None,
    version: str | None = None,
    kind: str = "chat",
    endpoints: Sequence[str] | None = ("/chat/completions",),
    context: int = 128_000,
    max_output: int = 16_384,
    max_prompt: int = 64_000,
    vision: bool = True,
    tool_calls: bool = True,
    parallel_tool_calls: bool = True,
    structured_outputs: bool = False,
    reasoning_effort: Sequence[str] = (),
    adaptive_thinking: bool = False,
    thinking_budget: tuple[int, int] | None = None,
    premium: bool = False,
    multiplier: float = 0,
    policy: str | None = "enabled",
    picker: bool = True,
    preview: bool = False,
    category: str = "versatile",
    is_chat_default: bool = False,
) -> JSON:
    """One ``/models`` entry with the fields clients read (§3.4). Limits are illustrative."""
    supports: JSON = {"streaming": True}
    limits: JSON = {
        "max_context_window_tokens": context,
        "max_output_tokens": max_output,
        "max_prompt_tokens": max_prompt,
    }
    if kind == "chat":
        supports.update(tool_calls=tool_calls, parallel_tool_calls=parallel_tool_calls)
        if vision:
            supports["vision"] = True
            limits["vision"] = {
                "max_prompt_image_size": 3_145_728,
                "max_prompt_images": 5,
                "supported_media_types": ["image/jpeg", "image/png", "image/webp", "image/gif"],
            }
        if structured_outputs:
            supports["structured_outputs"] = True
        if reasoning_effort:
            supports["reasoning_effort"] = list(reasoning_effort)
        if adaptive_thinking:
            supports["adaptive_thinking"] = True
        if thinking_budget is not None:
            supports.update(
                thinking=True,
                min_thinking_budget=thinking_budget[0],
                max_thinking_budget=thinking_budget[1],
            )
    else:
        supports = {"dimensions": True}
        limits = {"max_inputs": 512}
    entry: JSON = {
        "id": model_id,
        "name": name or model_id,
        "object": "model",
        "vendor": vendor,
        "version": version or model_id,
        "preview": preview,
        "model_picker_enabled": picker,
        "model_picker_category": category,
        "is_chat_default": is_chat_default,
        "is_chat_fallback": False,
        "billing": {
            "is_premium": premium,
            "multiplier": multiplier,
            "restricted_to": ["pro", "pro_plus", "business", "enterprise"] if premium else [],
        },
        "capabilities": {
            "family": family or model_id,
            "type": kind,
            "object": "model_capabilities",
            "tokenizer": "o200k_base",
            "limits": limits,
            "supports": supports,
        },
    }
    if policy is not None:
        entry["policy"] = {"state": policy, "terms": f"Enable access to {name or model_id}."}
    if endpoints is not None:
        entry["supported_endpoints"] = list(endpoints)
    return entry


_DEFAULT_MODELS: tuple[JSON, ...] = (
    copilot_model(
        "gpt-4o",
        name="GPT-4o",
        version="gpt-4o-2024-11-20",
        family="gpt-4o",
        structured_outputs=True,
        max_output=4096,
    ),
    copilot_model(
        "gpt-4.1",
        name="GPT-4.1",
        version="gpt-4.1-2025-04-14",
        endpoints=("/chat/completions", "/responses"),
        max_prompt=128_000,
        structured_outputs=True,
        is_chat_default=True,
    ),
    copilot_model(
        "gpt-5-mini",
        name="GPT-5 mini",
        endpoints=("/chat/completions", "/responses"),
        context=264_000,
        max_output=64_000,
        max_prompt=128_000,
        structured_outputs=True,
        reasoning_effort=("low", "medium", "high"),
        category="lightweight",
    ),
    # Codex models answer only on /responses (§3.5, anomalyco/opencode#2977).
    copilot_model(
        "gpt-5.1-codex",
        name="GPT-5.1-Codex",
        vendor="OpenAI",
        endpoints=("/responses",),
        context=400_000,
        max_output=128_000,
        max_prompt=272_000,
        structured_outputs=True,
        reasoning_effort=("low", "medium", "high"),
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    copilot_model(
        "claude-sonnet-4.5",
        name="Claude Sonnet 4.5",
        vendor="Anthropic",
        endpoints=("/chat/completions", "/v1/messages"),
        context=200_000,
        max_output=16_000,
        max_prompt=128_000,
        thinking_budget=(1024, 32_000),
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    # Adaptive thinking with an effort (`output_config.effort`), as the reference sends it
    # to its Claude model (reference-clients-2026-11.md §2).
    copilot_model(
        "claude-sonnet-4.6",
        name="Claude Sonnet 4.6",
        vendor="Anthropic",
        endpoints=("/chat/completions", "/v1/messages"),
        context=200_000,
        max_output=32_000,
        max_prompt=128_000,
        reasoning_effort=("low", "medium", "high"),
        adaptive_thinking=True,
        thinking_budget=(1024, 32_000),
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    # Not enabled yet: the user has to accept its policy first (§3.4, model_not_supported).
    copilot_model(
        "claude-opus-4.5",
        name="Claude Opus 4.5",
        vendor="Anthropic",
        endpoints=("/chat/completions", "/v1/messages"),
        context=200_000,
        max_output=16_000,
        max_prompt=128_000,
        premium=True,
        multiplier=3,
        policy="unconfigured",
        category="powerful",
    ),
    copilot_model(
        "gpt-5.2",
        name="GPT-5.2",
        vendor="OpenAI",
        endpoints=("/chat/completions", "/responses"),
        context=400_000,
        max_output=128_000,
        max_prompt=272_000,
        structured_outputs=True,
        reasoning_effort=("low", "medium", "high", "xhigh"),
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    copilot_model(
        "gpt-5.2-codex",
        name="GPT-5.2-Codex",
        vendor="OpenAI",
        endpoints=("/responses",),
        context=400_000,
        max_output=128_000,
        max_prompt=272_000,
        structured_outputs=True,
        reasoning_effort=("low", "medium", "high", "xhigh"),
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    copilot_model(
        "gemini-3-pro-preview",
        name="Gemini 3 Pro (Preview)",
        vendor="Google",
        context=128_000,
        max_output=64_000,
        max_prompt=108_000,
        # The reference sends it `reasoning_effort: "medium"` (reference-clients-2026-11.md §2).
        reasoning_effort=("low", "medium", "high"),
        premium=True,
        multiplier=1,
        preview=True,
        category="powerful",
    ),
    copilot_model(
        "gemini-2.5-pro",
        name="Gemini 2.5 Pro",
        vendor="Google",
        context=128_000,
        max_output=64_000,
        max_prompt=108_000,
        premium=True,
        multiplier=1,
        category="powerful",
    ),
    copilot_model(
        "text-embedding-3-small",
        name="Embedding V3 small",
        kind="embeddings",
        endpoints=None,
        policy=None,
        picker=False,
        context=8191,
    ),
)


#: The newest models refuse old editors ("not supported in this VS Code version, please
#: update", third-party reports); simulator decision: which models and which floors.
DEFAULT_MIN_EDITOR_VERSIONS: dict[str, dict[str, str]] = {
    "gemini-3-pro-preview": {"vscode": "1.105.0", "copilot": "1.0.0"},
    "gpt-5.2": {"vscode": "1.105.0", "copilot": "1.0.0"},
    "gpt-5.2-codex": {"vscode": "1.105.0", "copilot": "1.0.0"},
}

#: What ``litellm-codex demo``, the README and examples use: current models, one per route
#: (``/v1/messages``, ``/responses``, ``/chat/completions``), all in :func:`default_models`.
DEMO_MODELS: Mapping[str, str] = {
    "claude": "claude-sonnet-4.5",
    "gpt": "gpt-5.2",
    "gemini": "gemini-3-pro-preview",
}


def default_models() -> list[JSON]:
    """A fresh copy of the default catalogue."""
    return copy.deepcopy(list(_DEFAULT_MODELS))


# =====================================================================================
# Faults
# =====================================================================================


class Fault(faults.Fault):
    """A scripted misbehaviour for the next matching request: the shared fault API of
    :mod:`litellm_codex.testing.faults` plus the Copilot API's named answers.

    Answer faults (``status`` and the named ones) answer before authentication, like a proxy
    in front of the API; ``drop`` / ``stall`` / ``malformed`` let a successful answer start
    and then break it after ``after`` stream frames (for a non-streamed answer: ``drop``
    cuts the body, ``stall`` delays it, ``malformed`` garbles it).
    """

    @classmethod
    def quota_exceeded(cls, retry_after: int = 3600, code: str = "quota_exceeded") -> Fault:
        """402 premium quota used up (§4: ``{"error": {"message", "code": "quota_exceeded"}}``)."""
        return cls.status(
            402,
            {"error": {"message": "You have no quota", "code": code}},
            {"retry-after": str(retry_after)},
        )

    @classmethod
    def rate_limited(cls, retry_after: int = 30, code: str = "user_model_rate_limited") -> Fault:
        """429 with ``retry-after`` and ``x-ratelimit-exceeded`` (§4)."""
        return cls.status(
            429,
            {
                "error": {
                    "message": "Sorry, you have exhausted this model's rate limit. "
                    "Please wait a moment before trying again.",
                    "code": code,
                }
            },
            {"retry-after": str(retry_after), "x-ratelimit-exceeded": code},
        )

    @classmethod
    def token_expired(cls) -> Fault:
        """401 ``unauthorized: token expired`` once (the client must re-exchange and retry)."""
        return cls.status(401, "unauthorized: token expired")

    @classmethod
    def forbidden(
        cls, message: str = "Forbidden: this account has no access to Copilot chat"
    ) -> Fault:
        """403."""
        return cls.status(403, {"error": {"message": message, "code": "forbidden"}})

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        """A 5xx (500 by default; 503 is "upstream provider rate limit hit" in VS Code)."""
        return cls.status(
            code, {"error": {"message": "Internal server error", "code": "server_error"}}
        )


# =====================================================================================
# Helpers
# =====================================================================================


#: What the reference client, the GitHub Copilot CLI 1.0.102, sends (captured 2026-11-30,
#: reference-clients-2026-11.md §2). The simulator's own copy: it checks the product's
#: identity, so it must not take its values from it.
REFERENCE_IDENTITY: Mapping[str, str] = {
    "Editor-Version": "copilot/1.0.102",
    "Copilot-Integration-Id": "copilot-developer-cli",
    "X-GitHub-Api-Version": "2026-08-01",
}


def valid_headers(copilot_token: str, **extra: str) -> dict[str, str]:
    """The minimal headers the simulator accepts, for tests that call it by hand."""
    return {"Authorization": f"Bearer {copilot_token}", **REFERENCE_IDENTITY, **extra}


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _editor_too_old(editor: str, minimums: Mapping[str, str]) -> bool:
    """Whether ``name/x.y.z`` is below the minimum listed for ``name`` (unlisted: fine)."""
    name, _, version = editor.partition("/")
    floor = minimums.get(name.strip().lower())
    return floor is not None and _version_key(version) < _version_key(floor)


def _error(status_code: int, message: str, code: str, **more: Any) -> Response:
    return json_response({"error": {"message": message, "code": code, **more}}, status_code)


def _text(status_code: int, text: str) -> Response:
    return Response(status_code, {"content-type": "text/plain; charset=utf-8"}, text.encode())


_IMAGE_TYPES = ("image_url", "input_image", "image")
_OPENAI_VENDORS = frozenset({"OpenAI", "Azure OpenAI"})


def _refuses_max_tokens(model: JSON) -> bool:
    """OpenAI's reasoning models (GPT-5, o-series) refuse ``max_tokens`` on chat (§3.5):
    from the catalog, an OpenAI model that lists reasoning efforts."""
    supports = model.get("capabilities", {}).get("supports", {})
    return str(model.get("vendor")) in _OPENAI_VENDORS and bool(supports.get("reasoning_effort"))


def _has_images(items: Any) -> bool:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("content"), list):
            for part in item["content"]:
                if isinstance(part, dict) and part.get("type") in _IMAGE_TYPES:
                    return True
    return False


def _vendor_style(model: JSON) -> str:
    vendor = str(model.get("vendor") or "")
    if vendor == "Anthropic":
        return "claude"
    if vendor == "Google":
        return "gemini"
    return "gpt"


def _chat_to_responses_body(body: JSON, *, reasoning: bool) -> JSON:
    """The chat body as a Responses body, so :func:`plan_reply` can decide the answer."""
    items: list[JSON] = []
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        content = message.get("content")
        if role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id"),
                    "output": content if isinstance(content, str) else json.dumps(content),
                }
            )
            continue
        parts: list[JSON] = []
        if isinstance(content, str):
            parts.append({"type": "input_text", "text": content})
        elif isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "text":
                    parts.append({"type": "input_text", "text": part.get("text") or ""})
                elif part.get("type") in _IMAGE_TYPES:
                    parts.append({"type": "input_image", "image_url": "(image)"})
        items.append({"type": "message", "role": role, "content": parts})
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                function = call.get("function") or {}
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": function.get("arguments") or "",
                    }
                )
    tools = [
        {
            "type": "function",
            "name": t["function"].get("name"),
            "parameters": t["function"].get("parameters") or {},
        }
        for t in body.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
    ]
    choice = body.get("tool_choice")
    if choice == "validated":  # Gemini's mode: `auto` with schema-checked calls (§2)
        choice = "auto"
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        choice = {"type": "function", "name": choice["function"].get("name")}
    out: JSON = {"input": items, "tools": tools, "tool_choice": choice}
    if body.get("parallel_tool_calls") is not None:
        out["parallel_tool_calls"] = body["parallel_tool_calls"]
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        out["text"] = {"format": {"type": "json_schema", "schema": schema}}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        out["text"] = {"format": {"type": "json_object"}}
    if reasoning:
        out["reasoning"] = {"effort": body.get("reasoning_effort") or "medium", "summary": "auto"}
    return out


def _pieces(text: str) -> list[str]:
    """Split into word-sized deltas (whitespace kept) so streams have several chunks."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def _halves(text: str) -> list[str]:
    mid = max(1, len(text) // 2)
    return [p for p in (text[:mid], text[mid:]) if p]


@dataclass
class _Answer:
    text: str | None
    reasoning: str | None
    calls: list[tuple[str, str, str]]  # (id, name, arguments)
    finish: str
    usage: JSON


class CopilotApi:
    """The controller: model catalogue, fault queue, quota and the request log.

    Created by :func:`install_copilot_api`; tests use :meth:`queue`, :meth:`calls`,
    :meth:`set_policy` and the attributes below.
    """

    def __init__(
        self,
        server: SimServer,
        authority: GitHubAuthority,
        *,
        base_path: str = "",
        models: Iterable[JSON] | None = None,
        require_integration_id: bool = True,
    ) -> None:
        self.server = server
        self.authority = authority
        self.base_path = base_path.rstrip("/")
        self.models: list[JSON] = list(models) if models is not None else default_models()
        self.require_integration_id = require_integration_id
        #: Gemini models that refuse a tool-call turn sent back without the
        #: ``reasoning_text`` / ``reasoning_opaque`` they answered with (simulator decision
        #: after third-party reports that multi-turn Gemini 3 tool use fails without it).
        self.reasoning_echo_models: set[str] = {"gemini-3-pro-preview"}
        #: ``X-GitHub-Api-Version`` values before this date answer HTTP 466 (retired).
        self.oldest_api_version = "2026-01-01"
        #: Model id -> {editor name: lowest version}: older ``Editor-Version``s are refused
        #: that model ("not supported in this ... version, please update").
        self.min_editor_versions: dict[str, dict[str, str]] = copy.deepcopy(
            DEFAULT_MIN_EDITOR_VERSIONS
        )
        #: Models whose non-stream answers come as Anthropic-native bodies (§3.6 quirk 4).
        self.anthropic_native: set[str] = set()
        #: ``prompt_tokens_details.cached_tokens`` reported on GPT answers.
        self.cached_tokens = 0
        #: Give every event of one ``/responses`` item a different item id (§3.7).
        self.scramble_item_ids = True
        self.premium_entitlement = 300
        self.premium_used = 0.0
        self.quota_reset = "2026-12-01T00:00:00Z"
        self._faults = faults.FaultQueue()
        self._lock = threading.Lock()
        self._seq = 0

    # -- configuration --------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base URL (server URL plus ``base_path``)."""
        return self.server.url + self.base_path

    def queue(self, *faults: Fault, endpoint: str | None = "/chat/completions") -> None:
        """Apply ``faults``, in order, to the next requests to ``endpoint`` (``None``: any)."""
        self._faults.put(*faults, endpoint=endpoint)

    def pending(self) -> int:
        """How many queued faults are still waiting."""
        return len(self._faults)

    def model(self, model_id: str) -> JSON | None:
        """The catalogue entry for ``model_id``."""
        return next((m for m in self.models if m.get("id") == model_id), None)

    def set_policy(self, model_id: str, state: str) -> None:
        """Set a model's ``policy.state`` (``enabled``, ``disabled``, ``unconfigured``)."""
        entry = self.model(model_id)
        if entry is None:
            raise KeyError(model_id)
        entry["policy"] = {**(entry.get("policy") or {}), "state": state}

    def calls(self, endpoint: str | None = None) -> list[Request]:
        """Recorded requests to this API, in order (optionally only those to ``endpoint``)."""
        wanted = (endpoint,) if endpoint is not None else _ENDPOINTS
        paths = {self.base_path + e for e in wanted}
        return [c for c in list(self.server.calls) if c.path in paths]

    @property
    def requests(self) -> list[Request]:
        """Every recorded request to this API (all endpoints), in order."""
        return self.calls()

    def last(self, endpoint: str = "/chat/completions") -> Request:
        """The most recent request to ``endpoint``."""
        found = self.calls(endpoint)
        if not found:
            raise LookupError(f"no request to {endpoint}")
        return found[-1]

    def quota_headers(self) -> dict[str, str]:
        """The ``x-quota-snapshot-*`` headers as of now (§4, VS Code's encoding)."""
        with self._lock:
            used = self.premium_used
        ent = self.premium_entitlement
        remaining = max(0.0, 100.0 * (ent - used) / ent) if ent > 0 else 0.0
        premium = urlencode(
            {
                "ent": ent,
                "ov": "0.0",
                "ovPerm": "false",
                "rem": f"{remaining:g}",
                "rst": self.quota_reset,
            }
        )
        chat = urlencode(
            {"ent": -1, "ov": "0.0", "ovPerm": "false", "rem": "100", "rst": self.quota_reset}
        )
        return {
            "x-quota-snapshot-premium_interactions": premium,
            "x-quota-snapshot-chat": chat,
        }

    # -- request plumbing -----------------------------------------------------------

    def _next(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def _check(self, request: Request) -> tuple[GitHubUser | None, Response | None]:
        auth = request.headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        user = self.authority.check_copilot(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return None, _text(401, "unauthorized: token expired")
        if not request.headers.get("editor-version"):
            return None, _text(400, "bad request: missing Editor-Version header for IDE auth")
        if self.require_integration_id and not request.headers.get("copilot-integration-id"):
            # Simulator decision (see module docstring): wording modelled on Editor-Version.
            return None, _text(400, "bad request: missing Copilot-Integration-Id header")
        api_version = request.headers.get("x-github-api-version") or ""
        if api_version and api_version < self.oldest_api_version:
            # GitHub retired old API versions for editor clients with HTTP 466 (Feb 2026,
            # third-party reports; reference-clients-2026-11.md §2). Wording: simulator's.
            return None, _text(
                466,
                f"X-GitHub-Api-Version {api_version} is no longer supported for this client; "
                "please update",
            )
        return user, None

    def _editor_problem(self, request: Request, model: JSON) -> Response | None:
        """A new model refused to an old ``Editor-Version`` (third-party reports, §2)."""
        minimums = self.min_editor_versions.get(str(model.get("id")))
        editor = request.headers.get("editor-version") or ""
        if minimums and _editor_too_old(editor, minimums):
            return _error(
                400,
                f"model {model['id']} is not supported in this {editor.partition('/')[0]} "
                "version, please update",
                "model_not_supported",
            )
        return None

    def _ok_headers(self, request: Request) -> dict[str, str]:
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        return {
            "x-request-id": request_id,
            "x-github-request-id": f"SIM:{request_id[:8].upper()}",
            **self.quota_headers(),
        }

    def _count_premium(self, request: Request, model: JSON) -> None:
        billing = model.get("billing") or {}
        initiator = (request.headers.get("x-initiator") or "user").lower()
        if billing.get("is_premium") and initiator == "user":
            with self._lock:
                self.premium_used += float(billing.get("multiplier") or 1)

    def _serve(self, endpoint: str, request: Request) -> Response:
        # Answer faults answer first; break faults wait for a request that gets a normal
        # answer to break, so a rejected request does not use them up.
        fault = self._faults.take(endpoint, answers=True)
        if fault is not None:
            return fault.answer(None)
        user, problem = self._check(request)
        if problem is not None:
            return problem
        assert user is not None
        if endpoint == "/models":
            response = json_response(
                {"data": self.models, "object": "list"}, headers=self._ok_headers(request)
            )
            return self._break(endpoint, response)
        try:
            body = request.json()
        except ValueError:
            return _error(400, "Request body is not valid JSON", "invalid_request_body")
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object", "invalid_request_body")
        if endpoint == "/embeddings":
            response = self._embeddings(request, body)
        elif endpoint == "/responses":
            response = self._responses(request, body)
        elif endpoint == "/v1/messages":
            response = self._messages(request, body)
        else:
            response = self._chat(request, body)
        return self._break(endpoint, response)

    def _break(self, endpoint: str, response: Response) -> Response:
        if response.status != 200:
            return response
        fault = self._faults.take(endpoint, answers=False)
        return response if fault is None else fault.apply(response)

    def _model_problem(
        self, body: JSON, endpoint: str, kind: str = "chat"
    ) -> tuple[JSON | None, Response | None]:
        model_id = body.get("model")
        model = self.model(model_id) if isinstance(model_id, str) else None
        policy = (model or {}).get("policy")
        if (
            model is None
            or (policy is not None and policy.get("state") != "enabled")
            or model["capabilities"].get("type") != kind
        ):
            return None, _error(
                400,
                "The requested model is not supported.",
                "model_not_supported",
                param="model",
                type="invalid_request_error",
            )
        endpoints = model.get("supported_endpoints")
        if kind == "chat" and isinstance(endpoints, list) and endpoint not in endpoints:
            return None, _error(
                400,
                f'model "{model_id}" is not accessible via the {endpoint} endpoint',
                "unsupported_api_for_model",
            )
        return model, None

    def _vision_problem(self, request: Request, items: Any) -> Response | None:
        if _has_images(items) and (request.headers.get("copilot-vision-request") or "") != "true":
            return _error(
                400, "missing required Copilot-Vision-Request header for vision requests", ""
            )
        return None

    # -- /chat/completions ----------------------------------------------------------

    def _chat(self, request: Request, body: JSON) -> Response:
        model, problem = self._model_problem(body, "/chat/completions")
        if problem is not None:
            return problem
        assert model is not None
        problem = self._editor_problem(request, model)
        if problem is not None:
            return problem
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages: must be a non-empty array", "invalid_request_body")
        problem = self._vision_problem(request, messages)
        if problem is not None:
            return problem
        if "max_tokens" in body and _refuses_max_tokens(model):
            return _error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "unsupported_parameter",
                param="max_tokens",
                type="invalid_request_error",
            )
        for i, message in enumerate(messages):
            message = message if isinstance(message, dict) else {}
            ids = [c.get("id") for c in message.get("tool_calls") or [] if isinstance(c, dict)]
            ids.append(message.get("tool_call_id"))
            if any(isinstance(x, str) and len(x) > 64 for x in ids):
                return _error(
                    400,
                    f"Invalid 'messages[{i}]': tool call id is longer than 64 characters.",
                    "invalid_request_body",
                    param=f"messages[{i}]",
                )
        style = _vendor_style(model)
        if style == "gemini" and model["id"] in self.reasoning_echo_models:
            problem = _reasoning_echo_problem(messages)
            if problem is not None:
                return problem
        self._count_premium(request, model)
        answer = self._answer(body, model, style)
        headers = self._ok_headers(request)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = _STREAMERS[style](answer, self._meta(model, style), include_usage)
            frames: list[Any] = [
                f"data: {json.dumps(c, separators=(',', ':'))}\n\n".encode() for c in chunks
            ]
            frames.append(b"data: [DONE]\n\n")
            return Response(
                200,
                {"content-type": "text/event-stream", "cache-control": "no-cache", **headers},
                stream=frames,
            )
        if style == "claude" and model["id"] in self.anthropic_native:
            return json_response(_anthropic_body(answer, model), headers=headers)
        return json_response(_chat_body(answer, self._meta(model, style), style), headers=headers)

    def _meta(self, model: JSON, style: str) -> JSON:
        seq = self._next()
        if style == "claude":
            digest = hashlib.sha256(f"claude:{seq}".encode()).digest()
            response_id = str(uuid.UUID(bytes=digest[:16], version=4))
        else:
            response_id = f"chatcmpl-SIM{seq:06d}"
        return {
            "id": response_id,
            "created": int(time.time()),
            "model": model.get("version") or model["id"],
            "seq": seq,
        }

    def _answer(self, body: JSON, model: JSON, style: str) -> _Answer:
        wants_reasoning = style == "gemini" or (
            style == "claude" and (body.get("reasoning_effort") or body.get("thinking"))
        )
        plan: ReplyPlan = plan_reply(_chat_to_responses_body(body, reasoning=bool(wants_reasoning)))
        reasoning = " ".join(plan.reasoning) if plan.reasoning else None
        seq = self._next()
        calls: list[tuple[str, str, str]] = []
        for n, (name, args) in enumerate(plan.tool_calls):
            digest = hashlib.sha256(f"{seq}:{n}".encode()).hexdigest()
            call_id = f"tooluse_{digest[:22]}" if style == "claude" else f"call_{digest[:24]}"
            calls.append((call_id, name, args))
        text = plan.text
        finish = "tool_calls" if calls else "stop"
        if style == "claude" and calls:
            # Claude talks before it calls tools; the text lands in its own choice.
            text = "I'll use the tools."
        if text is not None and not calls:
            stops = body.get("stop")
            for stop in [stops] if isinstance(stops, str) else stops or []:
                if isinstance(stop, str) and stop and stop in text:
                    text = text[: text.index(stop)]
            limit = body.get("max_completion_tokens") or body.get("max_tokens")
            words = _pieces(text)
            if isinstance(limit, int) and 0 < limit < len(words):
                text = "".join(words[:limit]).rstrip()
                finish = "length"
        prompt = count_input_tokens(_chat_to_responses_body(body, reasoning=False))
        reasoning_tokens = estimate_tokens(reasoning) if reasoning else 0
        completion = (
            estimate_tokens(text or "")
            + sum(estimate_tokens(n) + estimate_tokens(a) for _, n, a in calls)
            + reasoning_tokens
        )
        usage: JSON = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if style == "gpt":
            usage["prompt_tokens_details"] = {"cached_tokens": min(self.cached_tokens, prompt)}
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        elif style == "gemini":
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        return _Answer(text, reasoning, calls, finish, usage)

    # -- /responses -------------------------------------------------------------------

    def _responses(self, request: Request, body: JSON) -> Response:
        model, problem = self._model_problem(body, "/responses")
        if problem is not None:
            return problem
        assert model is not None
        problem = self._editor_problem(request, model)
        if problem is not None:
            return problem
        items = body.get("input")
        if isinstance(items, str):
            items = [{"type": "message", "role": "user", "content": items}]
        if not isinstance(items, list):
            return _error(400, "input: must be a string or an array", "invalid_request_body")
        problem = self._vision_problem(request, items)
        if problem is not None:
            return problem
        for i, item in enumerate(items):
            if (
                isinstance(item, dict)
                and item.get("type") == "reasoning"
                and not _verifiable(item.get("encrypted_content"))
            ):
                # github-copilot.md §3.7: a reasoning item must carry the encrypted content
                # this API issued.
                return _error(
                    400,
                    f"Invalid 'input[{i}]': encrypted content could not be verified.",
                    "invalid_encrypted_content",
                )
        self._count_premium(request, model)
        body = {**body, "input": items}
        events = plan_events(plan_reply(body), model["id"], input_tokens=count_input_tokens(body))
        headers = self._ok_headers(request)
        if not body.get("stream"):
            final = copy.deepcopy(events[-1]["response"])
            final["output"] = [
                e["item"] for e in events if e.get("type") == "response.output_item.done"
            ]
            return json_response(final, headers=headers)
        if self.scramble_item_ids:
            events = _scramble(events)
        frames: list[Any] = []
        for event in events:
            data = json.dumps(event, separators=(",", ":"))
            frames.append(f"event: {event['type']}\ndata: {data}\n\n".encode())
        return Response(
            200,
            {"content-type": "text/event-stream", "cache-control": "no-cache", **headers},
            stream=frames,
        )

    # -- /v1/messages (Anthropic Messages API, Claude models) -------------------------

    def _messages(self, request: Request, body: JSON) -> Response:
        model, problem = self._model_problem(body, "/v1/messages")
        if problem is not None:
            return problem
        assert model is not None
        problem = self._editor_problem(request, model)
        if problem is not None:
            return problem
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _anthropic_error(400, "messages: field required")
        if not isinstance(body.get("max_tokens"), int):
            return _anthropic_error(400, "max_tokens: field required")
        if (
            _has_anthropic_images(messages)
            and (request.headers.get("copilot-vision-request") or "") != "true"
        ):
            return _anthropic_error(
                400, "missing required Copilot-Vision-Request header for vision requests"
            )
        problem = _thinking_config_problem(body, model) or _thinking_problem(body)
        if problem is not None:
            return problem
        self._count_premium(request, model)
        thinking = isinstance(body.get("thinking"), dict) and body["thinking"].get("type") in (
            "enabled",
            "adaptive",
        )
        plan = plan_reply(_messages_to_responses_body(body, reasoning=thinking))
        seq = self._next()
        calls = [
            (f"toolu_{hashlib.sha256(f'{seq}:{n}'.encode()).hexdigest()[:24]}", name, args)
            for n, (name, args) in enumerate(plan.tool_calls)
        ]
        reasoning = " ".join(plan.reasoning) if plan.reasoning else None
        text = "I'll use the tools." if calls else plan.text
        finish = "tool_calls" if calls else "stop"
        if text is not None and not calls:
            words = _pieces(text)
            limit = body["max_tokens"]
            if 0 < limit < len(words):
                text, finish = "".join(words[:limit]).rstrip(), "length"
        prompt = count_input_tokens(_messages_to_responses_body(body, reasoning=False))
        completion = (
            estimate_tokens(text or "")
            + estimate_tokens(reasoning or "")
            + sum(estimate_tokens(n) + estimate_tokens(a) for _, n, a in calls)
        )
        cached = min(self.cached_tokens, prompt)
        usage: JSON = {
            "input_tokens": prompt - cached,
            "output_tokens": completion,
            "cache_read_input_tokens": cached,
            "cache_creation_input_tokens": 0,
        }
        answer = _Answer(text, reasoning, calls, finish, usage)
        message_id = f"msg_sim{seq:06d}"
        headers = self._ok_headers(request)
        if not body.get("stream"):
            return json_response(_messages_body(answer, model, message_id), headers=headers)
        frames = [
            f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n".encode()
            for e in _messages_events(answer, model, message_id)
        ]
        return Response(
            200,
            {"content-type": "text/event-stream", "cache-control": "no-cache", **headers},
            stream=frames,
        )

    # -- /embeddings ----------------------------------------------------------------

    def _embeddings(self, request: Request, body: JSON) -> Response:
        model, problem = self._model_problem(body, "/embeddings", kind="embeddings")
        if problem is not None:
            return problem
        assert model is not None
        raw = body.get("input")
        inputs = [raw] if isinstance(raw, str) else raw
        if not isinstance(inputs, list) or not inputs:
            return _error(
                400, "input: must be a string or a non-empty array", "invalid_request_body"
            )
        dims = body.get("dimensions")
        dims = dims if isinstance(dims, int) and 0 < dims <= 1536 else 8
        data = []
        tokens = 0
        for index, text in enumerate(inputs):
            text = text if isinstance(text, str) else json.dumps(text)
            tokens += estimate_tokens(text)
            data.append({"object": "embedding", "index": index, "embedding": _vector(text, dims)})
        return json_response(
            {
                "object": "list",
                "data": data,
                "model": model["id"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
            headers=self._ok_headers(request),
        )


_ENDPOINTS = ("/models", "/chat/completions", "/responses", "/v1/messages", "/embeddings")


def _verifiable(encrypted: Any) -> bool:
    """Whether ``encrypted`` is reasoning content the simulator issued (codex_backend's
    ``gAAAAB`` + base64 JSON)."""
    if not isinstance(encrypted, str) or not encrypted.startswith("gAAAAB"):
        return False
    try:
        json.loads(base64.b64decode(encrypted[6:], validate=True))
    except ValueError:
        return False
    return True


def _vector(text: str, dims: int) -> list[float]:
    """A deterministic unit-ish vector derived from ``text``."""
    out: list[float] = []
    counter = 0
    while len(out) < dims:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for (value,) in struct.iter_unpack(">i", digest):
            out.append(round(value / 2**31, 6))
        counter += 1
    return out[:dims]


def _scramble(events: list[JSON]) -> list[JSON]:
    """Copilot tags each event of one output item with a different item id (§3.7)."""
    out: list[JSON] = []
    for n, event in enumerate(events):
        event = copy.deepcopy(event)
        if "item_id" in event:
            event["item_id"] = f"{event['item_id']}_{n}"
        if isinstance(event.get("item"), dict) and "id" in event["item"]:
            event["item"]["id"] = f"{event['item']['id']}_{n}"
        out.append(event)
    return out


# =====================================================================================
# Answer shapes
# =====================================================================================

_PROMPT_FILTER: JSON = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "prompt_filter_results": [
        {
            "prompt_index": 0,
            "content_filter_results": {
                "hate": {"filtered": False, "severity": "safe"},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": False, "severity": "safe"},
            },
        }
    ],
}


def _chunk(meta: JSON, choices: list[JSON], **extra: Any) -> JSON:
    return {
        "choices": choices,
        "created": meta["created"],
        "id": meta["id"],
        "model": meta["model"],
        **extra,
    }


def _gpt_stream(answer: _Answer, meta: JSON, include_usage: bool) -> list[JSON]:
    fp = {"system_fingerprint": "fp_sim0001"}
    chunks = [
        copy.deepcopy(_PROMPT_FILTER),
        _chunk(meta, [{"index": 0, "delta": {"content": "", "role": "assistant"}}], **fp),
    ]
    for piece in _pieces(answer.text or "") if answer.text else ():
        chunks.append(_chunk(meta, [{"index": 0, "delta": {"content": piece}}], **fp))
    for index, (call_id, name, args) in enumerate(answer.calls):
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(_chunk(meta, [{"index": 0, "delta": {"tool_calls": [first]}}], **fp))
        for piece in _halves(args):
            part = {"index": index, "function": {"arguments": piece}}
            chunks.append(_chunk(meta, [{"index": 0, "delta": {"tool_calls": [part]}}], **fp))
    last = {"index": 0, "finish_reason": answer.finish, "delta": {"content": None}}
    if include_usage:
        chunks.append(_chunk(meta, [last], **fp))
        chunks.append(_chunk(meta, [], usage=answer.usage, **fp))
    else:
        chunks.append(_chunk(meta, [last], usage=answer.usage, **fp))
    return chunks


def _claude_stream(answer: _Answer, meta: JSON, include_usage: bool) -> list[JSON]:
    def delta(**fields: Any) -> JSON:
        return _chunk(meta, [{"index": 0, "delta": {"role": "assistant", **fields}}])

    chunks = [copy.deepcopy(_PROMPT_FILTER)]
    for piece in _pieces(answer.reasoning) if answer.reasoning else ():
        chunks.append(delta(content=None, reasoning_text=piece))
    for piece in _pieces(answer.text) if answer.text else ():
        chunks.append(delta(content=piece))
    for call_id, name, args in answer.calls:
        # Every call on index 0; only the new id marks a new call (§3.6 quirk 1).
        head = {"function": {"name": name}, "id": call_id, "index": 0, "type": "function"}
        chunks.append(delta(content=None, tool_calls=[head]))
        for piece in _halves(args):
            part = {"function": {"arguments": piece}, "index": 0, "type": "function"}
            chunks.append(delta(content=None, tool_calls=[part]))
    last = {"finish_reason": answer.finish, "index": 0, "delta": {"content": None}}
    chunks.append(_chunk(meta, [last], usage=answer.usage))
    return chunks


def _gemini_stream(answer: _Answer, meta: JSON, include_usage: bool) -> list[JSON]:
    def delta(**fields: Any) -> JSON:
        return _chunk(meta, [{"index": 0, "delta": fields}])

    chunks: list[JSON] = []
    for n, piece in enumerate(_pieces(answer.reasoning) if answer.reasoning else ()):
        chunks.append(delta(**({"role": "assistant"} if n == 0 else {}), reasoning_text=piece))
    for piece in _pieces(answer.text) if answer.text else ():
        chunks.append(delta(content=piece))
    opaque = {"reasoning_opaque": reasoning_opaque(answer.reasoning)} if answer.reasoning else {}
    if answer.calls:
        calls = [
            {"index": i, "id": cid, "type": "function", "function": {"name": n, "arguments": a}}
            for i, (cid, n, a) in enumerate(answer.calls)
        ]
        chunks.append(delta(tool_calls=calls, **opaque))
    elif opaque:
        chunks.append(delta(**opaque))
    last = {"index": 0, "finish_reason": answer.finish, "delta": {}}
    chunks.append(_chunk(meta, [last], usage=answer.usage))
    return chunks


def reasoning_opaque(reasoning_text: str) -> str:
    """The simulator's opaque reasoning state for a Gemini reasoning text."""
    return "opq_" + hashlib.sha256(f"sim-gemini:{reasoning_text}".encode()).hexdigest()[:40]


def _reasoning_echo_problem(messages: list[Any]) -> Response | None:
    """Refuse an assistant tool-call turn without its reasoning state (Gemini 3)."""
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        if not message.get("tool_calls"):
            continue
        text = message.get("reasoning_text")
        if not isinstance(text, str) or message.get("reasoning_opaque") != reasoning_opaque(text):
            # Wording after Gemini's own refusal of a function call without its signature.
            return _error(
                400,
                f"Invalid 'messages[{i}]': function call is missing its reasoning_opaque / "
                "reasoning_text (thought signature); send them back as received.",
                "invalid_request_body",
                param=f"messages[{i}]",
            )
    return None


_STREAMERS = {"gpt": _gpt_stream, "claude": _claude_stream, "gemini": _gemini_stream}


def _tool_calls_json(answer: _Answer) -> list[JSON]:
    return [
        {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
        for cid, name, args in answer.calls
    ]


def _chat_body(answer: _Answer, meta: JSON, style: str) -> JSON:
    body = _chunk(meta, [], usage=answer.usage, object="chat.completion")
    if style == "claude" and answer.calls and answer.text:
        # Claude's non-stream split: text in choices[0], tool calls in choices[1] (§3.6 quirk 3).
        body["choices"] = [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": answer.text},
            },
            {
                "index": 1,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": _tool_calls_json(answer),
                },
            },
        ]
        return body
    message: JSON = {"role": "assistant", "content": answer.text}
    if answer.calls:
        message["tool_calls"] = _tool_calls_json(answer)
    if answer.reasoning:
        message["reasoning_text"] = answer.reasoning
        if style == "gemini":
            message["reasoning_opaque"] = reasoning_opaque(answer.reasoning)
    body["choices"] = [{"index": 0, "finish_reason": answer.finish, "message": message}]
    if style == "gpt":
        body["system_fingerprint"] = "fp_sim0001"
        body["prompt_filter_results"] = copy.deepcopy(_PROMPT_FILTER["prompt_filter_results"])
    return body


_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _anthropic_body(answer: _Answer, model: JSON) -> JSON:
    content: list[JSON] = []
    if answer.reasoning:
        content.append({"type": "thinking", "thinking": answer.reasoning, "signature": "sim"})
    if answer.text:
        content.append({"type": "text", "text": answer.text})
    for cid, name, args in answer.calls:
        content.append({"type": "tool_use", "id": cid, "name": name, "input": json.loads(args)})
    return {
        "id": f"msg_sim{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": model["id"],
        "content": content,
        "stop_reason": _ANTHROPIC_STOP[answer.finish],
        "stop_sequence": None,
        "usage": {
            "input_tokens": answer.usage["prompt_tokens"],
            "output_tokens": answer.usage["completion_tokens"],
        },
    }


# =====================================================================================
# /v1/messages (Anthropic Messages API)
# =====================================================================================


def thinking_signature(thinking: str) -> str:
    """The simulator's signature of a thinking text (the client must echo it unchanged)."""
    return "sig_" + hashlib.sha256(f"sim-thinking:{thinking}".encode()).hexdigest()[:40]


def _anthropic_error(
    status_code: int, message: str, kind: str = "invalid_request_error"
) -> Response:
    return json_response(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code
    )


def _blocks(content: Any) -> list[JSON]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _has_anthropic_images(messages: list[Any]) -> bool:
    return any(
        block.get("type") == "image"
        for message in messages
        if isinstance(message, dict)
        for block in _blocks(message.get("content"))
    )


def _thinking_config_problem(body: JSON, model: JSON) -> Response | None:
    """Anthropic's refusals of a thinking configuration the model does not have, read from
    the model's catalog entry (``adaptive_thinking``, ``thinking``, ``reasoning_effort``)."""
    supports = model.get("capabilities", {}).get("supports", {})
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind == "adaptive" and not supports.get("adaptive_thinking"):
        return _anthropic_error(
            400, f"thinking.type: adaptive thinking is not supported on {model['id']}"
        )
    if kind == "enabled" and not supports.get("thinking"):
        return _anthropic_error(
            400, f"thinking: extended thinking is not supported on {model['id']}"
        )
    config = body.get("output_config")
    effort = config.get("effort") if isinstance(config, dict) else None
    levels = supports.get("reasoning_effort") or []
    if effort is not None and effort not in levels:
        return _anthropic_error(
            400,
            f"output_config.effort: {effort!r} is not supported on {model['id']}"
            + (f"; use one of {', '.join(levels)}" if levels else ""),
        )
    return None


def _thinking_problem(body: JSON) -> Response | None:
    """Anthropic's rules for thinking blocks sent back (what makes echoing them matter).

    Every thinking block must carry the signature it was issued with; with thinking on, an
    assistant turn that calls tools must start with its thinking block.
    """
    thinking_on = isinstance(body.get("thinking"), dict) and body["thinking"].get("type") in (
        "enabled",
        "adaptive",
    )
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        blocks = _blocks(message.get("content"))
        for block in blocks:
            if block.get("type") == "thinking" and block.get("signature") != thinking_signature(
                str(block.get("thinking") or "")
            ):
                return _anthropic_error(
                    400, f"messages.{i}.content: Invalid `signature` in `thinking` block"
                )
        uses_tools = any(b.get("type") == "tool_use" for b in blocks)
        if (
            thinking_on
            and uses_tools
            and (not blocks or blocks[0].get("type") not in ("thinking", "redacted_thinking"))
        ):
            return _anthropic_error(
                400,
                f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, "
                f"but found `{blocks[0].get('type') if blocks else 'nothing'}`. When `thinking` "
                "is enabled, a final `assistant` message must start with a thinking block.",
            )
    return None


def _messages_to_responses_body(body: JSON, *, reasoning: bool) -> JSON:
    """The Anthropic body as a Responses body, so :func:`plan_reply` can decide the answer."""
    items: list[JSON] = []
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        parts: list[JSON] = []
        for block in _blocks(message.get("content")):
            kind = block.get("type")
            if kind == "text":
                parts.append({"type": "input_text", "text": block.get("text") or ""})
            elif kind == "image":
                parts.append({"type": "input_image", "image_url": "(image)"})
            elif kind == "tool_use":
                items.append(
                    {
                        "type": "function_call",
                        "call_id": block.get("id"),
                        "name": block.get("name"),
                        "arguments": json.dumps(block.get("input") or {}),
                    }
                )
            elif kind == "tool_result":
                content = block.get("content")
                texts = [b.get("text") or "" for b in _blocks(content)]
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": block.get("tool_use_id"),
                        "output": "".join(texts),
                    }
                )
        if parts:
            items.append({"type": "message", "role": role, "content": parts})
    tools = [
        {"type": "function", "name": t.get("name"), "parameters": t.get("input_schema") or {}}
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("name")
    ]
    choice: Any = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (
            {"type": "function", "name": choice.get("name")}
            if choice.get("type") == "tool"
            else {"any": "required", "none": "none"}.get(str(choice.get("type")), "auto")
        )
    out: JSON = {"input": items, "tools": tools, "tool_choice": choice}
    if reasoning:
        out["reasoning"] = {"effort": "medium", "summary": "auto"}
    return out


_MESSAGES_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _messages_content(answer: _Answer) -> list[JSON]:
    content: list[JSON] = []
    if answer.reasoning:
        content.append(
            {
                "type": "thinking",
                "thinking": answer.reasoning,
                "signature": thinking_signature(answer.reasoning),
            }
        )
    if answer.text:
        content.append({"type": "text", "text": answer.text})
    for cid, name, args in answer.calls:
        content.append({"type": "tool_use", "id": cid, "name": name, "input": json.loads(args)})
    return content


def _messages_body(answer: _Answer, model: JSON, message_id: str) -> JSON:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model["id"],
        "content": _messages_content(answer),
        "stop_reason": _MESSAGES_STOP[answer.finish],
        "stop_sequence": None,
        "usage": answer.usage,
    }


def _messages_events(answer: _Answer, model: JSON, message_id: str) -> list[JSON]:
    """The Anthropic SSE event sequence of an answer (thinking, text, tool_use blocks)."""
    start_usage = {**answer.usage, "output_tokens": 1}
    events: list[JSON] = [
        {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model["id"],
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
        {"type": "ping"},
    ]
    for index, block in enumerate(_messages_content(answer)):
        kind = block["type"]
        if kind == "thinking":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                }
            )
            for piece in _pieces(block["thinking"]):
                delta = {"type": "thinking_delta", "thinking": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
            delta = {"type": "signature_delta", "signature": block["signature"]}
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        elif kind == "text":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            for piece in _pieces(block["text"]):
                delta = {"type": "text_delta", "text": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        else:
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {**block, "input": {}},
                }
            )
            for piece in _halves(json.dumps(block["input"])):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": _MESSAGES_STOP[answer.finish], "stop_sequence": None},
            "usage": {"output_tokens": answer.usage["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events


# =====================================================================================
# Installation
# =====================================================================================


def install_copilot_api(
    server: SimServer,
    authority: GitHubAuthority,
    *,
    base_path: str = "",
    models: Iterable[JSON] | None = None,
    require_integration_id: bool = True,
) -> CopilotApi:
    """Serve the Copilot API on ``server`` below ``base_path``; returns the controller."""
    api = CopilotApi(
        server,
        authority,
        base_path=base_path,
        models=models,
        require_integration_id=require_integration_id,
    )
    for endpoint in _ENDPOINTS:
        method = "GET" if endpoint == "/models" else "POST"
        server.route(method, api.base_path + endpoint, _handler(api, endpoint))
    return api


def _handler(api: CopilotApi, endpoint: str) -> Callable[[Request], Response]:
    return lambda request: api._serve(endpoint, request)


class CopilotApiSimulator(SimServer):
    """The Copilot API alone, with its own :class:`GitHubAuthority`.

    The authority's user advertises this server as ``endpoints.api`` once started, so a
    token exchange served elsewhere with the same authority points clients here::

        with CopilotApiSimulator() as sim:
            token = sim.copilot_token()
            httpx.get(sim.url + "/models", headers=valid_headers(token))
    """

    def __init__(
        self,
        authority: GitHubAuthority | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Iterable[JSON] | None = None,
        require_integration_id: bool = True,
    ) -> None:
        super().__init__(host, port)
        self.authority = authority or GitHubAuthority()
        self.api = install_copilot_api(
            self, self.authority, models=models, require_integration_id=require_integration_id
        )

    def start(self) -> CopilotApiSimulator:
        super().start()
        self.authority.user.api_endpoint = self.url
        return self

    def __enter__(self) -> CopilotApiSimulator:
        return self.start()

    def copilot_token(self) -> str:
        """A fresh valid Copilot token (a GitHub token minted and exchanged in-process)."""
        code, body = self.authority.exchange(self.authority.issue_github_token())
        if code != 200:
            raise RuntimeError(f"token exchange failed: {code} {body}")
        return str(body["token"])

    def queue(self, *faults: Fault, endpoint: str | None = "/chat/completions") -> None:
        """Shortcut for ``self.api.queue``."""
        self.api.queue(*faults, endpoint=endpoint)
