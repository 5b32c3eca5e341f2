"""Request data, and the call through each entry point, shared by the provider contract
tests."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import litellm

import litellm_codex
from litellm_codex.provider_names import HANDLERS

MODES = ["completion", "acompletion", "streaming", "astreaming"]


def answer_through(
    mode: str, model: str, messages: list[Any], **kwargs: Any
) -> tuple[Any, Any, Any]:
    """Call ``model`` through one entry point of MODES; return the answer's message, finish
    reason and usage. A stream asks for usage and is read to the end and built back into
    one answer; an async call closes the handler's clients inside its own event loop."""

    async def aclose() -> None:
        await getattr(litellm_codex, HANDLERS[model.split("/", 1)[0]]).aclose()

    if mode in ("completion", "acompletion"):
        if mode == "completion":
            r = litellm.completion(model=model, messages=messages, **kwargs)
        else:

            async def call() -> Any:
                out = await litellm.acompletion(model=model, messages=messages, **kwargs)
                await aclose()
                return out

            r = asyncio.run(call())
        return r.choices[0].message, r.choices[0].finish_reason, r.usage
    opts = {"stream": True, "stream_options": {"include_usage": True}, **kwargs}
    if mode == "streaming":
        chunks = list(litellm.completion(model=model, messages=messages, **opts))
    else:

        async def collect() -> list[Any]:
            stream = await litellm.acompletion(model=model, messages=messages, **opts)
            out = [c async for c in stream]
            await aclose()
            return out

        chunks = asyncio.run(collect())
    built = litellm.stream_chunk_builder(chunks, messages=messages)
    assert built is not None
    return built.choices[0].message, built.choices[0].finish_reason, built.usage


TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    },
]

#: A valid 1x1 PNG as a data URL.
PNG = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    ).decode()
)
