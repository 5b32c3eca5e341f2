"""A strict simulator of the ChatGPT Codex backend: ``/responses`` and ``/models``.

Serves ``POST {base}/responses`` and ``GET {base}/models?client_version=...``.

The real backend (``https://chatgpt.com/backend-api/codex``) is private and undocumented;
everything here follows ``protocols/codex-chatgpt-backend.md`` (§2-5), and where the notes
are silent the choice is marked *simulator decision*. It is strict on purpose: a request
the real backend would refuse is refused here too, with the same status and body, so a
client that passes against the simulator does not trip over the real gates.

Use it standalone::

    with CodexBackendSimulator() as sim:
        tokens = sim.authority.issue()
        httpx.post(sim.api_base + "/responses", headers=sim.auth_headers(tokens), json=...)

or install it next to the OAuth half on one :class:`SimServer` with
:func:`install_codex_backend` (both share an :class:`OpenAIAuthority`).

``POST {base}/responses`` checks, in this order:

1. ``Authorization: Bearer <access>`` (401) and ``ChatGPT-Account-ID`` (403), see
   :meth:`CodexBackend.authenticate`;
2. the body, see :func:`validate_request` (the 400 ``{"detail": ...}`` gates of §2.4, the
   404 for an id it would have to look up, the ``{"error": {...}}`` errors of the model
   API);
3. then, if a scripted :class:`Fault` is queued, it answers or breaks the answer (the shared
   fault API of :mod:`litellm_codex.testing.faults`); else the responder does.

The default responder (:func:`plan_reply`) is deterministic so tests can assert content:

- the conversation ends in ``function_call_output`` items -> text ``"tool result: <out>"``;
- function tools are given and the last user text says ``call <name>`` (several names with
  ``and`` / ``,``, each optionally followed by a JSON object of arguments, e.g.
  ``call get_weather {"city": "Paris"} and get_time``) -> those function calls, with
  arguments generated from the tool's schema when none are given. ``tool_choice`` is
  honoured ("none" never calls, a named function or "required" always calls), and
  ``parallel_tool_calls: false`` keeps the first call only;
- ``text.format`` json_schema / json_object -> a JSON text (required keys filled by type,
  strings carry the plain answer);
- an ``input_image`` in the last user message -> ``"I see N image(s). echo: <text>"``;
- else ``"echo: <last user text>"``.

When ``reasoning`` is requested a reasoning item (with summary deltas when
``reasoning.summary`` asks for them) streams before the answer. An input longer than the
model's ``context_window`` (counted roughly, one token per word or punctuation mark)
fails in-stream with ``context_length_exceeded``, as the real service does (§4.1).

Streams follow the real event sequence (``response.created``, ``response.in_progress``,
``output_item.added``, ``content_part.added``, deltas, ``*.done``, ``output_item.done``
with ``phase: "final_answer"`` on messages) and end with ``response.completed`` whose
``response.output`` is ``[]`` (the real quirk, §3.2). The event builders
(:func:`text_events`, :func:`tool_call_events`, :func:`reasoning_events`,
:func:`completed_event`, :func:`response_stream`...) are public so other simulators (the
Copilot ``/responses`` route) can reuse them.

The package, one module per concern (everything is re-exported here):

- :mod:`.catalog`: the ``/models`` catalog (:func:`default_models`, :func:`model_info`);
- :mod:`.events`: stream event builders and SSE framing;
- :mod:`.validation`: the request checks and refusals (:func:`validate_request`);
- :mod:`.replies`: the deterministic default answer (:func:`plan_reply`, :func:`plan_events`);
- :mod:`.auth`: bearer token and account checks;
- :mod:`.faults`: the Codex :class:`Fault` (the shared fault API plus named backend answers);
- :mod:`.server`: the :class:`CodexBackend` controller and :class:`CodexBackendSimulator`.

It imports no product code: the default catalog is the data file the package bundles
(today's catalog as Codex CLI 0.171.0 embeds it), read on its own.
"""

from litellm_codex.testing.codex_backend.auth import authenticate
from litellm_codex.testing.codex_backend.catalog import default_models, model_info
from litellm_codex.testing.codex_backend.events import (
    JSON,
    Event,
    completed_event,
    created_events,
    error_event,
    estimate_tokens,
    failed_event,
    incomplete_event,
    new_id,
    number_events,
    reasoning_events,
    request_id_headers,
    response_object,
    response_stream,
    stream_response,
    text_events,
    tool_call_events,
    usage,
)
from litellm_codex.testing.codex_backend.faults import Fault
from litellm_codex.testing.codex_backend.replies import (
    ReplyPlan,
    count_input_tokens,
    plan_events,
    plan_reply,
    sample_from_schema,
)
from litellm_codex.testing.codex_backend.server import (
    CodexBackend,
    CodexBackendSimulator,
    RateLimits,
    RateLimitWindow,
    RecordedRequest,
    Rejection,
    Turn,
    install_codex_backend,
)
from litellm_codex.testing.codex_backend.validation import ALLOWED_PARAMETERS, validate_request

__all__ = [
    "ALLOWED_PARAMETERS",
    "JSON",
    "CodexBackend",
    "CodexBackendSimulator",
    "Event",
    "Fault",
    "RateLimitWindow",
    "RateLimits",
    "RecordedRequest",
    "Rejection",
    "ReplyPlan",
    "Turn",
    "authenticate",
    "completed_event",
    "count_input_tokens",
    "created_events",
    "default_models",
    "error_event",
    "estimate_tokens",
    "failed_event",
    "incomplete_event",
    "install_codex_backend",
    "model_info",
    "new_id",
    "number_events",
    "plan_events",
    "plan_reply",
    "reasoning_events",
    "request_id_headers",
    "response_object",
    "response_stream",
    "sample_from_schema",
    "stream_response",
    "text_events",
    "tool_call_events",
    "usage",
    "validate_request",
]
