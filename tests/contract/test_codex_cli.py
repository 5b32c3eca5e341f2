"""Reading and writing the Codex CLI's own login (auth.json and its keyring entry)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest

from litellm_codex.auth.codex_cli import (
    KEYRING_SERVICE,
    CodexCliApiKeyMode,
    codex_home,
    format_rfc3339,
    keyring_account,
    load_codex_cli,
    parse_rfc3339,
    read_back,
    write_back,
)
from litellm_codex.auth.records import CodexCliLink
from litellm_codex.errors import LoginError
from litellm_codex.testing._tokens import OpenAIAuthority
from tests._keyring import FileKeyring


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Default: keyring's fail backend (no Codex keyring entry); restored afterwards."""
    from keyring.backends import fail

    saved = keyring.core._keyring_backend
    keyring.set_keyring(fail.Keyring())
    monkeypatch.delenv("CODEX_HOME", raising=False)
    yield
    keyring.core._keyring_backend = saved


@pytest.fixture
def tokens() -> dict[str, str]:
    return OpenAIAuthority().issue()


def write(path: Path, data: Any, mode: int = 0o600) -> Path:
    """Write a file as the Codex CLI does (0600 unless told)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) if not isinstance(data, str) else data)
    path.chmod(mode)
    return path


def configure(home: Path, store: str) -> None:
    """Set the Codex CLI's ``cli_auth_credentials_store`` in its config.toml."""
    write(home / "config.toml", f'model = "gpt-5.5"\ncli_auth_credentials_store = "{store}"\n')


def test_nothing_there(tmp_path: Path) -> None:
    assert load_codex_cli(tmp_path / "codex") is None


def test_current_format(tmp_path: Path, tokens: dict[str, str]) -> None:
    write(
        tmp_path / "auth.json",
        {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {**tokens, "account_id": "acct-from-file"},
            "last_refresh": "2025-01-02T03:04:05.123456789Z",
        },
    )
    loaded = load_codex_cli(tmp_path)
    assert loaded is not None
    login, link = loaded
    assert link == CodexCliLink(
        kind="file", location=str(tmp_path / "auth.json"), home=str(tmp_path)
    )
    assert login.codex_cli == link
    assert login.access_token == tokens["access_token"]
    assert login.refresh_token == tokens["refresh_token"]
    assert login.id_token == tokens["id_token"]
    assert login.account_id == "acct-from-file"
    assert (login.email, login.plan) == ("dev@example.com", "plus")
    assert login.expires_at is not None
    assert login.last_refresh == pytest.approx(1735787045.123456789)


def test_python_era_file(tmp_path: Path, tokens: dict[str, str]) -> None:
    # Old files: OPENAI_API_KEY next to the tokens, no auth_mode, no account_id (§1.5).
    write(
        tmp_path / "auth.json",
        {
            "OPENAI_API_KEY": "sk-old-key-123456",
            "tokens": tokens,
            "last_refresh": "2024-05-01T00:00:00Z",
        },
    )
    loaded = load_codex_cli(tmp_path)
    assert loaded is not None
    login, _ = loaded
    assert login.account_id == "acct-sim-0001"  # from the JWT claims
    assert login.last_refresh == parse_rfc3339("2024-05-01T00:00:00Z")


@pytest.mark.parametrize(
    "data",
    [
        {"auth_mode": "apikey", "OPENAI_API_KEY": "sk-secret-key-987654", "tokens": None},
        {"OPENAI_API_KEY": "sk-secret-key-987654"},
        {"auth_mode": "ApiKey", "OPENAI_API_KEY": "sk-secret-key-987654", "tokens": {"x": 1}},
    ],
)
def test_api_key_mode(tmp_path: Path, data: dict[str, Any]) -> None:
    write(tmp_path / "auth.json", data)
    with pytest.raises(CodexCliApiKeyMode) as info:
        load_codex_cli(tmp_path)
    assert info.value.api_key == "sk-secret-key-987654"
    assert "sk-secret-key-987654" not in str(info.value)
    assert "sk-secret-key-987654" not in repr(info.value)
    assert "https://api.openai.com/v1" in str(info.value)
    assert isinstance(info.value, LoginError)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"tokens": {"access_token": "a"}}', "no ChatGPT tokens"),
        ('{"auth_mode": "chatgpt"}', "no ChatGPT tokens"),
    ],
)
def test_broken_files(tmp_path: Path, text: str, match: str) -> None:
    write(tmp_path / "auth.json", text)
    with pytest.raises(LoginError, match=match):
        load_codex_cli(tmp_path)
    assert read_back(CodexCliLink(kind="file", location=str(tmp_path / "auth.json"))) is None


def test_empty_file_is_no_login(tmp_path: Path) -> None:
    write(tmp_path / "auth.json", "  ")
    assert load_codex_cli(tmp_path) is None


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path, tokens: dict[str, str]) -> None:
    path = write(tmp_path / "auth.json", {"tokens": tokens})
    path.chmod(0)
    with pytest.raises(LoginError, match="cannot read"):
        load_codex_cli(tmp_path)


def test_codex_home_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert codex_home() == tmp_path / "home" / ".codex"
    monkeypatch.setenv("CODEX_HOME", "")
    assert codex_home() == tmp_path / "home" / ".codex"
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "custom"))
    assert codex_home() == tmp_path / "custom"
    assert codex_home(tmp_path / "arg") == tmp_path / "arg"


def test_codex_home_env_is_used(
    tmp_path: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "custom" / "auth.json", {"tokens": tokens, "last_refresh": None})
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "custom"))
    loaded = load_codex_cli()
    assert loaded is not None
    assert loaded[1].location == str(tmp_path / "custom" / "auth.json")
    assert loaded[0].last_refresh is None


def test_keyring_account(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    link = tmp_path / "link"
    link.symlink_to(home)
    expected = "cli|" + hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    assert keyring_account(home) == expected
    assert keyring_account(link) == expected  # canonicalised, like Rust's canonicalize()
    missing = tmp_path / "missing"
    assert keyring_account(missing) == (
        "cli|" + hashlib.sha256(str(missing.absolute()).encode()).hexdigest()[:16]
    )


def test_keyring_entry_is_preferred_and_written_back(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    home = tmp_path / "codex"
    home.mkdir()
    account = keyring_account(home)
    entry = {
        "OPENAI_API_KEY": None,
        "tokens": tokens,
        "last_refresh": "2025-01-01T00:00:00Z",
        "agent_identity": "keep",
    }
    backend.set_password(KEYRING_SERVICE, account, json.dumps(entry, separators=(",", ":")))
    write(home / "auth.json", {"tokens": {"access_token": "file-a", "refresh_token": "file-r"}})
    configure(home, "auto")
    loaded = load_codex_cli(home)
    assert loaded is not None
    login, link = loaded
    assert link == CodexCliLink(kind="keyring", location=account, home=str(home))
    assert login.refresh_token == tokens["refresh_token"]

    fresh = OpenAIAuthority().issue()
    updated = login.model_copy(
        update={
            "access_token": fresh["access_token"],
            "refresh_token": fresh["refresh_token"],
            "last_refresh": 1_750_000_000.0,
        }
    )
    write_back(link, updated)
    stored = json.loads(backend.get_password(KEYRING_SERVICE, account) or "")
    assert stored["tokens"]["refresh_token"] == fresh["refresh_token"]
    assert stored["agent_identity"] == "keep"
    assert stored["last_refresh"] == format_rfc3339(1_750_000_000.0)
    back = read_back(link)
    assert back is not None and back.access_token == fresh["access_token"]


def test_keyring_write_back_skips_missing_entry(tmp_path: Path, tokens: dict[str, str]) -> None:
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    link = CodexCliLink(kind="keyring", location="cli|0000000000000000")
    loaded_login = OpenAIAuthority().issue()
    from litellm_codex.auth.records import CodexLogin

    write_back(
        link,
        CodexLogin(
            access_token=loaded_login["access_token"], refresh_token=loaded_login["refresh_token"]
        ),
    )
    assert backend.entries() == {}
    assert read_back(link) is None


def test_write_back_to_vanished_file_creates_nothing(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    path = write(tmp_path / "auth.json", {"tokens": tokens, "last_refresh": "2025-01-01T00:00:00Z"})
    loaded = load_codex_cli(tmp_path)
    assert loaded is not None
    path.unlink()
    write_back(loaded[1], loaded[0])
    assert not path.exists()


def test_write_back_adds_missing_fields(tmp_path: Path, tokens: dict[str, str]) -> None:
    # A Python-era file gains account_id and keeps its API key.
    path = write(
        tmp_path / "auth.json", {"OPENAI_API_KEY": "sk-keep-this-123456", "tokens": tokens}
    )
    loaded = load_codex_cli(tmp_path)
    assert loaded is not None
    write_back(loaded[1], loaded[0])
    data = json.loads(path.read_text())
    assert data["OPENAI_API_KEY"] == "sk-keep-this-123456"
    assert data["tokens"]["account_id"] == "acct-sim-0001"
    assert "auth_mode" not in data
    assert parse_rfc3339(data["last_refresh"]) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-01T00:00:00Z", 1735689600.0),
        ("2025-01-01T00:00:00.5Z", 1735689600.5),
        ("2025-01-01T00:00:00.123456789Z", 1735689600.123456789),
        ("2025-01-01t00:00:00z", 1735689600.0),
        ("2025-01-01 00:00:00Z", 1735689600.0),
        ("2025-01-01T02:00:00+02:00", 1735689600.0),
        ("2024-12-31T22:30:00-01:30", 1735689600.0),
        ("2025-01-01T00:00:00", None),  # no zone
        ("yesterday", None),
        ("", None),
        (None, None),
        (1735689600, None),
        ("2025-13-45T99:99:99Z", None),
    ],
)
def test_parse_rfc3339(text: Any, expected: float | None) -> None:
    value = parse_rfc3339(text)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)


def test_format_rfc3339_roundtrip() -> None:
    text = format_rfc3339(1735689600.25)
    assert text == "2025-01-01T00:00:00.250000Z"
    assert parse_rfc3339(text) == pytest.approx(1735689600.25)
