"""Simulators of the upstream APIs, served for real on 127.0.0.1, for tests and the demo.

Nothing here talks to the real services. Each simulator is a :class:`SimServer` that
records every call and can be scripted to misbehave (see ``_server``).
"""

from litellm_codex.testing._server import (
    DROP,
    Request,
    Response,
    SimServer,
    Stall,
    json_response,
    sse_response,
)

__all__ = ["DROP", "Request", "Response", "SimServer", "Stall", "json_response", "sse_response"]
