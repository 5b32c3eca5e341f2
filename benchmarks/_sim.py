"""The benchmark's simulator process: both bundled simulators on 127.0.0.1.

Run as a script by :mod:`benchmarks.runner` (``python benchmarks/_sim.py WORKDIR``) with
the repository on ``PYTHONPATH`` and ``LITELLM_CODEX_HOME`` / ``LITELLM_CODEX_STORE=file``
in its environment.

Why a process of its own: the simulators are threaded servers, so in the same process as
the client they would compete with it for the GIL; and the worker that drives LiteLLM's
built-in providers must never import ``litellm_codex`` (the simulators live in it). With
the servers here, every measured client runs alone in its own process against the same
server process, in the same conditions.

It logs every client in before serving:

- ours: a Codex and a Copilot login in the file store (as ``litellm-codex login`` would);
- LiteLLM's ``chatgpt/``: ``WORKDIR/litellm-chatgpt/auth.json`` (flat JSON with
  ``access_token``, ``refresh_token``, ``id_token``, ``expires_at``, ``account_id``; the
  format its ``llms/chatgpt/authenticator.py`` reads);
- LiteLLM's ``github_copilot/``: ``WORKDIR/litellm-copilot/access-token`` (the GitHub
  token) and ``api-key.json`` (an exchanged Copilot token with ``token``, ``expires_at``
  and ``endpoints.api`` pointing at this simulator, the format of its
  ``llms/github_copilot/authenticator.py``);
- raw httpx: a Codex access token + account id and a Copilot token, in the ready line.

Protocol: one JSON line on stdout when ready; then one command per stdin line, each
answered with one JSON line: ``bodies`` (the last request bodies ours sent, so the raw
baseline replays exactly the same request), ``stats`` (accepted / refused counts and the
last refusals), ``clear`` (drop the request logs so memory stays flat). EOF stops it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.auth.store import FileStore
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import default_models, model_info
from litellm_codex.testing.copilot_simulator import CopilotSimulator

#: The benchmark's Codex model (see :func:`main`): a retired name the simulator serves in
#: the classic shape to every client.
BENCH_MODEL = "gpt-5.1-codex"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def _log_in_everyone(
    codex: ChatGPTSimulator, copilot: CopilotSimulator, workdir: Path
) -> dict[str, Any]:
    # Ours: the same records `litellm-codex login` stores.
    store = FileStore()
    codex_refresh.save_login(store, codex.issue_login())
    copilot_exchange.save_login(store, copilot.issue_login())

    # LiteLLM chatgpt/: its own auth.json, with a login of its own (refresh tokens are
    # single-use, so no two clients share one).
    login = codex.issue_login()
    _write_private(
        workdir / "litellm-chatgpt" / "auth.json",
        json.dumps(
            {
                "access_token": login.access_token,
                "refresh_token": login.refresh_token,
                "id_token": login.id_token,
                "expires_at": login.expires_at,
                "account_id": login.account_id,
            }
        ),
    )

    # LiteLLM github_copilot/: GitHub token + an already exchanged Copilot token whose
    # endpoints.api is this simulator, so it never needs github.com.
    github_token = copilot.authority.issue_github_token()
    status, exchanged = copilot.authority.exchange(github_token)
    assert status == 200, exchanged
    _write_private(workdir / "litellm-copilot" / "access-token", github_token)
    _write_private(workdir / "litellm-copilot" / "api-key.json", json.dumps(exchanged))

    # Raw httpx: bare credentials.
    raw_login = codex.issue_login()
    status, raw_copilot = copilot.authority.exchange(copilot.authority.issue_github_token())
    assert status == 200, raw_copilot
    return {
        "codex_api_base": codex.api_base,
        "codex_auth_base": codex.auth_base,
        "copilot_url": copilot.url,
        "copilot_api_base": copilot.api_base,
        "codex_access_token": raw_login.access_token,
        "codex_account_id": raw_login.account_id,
        "copilot_token": raw_copilot["token"],
        "chatgpt_token_dir": str(workdir / "litellm-chatgpt"),
        "copilot_token_dir": str(workdir / "litellm-copilot"),
    }


def _bodies(codex: ChatGPTSimulator, copilot: CopilotSimulator) -> dict[str, Any]:
    out: dict[str, Any] = {"codex": None, "copilot_stream": None, "copilot_plain": None}
    if codex.backend.requests:
        out["codex"] = codex.backend.last_request.body
    for call in copilot.api.calls("/chat/completions"):
        try:
            body = call.json()
        except ValueError:
            continue
        out["copilot_stream" if body.get("stream") else "copilot_plain"] = body
    return out


def _stats(codex: ChatGPTSimulator, copilot: CopilotSimulator) -> dict[str, Any]:
    rejections = [{"status": r.status, "error": r.error} for r in codex.backend.rejections[-3:]]
    return {
        "codex_accepted": len(codex.backend.requests),
        "codex_refused": len(codex.backend.rejections),
        "codex_last_refusals": rejections,
        "copilot_chat_calls": len(copilot.api.calls("/chat/completions")),
        "copilot_token_exchanges": copilot.authority.exchange_count,
    }


def main(argv: list[str]) -> int:
    workdir = Path(argv[1])
    with ChatGPTSimulator() as codex, CopilotSimulator() as copilot:
        # Today's catalog plus one classic-shape model every client can call: LiteLLM's
        # built-in chatgpt/ and the raw baseline send neither the `version` header nor the
        # "Responses Lite" shape today's catalog models need, and the comparison must be
        # the same request on every side.
        codex.backend.set_models(
            [*default_models(), model_info(BENCH_MODEL, minimal_client_version="0.0.0")]
        )
        # LiteLLM's built-in github_copilot/ still sends X-GitHub-Api-Version 2025-04-01,
        # which the simulator (like GitHub) retires with HTTP 466; a speed comparison needs
        # it answered, so this simulator accepts it.
        copilot.api.oldest_api_version = "2025-01-01"
        ready = _log_in_everyone(codex, copilot, workdir)
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "bodies":
                answer: dict[str, Any] = _bodies(codex, copilot)
            elif command == "stats":
                answer = _stats(codex, copilot)
            elif command == "clear":
                codex.backend.clear()
                codex.reset_calls()
                copilot.reset_calls()
                answer = {"ok": True}
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
