"""A small real HTTP/1.1 server on 127.0.0.1 that the simulators are built on.

Standard library only (``http.server``), so ``litellm-codex demo`` and users' test suites
need nothing beyond the package. It speaks keep-alive HTTP/1.1 with ``Content-Length``
bodies and ``Transfer-Encoding: chunked`` streams, so httpx connection pooling works as
against the real services, and it can misbehave on purpose:

- a streamed body may contain :data:`DROP` (close the socket mid-body, no terminating
  chunk: the client sees a broken transfer) or :class:`Stall` (go quiet for a while);
- :meth:`SimServer.script` queues responses that replace the normal handler for the next
  matching calls (a 429, a 401 once, a 500 then success...).

Every request is recorded in :attr:`SimServer.calls`, so tests can assert that the
simulator, and not some other code path, answered.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DROP",
    "Handler",
    "Request",
    "Response",
    "SimServer",
    "Stall",
    "json_response",
    "sse_response",
]


class _Headers(dict[str, str]):
    """Case-insensitive header mapping (keys stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for key, value in items:
            self[key.lower()] = value

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class Request:
    """A request as the simulator saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: _Headers
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first values)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    def data(self) -> dict[str, Any]:
        """JSON or form body, whichever the content type says (OAuth servers accept both)."""
        if "json" in (self.headers.get("content-type") or ""):
            value = self.json()
            return value if isinstance(value, dict) else {}
        return dict(self.form())


@dataclass
class Stall:
    """In a streamed body: send nothing for ``seconds`` (ended early when the server stops)."""

    seconds: float


#: In a streamed body: close the connection at once, without ending the chunked body.
DROP = object()


@dataclass
class Response:
    """What a handler returns. Give ``body`` for a fixed body or ``stream`` for a chunked one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterable[bytes | Stall | object] | None = None


Handler = Callable[[Request], Response]


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response."""
    return Response(
        status,
        {"content-type": "application/json", **(headers or {})},
        json.dumps(obj).encode(),
    )


def sse_response(
    events: Iterable[Mapping[str, Any] | bytes | Stall | object],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    with_event_lines: bool = True,
) -> Response:
    """A ``text/event-stream`` response, one chunk per event.

    Dict events are framed as ``event: <type>`` + ``data: <json>``; bytes go out as they
    are (for malformed frames), and :data:`DROP` / :class:`Stall` pass through.
    """

    def frames() -> Iterable[bytes | Stall | object]:
        for event in events:
            if isinstance(event, Mapping):
                data = json.dumps(event, separators=(",", ":"))
                kind = event.get("type")
                head = f"event: {kind}\n" if with_event_lines and kind else ""
                yield f"{head}data: {data}\n\n".encode()
            else:
                yield event

    return Response(
        status,
        {"content-type": "text/event-stream", "cache-control": "no-cache", **(headers or {})},
        stream=frames(),
    )


class SimServer:
    """A threaded HTTP server on 127.0.0.1 with routes, scripted overrides and a call log.

    Use as a context manager, or call :meth:`start` / :meth:`stop`::

        with MySimulator() as sim:
            httpx.get(sim.url + "/ping")
            assert sim.calls[-1].path == "/ping"
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._routes: dict[tuple[str, str], Handler] = {}
        self._prefix_routes: list[tuple[str, str, Handler]] = []
        self._scripted: deque[tuple[str, str, Response | Handler]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: Every request received, in order.
        self.calls: list[Request] = []

    # -- configuration --------------------------------------------------------------

    def route(self, method: str, path: str, handler: Handler, *, prefix: bool = False) -> None:
        """Serve ``method path`` with ``handler`` (``prefix=True``: every path below it)."""
        if prefix:
            self._prefix_routes.append((method.upper(), path.rstrip("/"), handler))
        else:
            self._routes[(method.upper(), path)] = handler

    def script(self, method: str, path: str, *responses: Response | Handler) -> None:
        """Answer the next matching calls with ``responses``, in order, then resume normal
        service. ``path`` may end in ``*`` to match a prefix."""
        with self._lock:
            for response in responses:
                self._scripted.append((method.upper(), path, response))

    def calls_to(self, path: str, method: str | None = None) -> list[Request]:
        """Recorded calls whose path ends with ``path``."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.path.endswith(path) and (method is None or c.method == method.upper())
            ]

    def reset_calls(self) -> None:
        """Forget recorded calls."""
        with self._lock:
            self.calls.clear()

    # -- lifecycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> SimServer:
        """Bind and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port), _make_handler(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end stalls, close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_all()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch --------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        with self._lock:
            self.calls.append(request)
            scripted = None
            for entry in self._scripted:
                method, path, response = entry
                if method == request.method and _path_matches(path, request.path):
                    scripted = entry
                    break
            if scripted is not None:
                self._scripted.remove(scripted)
        if scripted is not None:
            response = scripted[2]
            return response(request) if callable(response) else response
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            for method, prefix, candidate in self._prefix_routes:
                if method == request.method and (
                    request.path == prefix or request.path.startswith(prefix + "/")
                ):
                    handler = candidate
                    break
        if handler is None:
            return json_response({"error": {"message": f"no route {request.path}"}}, 404)
        try:
            return handler(request)
        except Exception as exc:  # a simulator bug must show up as a 500, not a hang
            return json_response(
                {"error": {"message": f"simulator error: {type(exc).__name__}: {exc}"}}, 500
            )

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _path_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern or path.endswith(pattern)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self._sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self._sockets.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        with self._sockets_lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _make_handler(sim: SimServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "litellm-codex-simulator"
        # Without TCP_NODELAY every request on a reused keep-alive connection waits ~40 ms
        # (Nagle's algorithm meeting the client's delayed ACK).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query),
                headers=_Headers(self.headers.items()),
                body=body,
            )
            response = sim._dispatch(request)
            try:
                self._send(response)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if response.stream is None:
                self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
                return
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for piece in response.stream:
                if piece is DROP:
                    self.wfile.flush()
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(piece, Stall):
                    sim._wait(piece.seconds)
                    if sim._stopping.is_set():
                        self.close_connection = True
                        return
                    continue
                assert isinstance(piece, bytes)
                if not piece:
                    continue
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        do_GET = _handle
        do_POST = _handle
        do_PUT = _handle
        do_DELETE = _handle
        do_PATCH = _handle

    return _Handler
