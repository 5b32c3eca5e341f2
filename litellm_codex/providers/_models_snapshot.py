"""``/models`` answers kept on disk between processes, one file per backend and API base.

``LITELLM_CODEX_HOME/cache/<kind>-models-<hash of the API base>.json``:

- ``copilot``: a fresh process routes its first ``github_copilot/`` call from the last
  answer another process saw instead of asking ``/models`` first (one request less before
  the first answer), as opencode keeps its Copilot model list in ``copilot-models-<hash>.json``
  for an hour and VS Code refreshes its list every 10 minutes (protocols/github-copilot.md
  §3.4);
- ``codex``: a fresh process starts from the last live Codex catalog (with its ETag and the
  client version it was asked with) instead of the bundled one, so a model released since
  the bundled snapshot gets its own request shape from the first call on.

The providers decide how old a snapshot may be; this module only reads and writes them. A
snapshot holds the ``/models`` entries (model ids, endpoints, limits, policy states: no
credential) and a few strings (``meta``: ETag, client version), written atomically with
mode 0600 like the credentials file. A file that is missing, unreadable, malformed or for
another API base reads as no snapshot; a write that fails is logged at debug level and
forgotten: the snapshot is only ever a shortcut.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Saved", "load", "path_for", "save"]

log = logging.getLogger(__name__)

_FORMAT = 1


@dataclass(frozen=True)
class Saved:
    """A snapshot read back: its age in seconds, its entries and its ``meta`` strings."""

    age: float
    entries: list[dict[str, Any]]
    meta: dict[str, str]


def path_for(kind: str, api_base: str) -> Path:
    """The snapshot file of ``kind`` (``copilot`` / ``codex``) for ``api_base``."""
    from litellm_codex.auth.store import home_dir

    digest = hashlib.sha256(api_base.encode("utf-8")).hexdigest()[:16]
    return home_dir() / "cache" / f"{kind}-models-{digest}.json"


def load(kind: str, api_base: str, now: float | None = None) -> Saved | None:
    """The snapshot of ``kind`` for ``api_base``, or ``None``."""
    try:
        text = path_for(kind, api_base).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
        return None
    saved = data.get("saved_at")
    entries = data.get("data")
    meta = data.get("meta", {})
    if data.get("api_base") != api_base or not isinstance(saved, (int, float)):
        return None
    if not isinstance(entries, list) or not isinstance(meta, Mapping):
        return None
    age = (time.time() if now is None else now) - float(saved)
    if age < 0:  # a clock that went back: as old as can be trusted, not newer
        return None
    return Saved(
        age,
        [dict(e) for e in entries if isinstance(e, Mapping)],
        {str(k): str(v) for k, v in meta.items() if isinstance(v, str)},
    )


def save(
    kind: str, api_base: str, entries: list[dict[str, Any]], meta: Mapping[str, str] | None = None
) -> None:
    """Write the snapshot of ``kind`` for ``api_base`` (atomically, 0600); never raises."""
    from litellm_codex.auth.store import atomic_write, ensure_private_dir

    path = path_for(kind, api_base)
    body = {
        "format": _FORMAT,
        "api_base": api_base,
        "saved_at": time.time(),
        "meta": dict(meta or {}),
        "data": entries,
    }
    try:
        ensure_private_dir(path.parent)
        atomic_write(path, json.dumps(body, separators=(",", ":")))
    except (OSError, TypeError, ValueError) as exc:
        log.debug("litellm-codex: could not save the %s model list to %s: %s", kind, path, exc)
