"""Copilot ``/models`` answers kept on disk between processes, one file per API base.

A fresh process routes its first ``github_copilot/`` call from the last answer another
process saw (``LITELLM_CODEX_HOME/cache/copilot-models-<hash of the API base>.json``)
instead of asking ``/models`` first: one request less before the first answer, as
opencode keeps its Copilot model list in ``copilot-models-<hash>.json`` for an hour and VS
Code refreshes its list every 10 minutes (protocols/github-copilot.md §3.4). The provider
decides how old a snapshot may be; this module only reads and writes them.

A snapshot holds the ``/models`` entries (model ids, endpoints, limits, policy states: no
credential), written atomically with mode 0600 like the credentials file. A file that is
missing, unreadable, malformed or for another API base reads as no snapshot; a write that
fails is logged at debug level and forgotten: the snapshot is only ever a shortcut.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["load", "path_for", "save"]

log = logging.getLogger(__name__)

_FORMAT = 1


def path_for(api_base: str) -> Path:
    """The snapshot file of ``api_base``."""
    from litellm_codex.auth.store import home_dir

    digest = hashlib.sha256(api_base.encode("utf-8")).hexdigest()[:16]
    return home_dir() / "cache" / f"copilot-models-{digest}.json"


def load(api_base: str, now: float | None = None) -> tuple[float, list[dict[str, Any]]] | None:
    """``(age in seconds, entries)`` of the snapshot of ``api_base``, or ``None``."""
    try:
        text = path_for(api_base).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
        return None
    saved = data.get("saved_at")
    entries = data.get("data")
    if data.get("api_base") != api_base or not isinstance(saved, (int, float)):
        return None
    if not isinstance(entries, list):
        return None
    age = (time.time() if now is None else now) - float(saved)
    if age < 0:  # a clock that went back: as old as can be trusted, not newer
        return None
    return age, [dict(e) for e in entries if isinstance(e, Mapping)]


def save(api_base: str, entries: list[dict[str, Any]]) -> None:
    """Write the snapshot of ``api_base`` (atomically, 0600); never raises."""
    from litellm_codex.auth.store import atomic_write, ensure_private_dir

    path = path_for(api_base)
    body = {"format": _FORMAT, "api_base": api_base, "saved_at": time.time(), "data": entries}
    try:
        ensure_private_dir(path.parent)
        atomic_write(path, json.dumps(body, separators=(",", ":")))
    except (OSError, TypeError, ValueError) as exc:
        log.debug("litellm-codex: could not save the Copilot model list to %s: %s", path, exc)
