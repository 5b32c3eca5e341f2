"""The shared fault API of the simulators (``litellm_codex.testing.faults``)."""

from __future__ import annotations

import json

import pytest

from litellm_codex.testing._server import DROP, Response, Stall
from litellm_codex.testing.codex_backend import Fault as CodexFault
from litellm_codex.testing.copilot_api import Fault as CopilotFault
from litellm_codex.testing.faults import MALFORMED_FRAME, Fault, FaultQueue

FRAMES = [b"a", b"b", b"c"]


def streamed() -> Response:
    return Response(200, {"content-type": "text/event-stream"}, stream=iter(FRAMES))


def test_break_faults_split_the_stream_after_n_frames() -> None:
    assert Fault.drop(after=2).apply(streamed()).stream == [b"a", b"b", DROP]
    assert Fault.stall(1.5, after=1).apply(streamed()).stream == [b"a", Stall(1.5), b"b", b"c"]
    assert Fault.malformed(after=0).apply(streamed()).stream == [MALFORMED_FRAME, *FRAMES]


def test_break_faults_on_a_whole_body() -> None:
    whole = Response(200, {"content-length": "4"}, b"abcd")
    dropped = Fault.drop().apply(whole)
    assert dropped.stream == [b"ab", DROP]
    assert "content-length" not in dropped.headers
    assert Fault.stall(2).apply(whole).stream == [Stall(2), b"abcd"]
    assert Fault.malformed().apply(whole).stream == [b"{not json"]


def test_status_bodies_and_the_simulators_defaults() -> None:
    text = Fault.status(418, "teapot").answer(None)
    assert (text.status, text.body) == (418, b"teapot")
    assert text.headers["content-type"].startswith("text/plain")
    assert json.loads(Fault.status(500).answer(None).body) == {"error": {"message": "HTTP 500"}}
    codex = CodexFault.status(503).answer(None)
    assert json.loads(codex.body) == {"detail": "simulated 503"}
    assert codex.headers["x-request-id"] == codex.headers["x-oai-request-id"]
    assert isinstance(CodexFault.drop(after=1), CodexFault)
    quota = CopilotFault.quota_exceeded(retry_after=60).answer(None)
    assert (quota.status, quota.headers["retry-after"]) == (402, "60")


def test_a_fault_is_one_kind() -> None:
    with pytest.raises(TypeError):
        Fault.drop().answer(None)
    with pytest.raises(TypeError):
        Fault.status(500).apply(streamed())


def test_queue_keeps_order_per_endpoint_and_kind() -> None:
    queue = FaultQueue()
    status, drop, anywhere = Fault.status(500), Fault.drop(), Fault.stall(1)
    queue.put(status, drop, endpoint="/chat")
    queue.put(anywhere)
    assert len(queue) == 3
    assert queue.take("/models") is anywhere  # only the endpoint-less one applies
    # The next /chat fault answers: a request asking for a break fault gets none (yet).
    assert queue.take("/chat", answers=False) is None
    assert queue.take("/chat", answers=True) is status
    assert queue.take("/chat") is drop
    assert queue.take("/chat") is None
    queue.put(Fault.drop())
    queue.clear()
    assert len(queue) == 0


def test_the_codex_simulator_imports_no_product_code() -> None:
    """A simulator that imported the code it checks would agree with it by construction
    (issue 14). Its only product input is the bundled catalog *data* file."""
    import ast
    from pathlib import Path

    import litellm_codex.testing.codex_backend as package

    modules = [*Path(package.__file__).parent.glob("*.py")]
    modules.append(Path(package.__file__).parent.parent / "faults.py")
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("litellm_codex"):
                    assert name.startswith("litellm_codex.testing"), f"{path.name}: {name}"
