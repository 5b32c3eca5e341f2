"""The parts of ``scripts/capture_reference.py`` that run without root: sanitising and the
golden files it writes (the capture itself needs root, npm and namespaces: not in CI)."""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "capture_reference.py"


@pytest.fixture(scope="module")
def capture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capture_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["capture_reference"] = module
    spec.loader.exec_module(module)
    return module


def test_sanitiser_replaces_secrets_and_ids_consistently(capture: ModuleType) -> None:
    san = capture.Sanitiser()
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln"
    uuid = "01a22c32-fce8-7111-b126-3766a58c7830"
    assert san.header("Authorization", f"Bearer {jwt}") == "Bearer <token>"
    assert san.header("session-id", uuid) == "<uuid-1>"
    assert san.header("thread-id", uuid) == "<uuid-1>"  # same value, same placeholder
    assert san.header("x-client-request-id", "11111111-2222-4333-8444-555555555555") == "<uuid-2>"
    assert san.header("version", "0.171.0") == "0.171.0"  # a protocol constant stays
    body = san.value(
        {
            "id": "msg_01a22c32-fdfe-78f3-8bc6-6512cf819dce",
            "token": "gho_" + "A" * 36,
            "refresh_token": "rt_capture_1796037868",
            "text": "x" * 500,
            "image_url": "data:image/png;base64,AAAA",
            "encrypted_content": "gAAAA-secret",
            "created_at": 1796037868,
            "nested": [{"create_time": 1796037868.5, "n": 3}],
        }
    )
    assert body == {
        "id": "msg_<id-1>",
        "token": "<github-token-1>",
        "refresh_token": "<refresh-token-1>",
        "text": "<text:500 chars>",
        "image_url": "<data-url:image/png>",
        "encrypted_content": "<encrypted_content>",
        "created_at": 0,
        "nested": [{"create_time": 0, "n": 3}],
    }


def test_png_is_valid(capture: ModuleType) -> None:
    png = capture.PNG
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    length = struct.unpack(">I", png[8:12])[0]
    kind, data = png[12:16], png[16 : 16 + length]
    crc = struct.unpack(">I", png[16 + length : 20 + length])[0]
    assert kind == b"IHDR" and zlib.crc32(kind + data) == crc


def test_plan_covers_every_family(capture: ModuleType) -> None:
    names = {(r.client, r.name) for r in capture.plan(None)}
    assert ("codex", "lite-tool") in names and ("codex", "standard-refresh") in names
    assert ("codex", "lite-function") in names
    assert ("copilot", "messages-tool") in names and ("copilot", "chat-image") in names
    assert {r.client for r in capture.plan("codex")} == {"codex"}


def _entry(run: str, method: str, url: str, body: Any = None) -> dict[str, Any]:
    return {
        "run": run,
        "method": method,
        "url": url,
        "headers": [["host", "chatgpt.com"], ["authorization", "Bearer eyJa.eyJb.c"]],
        "body": body,
    }


def test_write_golden_keeps_the_requests_that_matter(capture: ModuleType, tmp_path: Path) -> None:
    run = capture.Run("codex", "lite", "gpt-6.2-sol", "refresh")
    base = "https://chatgpt.com/backend-api"
    entries = [
        _entry("lite-refresh", "GET", f"{base}/codex/models?client_version=0.171.0", {"x": 1}),
        _entry("lite-refresh", "GET", f"{base}/codex/models?client_version=0.171.0"),
        _entry("lite-refresh", "GET", f"{base}/ps/plugins/installed"),
        _entry("lite-refresh", "POST", f"{base}/codex/responses", {"input": []}),
        _entry("lite-refresh", "POST", "https://auth.openai.com/oauth/token", {"a": "rt_x1"}),
        _entry("lite-refresh", "POST", f"{base}/codex/responses", {"input": []}),
        _entry("other-run", "POST", f"{base}/codex/responses", {"input": []}),
    ]
    capture.write_golden([run], entries, {"codex": "0.171.0"}, tmp_path)
    data = json.loads((tmp_path / "codex" / "lite-refresh.json").read_text())
    assert [r["role"] for r in data["requests"]] == ["models", "turn", "refresh", "followup"]
    assert data["requests"][0]["body"] is None  # the catalog is ours, not the client's
    assert data["requests"][1]["body"] is None  # refresh conversation: headers only
    assert data["requests"][2]["body"] == {"a": "<refresh-token-1>"}
    assert data["requests"][1]["headers"] == [["authorization", "Bearer <token>"]]
    assert f"{base}/ps/plugins/installed" in data["all_urls"]
    assert data["client_version"] == "0.171.0"
