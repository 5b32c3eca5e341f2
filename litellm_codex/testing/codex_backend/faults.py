"""The Codex backend's faults: the shared :class:`~litellm_codex.testing.faults.Fault`
(``status``, ``drop``, ``stall``, ``malformed``) plus the answers of the ChatGPT backend
worth scripting by name (usage limit, expired token, ``response.failed``...).

Every fault is used once, in order, by the next ``/responses`` call that passes auth and the
body checks (so the request is still recorded, with the fault's name); an answer fault gets
that call's :class:`~litellm_codex.testing.codex_backend.Turn`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from litellm_codex.testing import faults
from litellm_codex.testing._server import Response, json_response
from litellm_codex.testing.codex_backend.auth import TOKEN_EXPIRED
from litellm_codex.testing.codex_backend.events import (
    Event,
    error_event,
    failed_event,
    incomplete_event,
    request_id_headers,
    stream_response,
)
from litellm_codex.testing.codex_backend.replies import ReplyPlan, count_input_tokens, plan_events

if TYPE_CHECKING:
    from litellm_codex.testing.codex_backend.server import Turn

__all__ = ["Fault"]


def _stream(turn: Turn, events: Sequence[Any], *, number: bool = True) -> Response:
    # Renumbering keeps sequence_number consecutive after spliced events.
    return stream_response(events, turn.ok_headers(), number=number)


class Fault(faults.Fault):
    """A scripted answer for one ``/responses`` call: an error, a broken stream, or a custom
    reply. Queue them with :meth:`CodexBackend.queue`."""

    @classmethod
    def default_status_body(cls, code: int) -> Any:
        return {"detail": f"simulated {code}"}

    @classmethod
    def response_headers(cls) -> dict[str, str]:
        return request_id_headers()

    # -- HTTP errors ------------------------------------------------------------------

    @classmethod
    def usage_limit(
        cls,
        resets_in: int = 3600,
        *,
        plan_type: str | None = None,
        message: str = "The usage limit has been reached",
    ) -> Fault:
        """429 ``usage_limit_reached`` with ``resets_at`` / ``resets_in_seconds`` and the
        ``x-codex-*`` headers showing the primary window at 100% (§4.1; body as captured
        in james-6-23/codex2api#9)."""

        def build(turn: Turn) -> Response:
            plan = plan_type or turn.account.plan
            limits = copy.deepcopy(turn.backend.rate_limits)
            limits.primary.used_percent = 100.0
            limits.primary.reset_after_seconds = resets_in
            body = {
                "error": {
                    "type": "usage_limit_reached",
                    "message": message,
                    "plan_type": plan,
                    "resets_at": int(turn.now) + resets_in,
                    "eligible_promo": None,
                    "resets_in_seconds": resets_in,
                }
            }
            headers = {
                **request_id_headers(),
                **limits.headers(turn.now, plan),
                "x-models-etag": turn.backend.etag,
            }
            return json_response(body, 429, headers)

        return cls.respond("usage_limit", build)

    @classmethod
    def unauthorized_once(cls) -> Fault:
        """401 as for an expired token, whatever the token (the client should refresh)."""
        return cls.respond(
            "unauthorized", lambda turn: json_response(TOKEN_EXPIRED, 401, request_id_headers())
        )

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        """A 5xx with an OpenAI-style body."""
        body = {
            "error": {
                "message": "The server had an error while processing your request. "
                "Sorry about that!",
                "type": "server_error",
                "param": None,
                "code": "server_error",
            }
        }
        return cls.respond(
            f"server_error:{code}", lambda turn: json_response(body, code, request_id_headers())
        )

    @classmethod
    def deactivated_workspace(cls) -> Fault:
        """402 ``{"detail": {"code": "deactivated_workspace"}}`` (HKUDS/nanobot#1738)."""
        return cls.status(402, {"detail": {"code": "deactivated_workspace"}})

    # -- broken streams (besides the shared drop / stall / malformed) ------------------

    @classmethod
    def no_completed(cls) -> Fault:
        """The normal reply without its final ``response.completed`` (clean EOF)."""
        return cls.respond("no_completed", lambda turn: _stream(turn, turn.default_events()[:-1]))

    @classmethod
    def failed(
        cls,
        code: str = "server_error",
        message: str = "An error occurred.",
        *,
        after: int = 2,
        **error_fields: Any,
    ) -> Fault:
        """``response.failed`` after ``after`` events of the normal reply (the first two
        are created / in_progress). E.g. ``failed("context_length_exceeded", ...)``."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()[:after]
            final = failed_event(turn.response_id, turn.model, code, message, **error_fields)
            return _stream(turn, [*events, final])

        return cls.respond(f"failed:{code}", build)

    @classmethod
    def error_event(
        cls,
        code: str = "server_error",
        message: str = "An error occurred.",
        *,
        after: int = 2,
    ) -> Fault:
        """A bare ``error`` event after ``after`` events, then the stream ends."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()[:after]
            return _stream(turn, [*events, error_event(code, message)])

        return cls.respond(f"error_event:{code}", build)

    @classmethod
    def incomplete(cls, reason: str = "max_output_tokens") -> Fault:
        """The normal reply, but ending in ``response.incomplete`` with ``reason``."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()
            use = events[-1].get("response", {}).get("usage")
            final = incomplete_event(turn.response_id, turn.model, reason, use)
            return _stream(turn, [*events[:-1], final])

        return cls.respond(f"incomplete:{reason}", build)

    # -- custom replies -------------------------------------------------------------------

    @classmethod
    def events(cls, events: Sequence[Event | bytes | object], *, number: bool = True) -> Fault:
        """Stream exactly ``events`` (dicts framed as SSE; bytes, :data:`DROP` and
        :class:`Stall` pass through). ``number`` adds ``sequence_number``s."""
        frozen = list(events)
        return cls.respond("events", lambda turn: _stream(turn, frozen, number=number))

    @classmethod
    def text(cls, text: str) -> Fault:
        """Answer with ``text`` instead of the default reply."""
        return cls._plan("text", ReplyPlan(text=text))

    @classmethod
    def tool_calls(cls, *calls: tuple[str, str | Mapping[str, Any]]) -> Fault:
        """Answer with function calls ``(name, arguments)`` instead of the default reply."""
        plan = ReplyPlan(
            tool_calls=[(n, a if isinstance(a, str) else json.dumps(a)) for n, a in calls]
        )
        return cls._plan("tool_calls", plan)

    @classmethod
    def _plan(cls, name: str, plan: ReplyPlan) -> Fault:
        return cls.respond(
            name,
            lambda turn: _stream(
                turn,
                plan_events(
                    plan,
                    turn.model,
                    response_id=turn.response_id,
                    input_tokens=count_input_tokens(turn.body),
                ),
            ),
        )
