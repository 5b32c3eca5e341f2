"""Benchmarks: litellm-codex against raw httpx and LiteLLM's built-in providers.

Run ``python -m benchmarks`` (``--quick`` for a short run, ``--json PATH`` to save the
numbers). See ``benchmarks/README.md`` for the layout and the latest measured table.

This package imports nothing at import time on purpose: the worker that drives LiteLLM's
built-in providers must never import ``litellm_codex`` (it takes over provider names and
patches LiteLLM), so every module here keeps its imports local to what it runs.
"""
