"""Reading and writing the Codex CLI's own login (auth.json and its keyring entry)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest

from litellm_codex.auth.codex_cli import (
    KEYRING_SERVICE,
    CodexCliApiKeyMode,
    CodexCliUnreadableStore,
    codex_home,
    format_rfc3339,
    keyring_account,
    load_codex_cli,
    parse_rfc3339,
    read_back,
    store_mode,
    write_back,
)
from litellm_codex.auth.codex_refresh import CodexCredentials
from litellm_codex.auth.login_openai import login_from_codex_cli
from litellm_codex.auth.records import CodexCliLink
from litellm_codex.auth.store import FileStore
from litellm_codex.errors import LoginError
from litellm_codex.testing._tokens import OpenAIAuthority
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from tests._keyring import FileKeyring, gnome_keyring_session, missing_secret_service_binaries


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


# ----------------------------------------------------------------- where the login lives


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, "file"),
        ('model = "gpt-5.5"\n', "file"),
        ('cli_auth_credentials_store = "keyring"\n', "keyring"),
        ('cli_auth_credentials_store = "auto"\n[model_providers.x]\nname = "x"\n', "auto"),
        ('cli_auth_credentials_store = "File"\n', "file"),
    ],
)
def test_store_mode(tmp_path: Path, config: str | None, expected: str) -> None:
    if config is not None:
        write(tmp_path / "config.toml", config)
    assert store_mode(tmp_path) == expected


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ('cli_auth_credentials_store = "vault"\n', "must be one of file, keyring, auto"),
        ("cli_auth_credentials_store = 3\n", "must be one of"),
        ("cli_auth_credentials_store = \n", "not valid TOML"),
    ],
)
def test_store_mode_rejects_bad_config(tmp_path: Path, config: str, match: str) -> None:
    write(tmp_path / "config.toml", config)
    with pytest.raises(LoginError, match=match):
        load_codex_cli(tmp_path)


def test_file_mode_ignores_a_keyring_entry(tmp_path: Path, tokens: dict[str, str]) -> None:
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    home = tmp_path / "codex"
    home.mkdir()
    stale = OpenAIAuthority().issue()
    backend.set_password(KEYRING_SERVICE, keyring_account(home), json.dumps({"tokens": stale}))
    write(home / "auth.json", {"tokens": tokens})
    loaded = load_codex_cli(home)  # no config.toml: Codex's default, the file store
    assert loaded is not None
    assert loaded[1].kind == "file"
    assert loaded[0].refresh_token == tokens["refresh_token"]
    configure(home, "keyring")
    loaded = load_codex_cli(home)
    assert loaded is not None
    assert loaded[1].kind == "keyring"
    assert loaded[0].refresh_token == stale["refresh_token"]


@pytest.mark.parametrize("mode", ["keyring", "auto"])
def test_encrypted_store_says_how_to_switch(tmp_path: Path, mode: str) -> None:
    home = tmp_path / "codex"
    configure(home, mode)
    write(home / "secrets" / "cli_auth.age", "age-encryption.org/v1\n")
    with pytest.raises(CodexCliUnreadableStore) as info:
        load_codex_cli(home)
    message = str(info.value)
    assert str(home / "secrets" / "cli_auth.age") in message
    assert 'cli_auth_credentials_store = "file"' in message
    assert str(home / "config.toml") in message
    assert "codex login" in message


def test_windows_keyring_mode_is_the_encrypted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    # Codex on Windows keeps keyring-mode logins in the encrypted file by default
    # (AuthKeyringBackendKind::Secrets): nothing we could read, even before it exists.
    home = tmp_path / "codex"
    configure(home, "keyring")
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(CodexCliUnreadableStore, match="switch the Codex CLI to the file store"):
        load_codex_cli(home)
    configure(home, "auto")  # auto falls back to auth.json there
    write(home / "auth.json", {"tokens": tokens})
    loaded = load_codex_cli(home)
    assert loaded is not None and loaded[1].kind == "file"


def test_ephemeral_store_says_how_to_switch(tmp_path: Path) -> None:
    configure(tmp_path, "ephemeral")
    with pytest.raises(CodexCliUnreadableStore, match="memory only"):
        load_codex_cli(tmp_path)


# ----------------------------------------------------------------- files: modes, symlinks


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_readable_auth_json_is_made_private_with_a_warning(
    tmp_path: Path, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "auth.json", {"tokens": tokens}, mode=0o644)
    with caplog.at_level("WARNING"):
        assert load_codex_cli(tmp_path) is not None
    assert path.stat().st_mode & 0o777 == 0o600
    assert "readable by other users (mode 0644)" in caplog.text
    assert str(path) in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert load_codex_cli(tmp_path) is not None
    assert "readable" not in caplog.text  # said once, when it was fixed


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_readable_auth_json_that_cannot_be_fixed_is_refused(
    tmp_path: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "auth.json", {"tokens": tokens}, mode=0o640)

    def refuse(path: Any, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(LoginError, match=r"readable by other users \(mode 0640\).*chmod 600"):
        load_codex_cli(tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinked_auth_json_is_updated_at_its_target(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    target = write(dotfiles / "codex-auth.json", {"tokens": {}}, mode=0o644)
    sim_tokens = OpenAIAuthority().issue()
    target.write_text(json.dumps({"tokens": sim_tokens, "last_refresh": None}))
    home = tmp_path / "codex"
    home.mkdir()
    (home / "auth.json").symlink_to(target)
    loaded = load_codex_cli(home)
    assert loaded is not None
    assert target.stat().st_mode & 0o777 == 0o600  # the target was made private
    login, link = loaded
    fresh = OpenAIAuthority().issue()
    write_back(
        link,
        login.model_copy(
            update={"access_token": fresh["access_token"], "refresh_token": fresh["refresh_token"]}
        ),
    )
    assert (home / "auth.json").is_symlink()
    assert os.readlink(home / "auth.json") == str(target)
    assert json.loads(target.read_text())["tokens"]["refresh_token"] == fresh["refresh_token"]
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in dotfiles.iterdir()) == ["codex-auth.json"]  # no temp left
    assert (home / "auth.json.lock").exists()  # written under the Codex CLI's write lock


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_write_back_waits_for_the_codex_cli_write_lock(tmp_path: Path) -> None:
    import fcntl
    import threading

    path = write(tmp_path / "auth.json", {"tokens": OpenAIAuthority().issue()})
    loaded = load_codex_cli(tmp_path)
    assert loaded is not None
    fresh = OpenAIAuthority().issue()
    fd = os.open(tmp_path / "auth.json.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()

    def writer() -> None:
        write_back(
            loaded[1], loaded[0].model_copy(update={"refresh_token": fresh["refresh_token"]})
        )
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert not done.wait(0.3)  # blocked by the Codex CLI's lock
        assert fresh["refresh_token"] not in path.read_text()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    thread.join(5)
    assert done.is_set()
    assert fresh["refresh_token"] in path.read_text()


# ----------------------------------------------------------------- shared with a refresher

PEER = [sys.executable, "-m", "tests._codex_cli_peer"]


def peer_command(home: Path, store: str, sim: ChatGPTSimulator, *extra: str) -> list[str]:
    """The command line of a Codex-CLI-like refresher for ``home``."""
    url = f"{sim.auth_base}/oauth/token"
    return [*PEER, "--home", str(home), "--store", store, "--token-url", url, *extra]


REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def secret_service_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private D-Bus session with an unlocked GNOME Keyring (see test_store.py)."""
    missing = missing_secret_service_binaries()
    if missing:
        message = f"missing {', '.join(missing)} (apt-get install dbus gnome-keyring)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the real Secret Service: {message}")
        pytest.skip(message)
    with gnome_keyring_session(tmp_path_factory.mktemp("gnome-keyring")) as address:
        yield address


@pytest.fixture
def secret_service(secret_service_bus: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """keyring's SecretService backend as the active backend, on the private bus."""
    from keyring.backends import SecretService

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_bus)
    backend = SecretService.Keyring()
    keyring.set_keyring(backend)
    return backend


def put_codex_item(account: str, data: dict[str, Any]) -> None:
    """Create the item exactly as Codex CLI 0.171 (keyring-rs 3.6.3) does."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item(
            f"{account}@{KEYRING_SERVICE}:default (keyring v3.6.3)",
            {
                "application": "rust-keyring",
                "service": KEYRING_SERVICE,
                "target": "default",
                "username": account,
                "xdg:schema": "org.freedesktop.Secret.Generic",
            },
            json.dumps(data, separators=(",", ":")).encode(),
            replace=True,
        )


def items_for(account: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """Every Secret Service item for the Codex CLI's service and ``account``."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        return [
            (item.get_attributes(), json.loads(item.get_secret()))
            for item in secretstorage.search_items(
                connection, {"service": KEYRING_SERVICE, "username": account}
            )
        ]


@pytest.fixture
def sim() -> Iterator[ChatGPTSimulator]:
    with ChatGPTSimulator() as server:
        yield server


def codex_cli_with(
    home: Path, store: str, tokens: dict[str, str], *, last_refresh: str = "2025-01-01T00:00:00Z"
) -> None:
    """The Codex CLI logged in with ``tokens`` in its ``store`` under ``home``."""
    data = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {**tokens, "account_id": "acct-sim-0001"},
        "last_refresh": last_refresh,
    }
    configure(home, store)
    if store == "file":
        write(home / "auth.json", data)
    else:
        put_codex_item(keyring_account(home), data)


def codex_cli_tokens(home: Path, store: str) -> dict[str, Any]:
    if store == "file":
        data = json.loads((home / "auth.json").read_text())
    else:
        found = [
            data
            for attributes, data in items_for(keyring_account(home))
            if attributes.get("application") == "rust-keyring"
        ]
        assert len(found) == 1
        data = found[0]
    tokens = data["tokens"]
    assert isinstance(tokens, dict)
    return tokens


def wait_for(path: Path, peer: subprocess.Popen[str]) -> None:
    """Wait until the peer process creates ``path``."""
    deadline = time.monotonic() + 20
    while not path.exists():
        assert peer.poll() is None, "the peer exited early"
        assert time.monotonic() < deadline, f"the peer did not create {path.name}"
        time.sleep(0.005)


STORES = ["file", pytest.param("keyring", marks=pytest.mark.keyring)]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind = str(request.param)
    if kind == "keyring":
        request.getfixturevalue("secret_service")
    return kind


def our_credentials(tmp_path: Path, sim: ChatGPTSimulator, home: Path) -> CodexCredentials:
    store = FileStore(tmp_path / "ours" / "credentials.json")
    login_from_codex_cli(store, home, auth_base=sim.auth_base)
    return CodexCredentials(
        store, auth_base=sim.auth_base, lock_path=tmp_path / "ours" / "refresh.lock"
    )


@pytest.mark.keyring
def test_real_keyring_item_is_imported_refreshed_in_place_and_alone(
    tmp_path: Path, sim: ChatGPTSimulator, secret_service: Any
) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    account = keyring_account(home)
    codex_cli_with(home, "keyring", sim.authority.issue(access_ttl=-60))
    # A parallel item as older litellm-codex versions wrote it (Python keyring's own),
    # holding other tokens: our reads must not pick it.
    secret_service.set_password(
        KEYRING_SERVICE, account, json.dumps({"tokens": OpenAIAuthority().issue()})
    )
    assert len(items_for(account)) == 2
    original = codex_cli_tokens(home, "keyring")

    creds = our_credentials(tmp_path, sim, home)
    assert creds.login is None
    loaded = creds.store.load("openai-codex")
    assert loaded is not None
    assert loaded["refresh_token"] == original["refresh_token"]  # the Codex CLI's item
    assert loaded["codex_cli"] == {"kind": "keyring", "location": account, "home": str(home)}

    access = creds.get()  # expired: refreshed by us
    assert sim.authority.refresh_count == 1
    assert sim.authority.was_used(original["refresh_token"])
    now = codex_cli_tokens(home, "keyring")
    assert now["access_token"] == access.token
    assert creds.login is not None and now["refresh_token"] == creds.login.refresh_token
    assert now["account_id"] == "acct-sim-0001"
    # Exactly one item: the Codex CLI's, updated in place; the stray copy is gone.
    remaining = items_for(account)
    assert [attributes["application"] for attributes, _ in remaining] == ["rust-keyring"]
    assert remaining[0][0]["target"] == "default"
    back = read_back(CodexCliLink(kind="keyring", location=account, home=str(home)))
    assert back is not None and back.access_token == access.token
    creds.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the peer uses flock")
def test_codex_cli_holding_its_lock_delays_our_refresh_which_adopts_its_token(
    tmp_path: Path, sim: ChatGPTSimulator, store_kind: str
) -> None:
    home = tmp_path / "codex"
    codex_cli_with(home, store_kind, sim.authority.issue(access_ttl=-60))
    creds = our_credentials(tmp_path, sim, home)
    ready = tmp_path / "ready"
    hold = 1.0
    peer = subprocess.Popen(
        peer_command(home, store_kind, sim, "--hold", str(hold), "--ready", str(ready)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(ready, peer)
        started = time.monotonic()
        access = creds.get()
        waited = time.monotonic() - started
        out, _ = peer.communicate(timeout=30)
    finally:
        creds.close()
        if peer.poll() is None:
            peer.kill()
            peer.wait()
    assert json.loads(out) == {"action": "refreshed", "status": 200}
    assert waited >= hold * 0.7, waited  # we waited for the Codex CLI's lock
    assert sim.authority.refresh_count == 1  # its refresh only: we adopted it
    assert sim.authority.reuse_count == 0
    theirs = codex_cli_tokens(home, store_kind)
    assert access.token == theirs["access_token"]
    stored = creds.store.load("openai-codex")
    assert stored is not None and stored["refresh_token"] == theirs["refresh_token"]


@pytest.mark.skipif(sys.platform == "win32", reason="the peer uses flock")
def test_both_refreshing_at_once_burns_no_refresh_token(
    tmp_path: Path, sim: ChatGPTSimulator, store_kind: str
) -> None:
    home = tmp_path / "codex"
    rounds = 6
    actions = []
    for round_ in range(rounds):
        codex_cli_with(home, store_kind, sim.authority.issue(access_ttl=-60))
        creds = our_credentials(tmp_path / f"round{round_}", sim, home)
        go, loaded = tmp_path / f"go{round_}", tmp_path / f"loaded{round_}"
        peer = subprocess.Popen(
            peer_command(home, store_kind, sim, "--go", str(go), "--loaded", str(loaded)),
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(loaded, peer)  # it has its login in memory, as a running Codex CLI
            go.touch()
            access = creds.get()
            out, _ = peer.communicate(timeout=30)
        finally:
            creds.close()
            if peer.poll() is None:
                peer.kill()
                peer.wait()
        actions.append(json.loads(out)["action"])
        assert access.token == codex_cli_tokens(home, store_kind)["access_token"]
    assert sim.authority.reuse_count == 0
    assert sim.authority.refresh_count == rounds  # one refresh per round, by one of the two
    assert set(actions) <= {"refreshed", "adopted"}
