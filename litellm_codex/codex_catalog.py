"""The Codex backend's model catalog: what each ``openai-codex/`` model takes.

Per-model behaviour comes from ``GET {api_base}/models?client_version=...`` (SPEC §3), never
from name patterns. One :class:`CodexCatalog` per process (:func:`codex_catalog`) is shared
by the provider, the CLI (``litellm-codex models openai-codex``) and the metadata rows fed
to ``litellm.register_model``. Until the first live answer (and offline) it serves the
snapshot bundled in ``litellm_codex/data/codex_models.json``: the catalog embedded in Codex
CLI 0.171.0 (protocols/reference-clients-2026-11.md §1.2), without the per-model base
instructions. Live answers are revalidated with their ``ETag``.

Which fields decide what (each read in :class:`ModelSpec`):

- ``use_responses_lite`` picks the "Responses Lite" request shape (§1.3). In the 0.171.0
  catalog it is ``true`` on exactly the models the capture saw sent in the Lite shape
  (all but gpt-5.5); Codex's request builder keys ``parallel_tool_calls`` on the same
  flag (``prompt.parallel_tool_calls && !model_info.use_responses_lite``, as quoted from
  openai/codex in public write-ups; the newest openai/codex source was too large to fetch
  here). ``tool_mode: "code_mode_only"`` travels with it but is Codex's own tool-surface
  choice (its ``exec`` tool), not the wire shape, so it is not read here;
- ``supported_reasoning_levels`` / ``default_reasoning_level``: efforts accepted / sent;
- ``support_verbosity`` / ``default_verbosity``: ``text.verbosity``;
- ``supports_parallel_tool_calls``: whether ``parallel_tool_calls: true`` may be sent
  (never for Lite models);
- ``supports_image_detail_original``: images go as ``detail: "original"`` (non-Lite);
- ``context_window`` / ``max_context_window``: ``max_input_tokens`` / ``max_tokens`` rows;
- ``minimal_client_version``: the floor of the ``version`` we send for the model;
- ``visibility`` (``list`` / ``hide``) and ``upgrade.model``: notes in listings and errors.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "CATALOG_TTL",
    "CodexCatalog",
    "ModelSpec",
    "bundled_models",
    "codex_catalog",
    "reset_codex_catalog",
]

#: Seconds a live catalog is used before it is revalidated (with its ETag).
CATALOG_TTL = 600.0


@dataclass(frozen=True)
class ModelSpec:
    """What the catalog says about one model (see the module docstring)."""

    slug: str
    lite: bool
    reasoning_levels: tuple[str, ...]
    default_reasoning: str | None
    supports_verbosity: bool
    default_verbosity: str | None
    parallel_tool_calls: bool
    image_detail_original: bool
    vision: bool
    context_window: int | None
    max_context_window: int | None
    minimal_client_version: str | None
    hidden: bool
    upgrade: str | None
    supports_reasoning_summaries: bool
    display_name: str | None = None
    description: str | None = None
    priority: int | None = None

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> ModelSpec:
        """Read one ``/models`` entry (unknown or missing fields get safe defaults)."""
        levels = tuple(
            str(level["effort"])
            for level in entry.get("supported_reasoning_levels") or []
            if isinstance(level, Mapping) and isinstance(level.get("effort"), str)
        )
        upgrade = entry.get("upgrade")
        upgrade_model = upgrade.get("model") if isinstance(upgrade, Mapping) else None
        modalities = entry.get("input_modalities")
        if not isinstance(modalities, list):
            modalities = ["text", "image"]

        def _int(name: str) -> int | None:
            value = entry.get(name)
            return value if isinstance(value, int) and value > 0 else None

        def _str(name: str) -> str | None:
            value = entry.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            slug=str(entry.get("slug")),
            lite=entry.get("use_responses_lite") is True,
            reasoning_levels=levels,
            default_reasoning=_str("default_reasoning_level"),
            supports_verbosity=entry.get("support_verbosity") is True,
            default_verbosity=_str("default_verbosity"),
            parallel_tool_calls=entry.get("supports_parallel_tool_calls") is True,
            image_detail_original=entry.get("supports_image_detail_original") is True,
            vision="image" in modalities,
            context_window=_int("context_window"),
            max_context_window=_int("max_context_window"),
            minimal_client_version=_str("minimal_client_version"),
            hidden=entry.get("visibility") == "hide",
            upgrade=upgrade_model if isinstance(upgrade_model, str) and upgrade_model else None,
            supports_reasoning_summaries=entry.get("supports_reasoning_summaries") is True,
            display_name=_str("display_name"),
            description=_str("description"),
            priority=entry.get("priority") if isinstance(entry.get("priority"), int) else None,
        )

    def as_json(self) -> dict[str, Any]:
        """A plain dict for ``--json`` output."""
        return {
            "slug": self.slug,
            "display_name": self.display_name,
            "lite": self.lite,
            "context_window": self.context_window,
            "max_context_window": self.max_context_window,
            "reasoning_levels": list(self.reasoning_levels),
            "default_reasoning": self.default_reasoning,
            "verbosity": self.default_verbosity if self.supports_verbosity else None,
            "parallel_tool_calls": self.parallel_tool_calls and not self.lite,
            "vision": self.vision,
            "minimal_client_version": self.minimal_client_version,
            "hidden": self.hidden,
            "upgrade": self.upgrade,
        }


def bundled_models() -> list[dict[str, Any]]:
    """The bundled snapshot's ``models`` list (a fresh copy)."""
    text = resources.files("litellm_codex").joinpath("data/codex_models.json").read_text("utf-8")
    models = json.loads(text).get("models")
    return [dict(m) for m in models if isinstance(m, dict)] if isinstance(models, list) else []


class CodexCatalog:
    """The current catalog: the bundled snapshot until a live ``/models`` answer arrives.

    Thread-safe; every read is in memory (no I/O), so it can be used while mapping errors.
    """

    def __init__(self, models: Sequence[Mapping[str, Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._models: list[dict[str, Any]] = [
            dict(m) for m in (models if models is not None else bundled_models())
        ]
        self._specs = _index(self._models)
        self._etag = ""
        self._fetched_at: float | None = None  # monotonic time of the last live answer
        self._source = "bundled snapshot (Codex CLI 0.171.0)"

    # -- reads -------------------------------------------------------------------------

    def spec(self, slug: str) -> ModelSpec | None:
        """The model's :class:`ModelSpec`, or ``None`` when the catalog does not list it."""
        with self._lock:
            return self._specs.get(slug)

    def specs(self, *, include_hidden: bool = True) -> list[ModelSpec]:
        """Every model, in the catalog's priority order."""
        with self._lock:
            specs = list(self._specs.values())
        specs.sort(key=lambda s: (s.priority if s.priority is not None else 1_000, s.slug))
        return [s for s in specs if include_hidden or not s.hidden]

    def models(self) -> list[dict[str, Any]]:
        """A copy of the raw entries."""
        with self._lock:
            return copy.deepcopy(self._models)

    def slugs(self, *, include_hidden: bool = False) -> list[str]:
        """The slugs, in priority order (the listed ones only by default)."""
        return [s.slug for s in self.specs(include_hidden=include_hidden)]

    @property
    def etag(self) -> str:
        with self._lock:
            return self._etag

    @property
    def source(self) -> str:
        """Where the current entries came from (for ``litellm-codex models``)."""
        with self._lock:
            return self._source

    def is_live(self) -> bool:
        with self._lock:
            return self._fetched_at is not None

    def stale(self, ttl: float = CATALOG_TTL) -> bool:
        """Whether a revalidation is due (never fetched, or older than ``ttl``)."""
        with self._lock:
            fetched = self._fetched_at
        return fetched is None or time.monotonic() - fetched >= ttl

    # -- writes ------------------------------------------------------------------------

    def update(self, body: Any, *, etag: str = "", source: str = "") -> bool:
        """Adopt a live ``/models`` answer (``{"models": [...]}``); ``False`` if unusable.

        Entries are kept whatever their visibility: hidden models still take requests.
        """
        models = body.get("models") if isinstance(body, Mapping) else None
        if not isinstance(models, list):
            return False
        entries = [dict(m) for m in models if isinstance(m, Mapping) and m.get("slug")]
        with self._lock:
            self._models = entries
            self._specs = _index(entries)
            self._etag = etag
            self._fetched_at = time.monotonic()
            self._source = source or "live /models"
        return True

    def adopt_saved(self, models: Sequence[Mapping[str, Any]], *, etag: str, source: str) -> bool:
        """Start from a live answer an earlier process saved (entries and ETag), unless a
        live answer arrived already. It counts as not yet fetched: the next answer whose
        ``x-models-etag`` differs, or ``list_models``, revalidates it with its ETag."""
        entries = [dict(m) for m in models if m.get("slug")]
        if not entries:
            return False
        with self._lock:
            if self._fetched_at is not None:
                return False
            self._models = entries
            self._specs = _index(entries)
            self._etag = etag
            self._source = source
        return True

    def touch(self) -> None:
        """A ``304 Not Modified``: the entries stay, the TTL restarts."""
        with self._lock:
            self._fetched_at = time.monotonic()


def _index(models: Sequence[Mapping[str, Any]]) -> dict[str, ModelSpec]:
    out: dict[str, ModelSpec] = {}
    for entry in models:
        slug = entry.get("slug")
        if isinstance(slug, str) and slug:
            out[slug] = ModelSpec.from_entry(entry)
    return out


_catalog: CodexCatalog | None = None
_catalog_lock = threading.Lock()


def codex_catalog() -> CodexCatalog:
    """The process-wide catalog (created on first use from the bundled snapshot)."""
    global _catalog
    with _catalog_lock:
        if _catalog is None:
            _catalog = CodexCatalog()
        return _catalog


def reset_codex_catalog() -> None:
    """Back to the bundled snapshot (tests)."""
    global _catalog
    with _catalog_lock:
        _catalog = None
