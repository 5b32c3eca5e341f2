"""A LiteLLM custom auth function for a team without a database: API key -> user id.

``TEAM_KEYS_FILE`` names a JSON file ``{"<api key>": "<user id>", ...}`` (keep it 0600).
The proxy gives each request the user id of its key; with
``LITELLM_CODEX_CREDENTIALS=per-user`` litellm-codex then uses that user's own login
(``litellm-codex login PROVIDER --user <id>``). The user id ``default_user_id`` is
LiteLLM's admin identity and uses the default login.

config.yaml::

    general_settings:
      custom_auth: team_keys.user_api_key_auth
"""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth


def _keys() -> dict[str, str]:
    path = os.environ.get("TEAM_KEYS_FILE")
    if not path:
        raise RuntimeError("set TEAM_KEYS_FILE to a JSON file mapping API keys to user ids")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(key): str(user) for key, user in data.items()}


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    """Accept a key listed in TEAM_KEYS_FILE and tag the request with its user id."""
    presented = api_key.removeprefix("Bearer ").strip()
    for key, user_id in _keys().items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            return UserAPIKeyAuth(api_key=presented, user_id=user_id)
    raise Exception("unknown API key")  # LiteLLM answers 401
