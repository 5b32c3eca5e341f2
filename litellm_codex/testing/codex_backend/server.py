"""The simulated backend on a :class:`SimServer`: the :class:`CodexBackend` controller
(routes, recorded requests, queued faults, rate-limit headers, prompt-cache accounting) and
the standalone :class:`CodexBackendSimulator`."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from litellm_codex.testing._server import Request, Response, SimServer, json_response
from litellm_codex.testing._tokens import Account, OpenAIAuthority
from litellm_codex.testing.codex_backend.auth import authenticate
from litellm_codex.testing.codex_backend.catalog import default_models
from litellm_codex.testing.codex_backend.events import (
    JSON,
    Event,
    failed_event,
    new_id,
    request_id_headers,
    response_stream,
    stream_response,
)
from litellm_codex.testing.codex_backend.faults import Fault
from litellm_codex.testing.codex_backend.replies import count_input_tokens, plan_events, plan_reply
from litellm_codex.testing.codex_backend.validation import (
    Problem,
    detail_error,
    validate_request,
    version_tuple,
)
from litellm_codex.testing.faults import FaultQueue

__all__ = [
    "CodexBackend",
    "CodexBackendSimulator",
    "RateLimitWindow",
    "RateLimits",
    "RecordedRequest",
    "Rejection",
    "Turn",
    "install_codex_backend",
]

# =====================================================================================
# Rate-limit headers (§4.2)
# =====================================================================================


@dataclass
class RateLimitWindow:
    """One usage window as the ``x-codex-<primary|secondary>-*`` headers describe it."""

    used_percent: float
    window_minutes: int
    reset_after_seconds: int


@dataclass
class RateLimits:
    """The state reported in ``x-codex-*`` headers on every answer (primary ~5 h, secondary
    weekly). Header names as captured from the real service (icebear0828/codex-proxy#65,
    earendil-works/pi#4172)."""

    primary: RateLimitWindow = field(default_factory=lambda: RateLimitWindow(12.0, 300, 9000))
    secondary: RateLimitWindow = field(default_factory=lambda: RateLimitWindow(4.0, 10080, 400_000))
    active_limit: str = "codex"
    has_credits: bool = False
    unlimited: bool = False
    balance: str = "0"

    def headers(self, now: float, plan_type: str) -> dict[str, str]:
        """The header set at time ``now``."""
        out = {"x-codex-active-limit": self.active_limit, "x-codex-plan-type": plan_type}
        for name, window in (("primary", self.primary), ("secondary", self.secondary)):
            out[f"x-codex-{name}-used-percent"] = f"{window.used_percent:g}"
            out[f"x-codex-{name}-window-minutes"] = str(window.window_minutes)
            out[f"x-codex-{name}-reset-after-seconds"] = str(window.reset_after_seconds)
            out[f"x-codex-{name}-reset-at"] = str(int(now) + window.reset_after_seconds)
        out["x-codex-primary-over-secondary-limit-percent"] = "0"
        out["x-codex-credits-has-credits"] = str(self.has_credits)
        out["x-codex-credits-unlimited"] = str(self.unlimited)
        out["x-codex-credits-balance"] = self.balance
        return out


@dataclass
class RecordedRequest:
    """A ``/responses`` call that passed auth and the body checks."""

    body: JSON
    #: Request headers, keys lower-case.
    headers: dict[str, str]
    account_id: str
    #: Name of the :class:`Fault` that answered it, or ``None`` for a normal reply.
    fault: str | None = None

    @property
    def model(self) -> str:
        return str(self.body.get("model"))


@dataclass
class Rejection:
    """A call the checks refused (auth or body): what came in and what went out."""

    path: str
    status: int
    error: JSON
    headers: dict[str, str]
    body: bytes


@dataclass
class Turn:
    """Context handed to a :class:`Fault` or a custom responder for one accepted call."""

    backend: CodexBackend
    body: JSON
    headers: dict[str, str]
    account: Account
    response_id: str
    now: float

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    def default_events(self) -> list[Event]:
        """What the responder would stream for this call (numbered)."""
        return self.backend.responder(self)

    def ok_headers(self) -> dict[str, str]:
        """Headers of a normal 200 answer (request id, models etag, rate limits)."""
        return self.backend.ok_headers(self)


def _unzstd(data: bytes) -> bytes:
    import zstandard

    try:
        # Bodies compressed in one shot carry their size; streamed ones may not.
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            return reader.read()
    except zstandard.ZstdError as exc:
        raise ValueError(str(exc)) from exc


# =====================================================================================
# The controller
# =====================================================================================


class CodexBackend:
    """Serves ``{base}/responses`` and ``{base}/models`` on a :class:`SimServer`; the handle
    tests use to script faults and inspect requests. Build it with
    :func:`install_codex_backend`.

    Attributes worth knowing:

    - :attr:`requests`: every accepted ``/responses`` call (:class:`RecordedRequest`);
    - :attr:`rejections`: every refused call (:class:`Rejection`), for debugging;
    - :attr:`models`: the ``/models`` list (set it with :meth:`set_models`);
    - :attr:`rate_limits`: the ``x-codex-*`` header state;
    - :attr:`responder`: ``Callable[[Turn], list[event]]``, replace it to change the reply;
    - :attr:`require_account_header`: refuse calls without ``ChatGPT-Account-ID`` (default);
    - :attr:`completed_output`: put the streamed items in ``response.completed.output``
      instead of the real backend's ``[]`` (default ``False``).
    """

    def __init__(
        self, server: SimServer, authority: OpenAIAuthority, base_path: str = "/backend-api/codex"
    ) -> None:
        self.server = server
        self.authority = authority
        self.base_path = base_path.rstrip("/")
        self.rate_limits = RateLimits()
        self.require_account_header = True
        self.completed_output = False
        self.responder: Callable[[Turn], list[Event]] = self.default_responder
        self.requests: list[RecordedRequest] = []
        self.rejections: list[Rejection] = []
        self.model_requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._faults = FaultQueue()
        self._cache: dict[str, int] = {}
        self._models: list[JSON] = default_models()
        self._etag = self._compute_etag()

    # -- scripting -------------------------------------------------------------------------

    def queue(self, *faults: Fault) -> None:
        """Apply ``faults`` (:class:`~litellm_codex.testing.codex_backend.Fault`, the shared
        fault API) to the next accepted ``/responses`` calls, one each, in order."""
        self._faults.put(*faults, endpoint="/responses")

    @property
    def pending(self) -> int:
        """How many queued faults are still unused."""
        return len(self._faults)

    def clear(self) -> None:
        """Drop queued faults, recorded requests, rejections and the prompt cache."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self.rejections.clear()
            self.model_requests.clear()
            self._cache.clear()

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent accepted ``/responses`` call."""
        with self._lock:
            if not self.requests:
                raise LookupError("no /responses call has been accepted yet")
            return self.requests[-1]

    # -- models ------------------------------------------------------------------------------

    @property
    def models(self) -> list[JSON]:
        """A copy of the served model list."""
        with self._lock:
            return copy.deepcopy(self._models)

    def set_models(self, models: Iterable[JSON]) -> None:
        """Serve ``models`` (build entries with :func:`model_info`); the ETag changes."""
        with self._lock:
            self._models = copy.deepcopy(list(models))
            self._etag = self._compute_etag()

    @property
    def etag(self) -> str:
        """The current ``/models`` ETag (also sent as ``x-models-etag`` on ``/responses``)."""
        with self._lock:
            return self._etag

    def _compute_etag(self) -> str:
        digest = hashlib.sha256(json.dumps(self._models, sort_keys=True).encode()).hexdigest()
        return f'W/"{digest[:32]}"'  # weak, as captured (icebear0828/codex-proxy#65)

    # -- HTTP ----------------------------------------------------------------------------------

    def authenticate(self, headers: Mapping[str, str]) -> tuple[Account | None, Problem | None]:
        """Check the auth headers: ``(account, None)`` or ``(None, (status, body))``
        (see :func:`~litellm_codex.testing.codex_backend.auth.authenticate`)."""
        return authenticate(
            self.authority, headers, require_account_header=self.require_account_header
        )

    def ok_headers(self, turn: Turn) -> dict[str, str]:
        """Headers of a 200 stream: request ids, ``x-models-etag``, ``x-codex-*``."""
        return {
            **request_id_headers(),
            "x-models-etag": self.etag,
            "openai-model": turn.model,
            **self.rate_limits.headers(turn.now, turn.account.plan),
        }

    def _reject(self, request: Request, problem: Problem) -> Response:
        status, body = problem
        with self._lock:
            self.rejections.append(
                Rejection(request.path, status, body, dict(request.headers), request.body)
            )
        return json_response(body, status, request_id_headers())

    def handle_responses(self, request: Request) -> Response:
        """``POST {base}/responses``."""
        account, problem = self.authenticate(request.headers)
        if problem is not None:
            return self._reject(request, problem)
        assert account is not None
        raw = request.body
        encoding = (request.headers.get("content-encoding") or "").strip().lower()
        if encoding == "zstd":
            # The reference compresses its request bodies (§1.3).
            try:
                raw = _unzstd(raw)
            except ValueError:
                return self._reject(request, detail_error("Request body is not valid zstd data"))
        elif encoding not in ("", "identity"):
            return self._reject(
                request, detail_error(f"Unsupported content-encoding: {encoding}", status=415)
            )
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return self._reject(request, detail_error("Request body is not valid JSON"))
        problem = validate_request(body, self.models, request.headers)
        if problem is not None:
            return self._reject(request, problem)
        turn = Turn(
            self, body, dict(request.headers), account, new_id("resp"), self.authority.clock()
        )
        fault = self._faults.take("/responses")
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    body, dict(request.headers), account.account_id, fault.name if fault else None
                )
            )
        if fault is not None and fault.answers:
            return fault.answer(turn)
        response = stream_response(self.responder(turn), turn.ok_headers())
        return response if fault is None else fault.apply(response)

    def default_responder(self, turn: Turn) -> list[Event]:
        """The deterministic reply of :func:`plan_reply`, with prompt-cache accounting
        (a repeated ``prompt_cache_key`` reports the previous input as cached) and the
        context-window check."""
        body = turn.body
        input_tokens = count_input_tokens(body)
        info = next((m for m in self.models if m.get("slug") == turn.model), {})
        window = info.get("context_window")
        if isinstance(window, int) and input_tokens > window:
            # The real service reports this in-stream (§3.3 c, §4.1).
            final = failed_event(
                turn.response_id,
                turn.model,
                "context_length_exceeded",
                "Your input exceeds the context window of this model. Please adjust your "
                "input and try again.",
            )
            return response_stream(turn.model, [], response_id=turn.response_id, final=final)
        key = body.get("prompt_cache_key")
        cached = 0
        if isinstance(key, str):
            with self._lock:
                cached = self._cache.get(key, 0)
                self._cache[key] = input_tokens
        return plan_events(
            plan_reply(body),
            turn.model,
            input_tokens=input_tokens,
            cached_tokens=cached,
            response_id=turn.response_id,
            completed_output=self.completed_output,
        )

    def handle_models(self, request: Request) -> Response:
        """``GET {base}/models?client_version=...`` with ``ETag`` / ``If-None-Match``."""
        _, problem = self.authenticate(request.headers)
        if problem is not None:
            return self._reject(request, problem)
        client_version = (request.query.get("client_version") or [""])[0]
        with self._lock:
            self.model_requests.append({"client_version": client_version, **dict(request.headers)})
        etag = self.etag
        headers = {**request_id_headers(), "etag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(304, headers)
        models = self.models
        if client_version:
            # Models newer than the client are hidden (inferred from
            # `minimal_client_version`, §5).
            have = version_tuple(client_version)
            models = [
                m
                for m in models
                if version_tuple(str(m.get("minimal_client_version") or "0")) <= have
            ]
        return json_response({"models": models}, 200, headers)


def install_codex_backend(
    server: SimServer, authority: OpenAIAuthority, *, base_path: str = "/backend-api/codex"
) -> CodexBackend:
    """Register ``POST {base_path}/responses`` and ``GET {base_path}/models`` on ``server``."""
    backend = CodexBackend(server, authority, base_path)
    server.route("POST", f"{backend.base_path}/responses", backend.handle_responses)
    server.route("GET", f"{backend.base_path}/models", backend.handle_models)
    return backend


class CodexBackendSimulator(SimServer):
    """A standalone Codex backend on 127.0.0.1 with its own :class:`OpenAIAuthority`.

    ``sim.backend`` is the :class:`CodexBackend` controller; ``sim.queue``,
    ``sim.requests`` and ``sim.set_models`` are shortcuts to it.
    """

    def __init__(
        self,
        authority: OpenAIAuthority | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_path: str = "/backend-api/codex",
    ) -> None:
        super().__init__(host, port)
        self.authority = authority or OpenAIAuthority()
        self.backend = install_codex_backend(self, self.authority, base_path=base_path)

    def __enter__(self) -> CodexBackendSimulator:
        self.start()
        return self

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:<port>/backend-api/codex``."""
        return f"{self.url}{self.backend.base_path}"

    def auth_headers(
        self, tokens: Mapping[str, str] | None = None, *, account: Account | None = None
    ) -> dict[str, str]:
        """Headers a Codex client sends, for a fresh token set (or ``tokens``)."""
        tokens = tokens or self.authority.issue(account)
        owner = self.authority.check_access(tokens["access_token"]) or self.authority.account
        return {
            "Authorization": f"Bearer {tokens['access_token']}",
            "ChatGPT-Account-ID": owner.account_id,
            "originator": "codex_cli_rs",
            "User-Agent": "codex_cli_rs/0.171.0 (simulator)",
            "version": "0.171.0",
            "Accept": "text/event-stream",
        }

    def queue(self, *faults: Fault) -> None:
        """Shortcut for :meth:`CodexBackend.queue`."""
        self.backend.queue(*faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Shortcut for :attr:`CodexBackend.requests`."""
        return self.backend.requests

    def set_models(self, models: Iterable[JSON]) -> None:
        """Shortcut for :meth:`CodexBackend.set_models`."""
        self.backend.set_models(models)
