"""File- and env-reading helpers of the GitHub login (no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from litellm_codex import codex_client
from litellm_codex.auth import login_github
from litellm_codex.auth.login_github import GitHubEndpoints
from litellm_codex.errors import LoginError


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("octo.ghe.com", "octo.ghe.com"),
        ("https://Octo.GHE.com/", "octo.ghe.com"),
        ("  octo.ghe.com/ ", "octo.ghe.com"),
        ("http://ghe.internal:8443", "ghe.internal:8443"),
    ],
)
def test_normalize_domain(value: str, domain: str) -> None:
    assert login_github.normalize_domain(value) == domain


@pytest.mark.parametrize("value", ["", "a b", "octo.ghe.com/path", "https://"])
def test_normalize_domain_rejects(value: str) -> None:
    with pytest.raises(LoginError, match="not an enterprise domain"):
        login_github.normalize_domain(value)


def test_resolve_endpoints_defaults() -> None:
    assert login_github.resolve_endpoints(env={}) == GitHubEndpoints(
        "https://github.com", "https://api.github.com", None, None
    )


def test_resolve_endpoints_enterprise() -> None:
    assert login_github.resolve_endpoints("octo.ghe.com", env={}) == GitHubEndpoints(
        "https://octo.ghe.com",
        "https://api.octo.ghe.com",
        "https://copilot-api.octo.ghe.com",
        "octo.ghe.com",
    )


def test_resolve_endpoints_env_wins() -> None:
    env = {
        "GITHUB_COPILOT_GITHUB_URL": "http://127.0.0.1:1/",
        "GITHUB_COPILOT_GITHUB_API_URL": "http://127.0.0.1:2/",
        "GITHUB_COPILOT_API_BASE": "http://127.0.0.1:3/",
    }
    assert login_github.resolve_endpoints("octo.ghe.com", env=env) == GitHubEndpoints(
        "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", "octo.ghe.com"
    )


def test_endpoint_host() -> None:
    assert GitHubEndpoints().host == "github.com"
    assert GitHubEndpoints(enterprise="octo.ghe.com").host == "octo.ghe.com"
    assert GitHubEndpoints(github_url="http://127.0.0.1:5").host == "github.com"


def test_token_from_env_order() -> None:
    env = {"GITHUB_TOKEN": "c", "GH_TOKEN": "b", "COPILOT_GITHUB_TOKEN": " "}
    assert login_github.token_from_env(env) == ("GH_TOKEN", "b")
    assert login_github.token_from_env({"GH_COPILOT_TOKEN": "z", "GH_TOKEN": "b"}) == (
        "GH_COPILOT_TOKEN",
        "z",
    )
    assert login_github.token_from_env({}) is None


def test_token_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_GITHUB_TOKEN", "t")
    assert login_github.token_from_env() == ("COPILOT_GITHUB_TOKEN", "t")


def test_editor_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert login_github.editor_config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "github-copilot"
    )
    monkeypatch.setattr(sys, "platform", "win32")
    assert login_github.editor_config_dir({"LOCALAPPDATA": str(tmp_path)}) == (
        tmp_path / "github-copilot"
    )
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert login_github.editor_config_dir({}) == tmp_path / "AppData" / "Local" / "github-copilot"


def test_editor_config_dir_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    expected = Path.home() / ".config" / "github-copilot"
    assert login_github.editor_config_dir() == expected


def _write(directory: Path, name: str, data: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(json.dumps(data) if not isinstance(data, str) else data)


def test_editor_token_prefers_the_copilot_app(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "apps.json",
        {
            "github.com:Ov23liOTHER": {"oauth_token": "other"},
            "github.com:Iv1.b507a08c87ecfe98": {"oauth_token": "copilot"},
            "octo.ghe.com:Iv1.b507a08c87ecfe98": {"oauth_token": "ghe"},
        },
    )
    assert login_github.editor_token("github.com", tmp_path) == "copilot"
    assert login_github.editor_token("octo.ghe.com", tmp_path) == "ghe"
    assert login_github.editor_token("elsewhere.com", tmp_path) is None


def test_editor_token_skips_empty_and_falls_back_to_hosts(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "apps.json",
        {"github.com:Iv1.b507a08c87ecfe98": {"oauth_token": ""}, "x": "not a dict"},
    )
    _write(tmp_path, "hosts.json", {"github.com": {"user": "octocat", "oauth_token": "old"}})
    assert login_github.editor_token("github.com", tmp_path) == "old"


@pytest.mark.parametrize(
    ("apps", "hosts"),
    [
        (None, None),
        ("{broken", "[]"),
        ([], {"github.com": "nope"}),
        ({}, {"github.com": {"oauth_token": 5}}),
    ],
)
def test_editor_token_missing(tmp_path: Path, apps: object, hosts: object) -> None:
    if apps is not None:
        _write(tmp_path, "apps.json", apps)
    if hosts is not None:
        _write(tmp_path, "hosts.json", hosts)
    assert login_github.editor_token("github.com", tmp_path) is None


def test_editor_token_default_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    _write(tmp_path / "github-copilot", "hosts.json", {"github.com": {"oauth_token": "t"}})
    assert login_github.editor_token() == "t"


def test_litellm_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"GITHUB_COPILOT_TOKEN_DIR": str(tmp_path), "GITHUB_COPILOT_ACCESS_TOKEN_FILE": "tok"}
    assert login_github.litellm_token_path(env) == tmp_path / "tok"
    assert login_github.litellm_token(env) is None
    (tmp_path / "tok").write_text("  \n")
    assert login_github.litellm_token(env) is None
    (tmp_path / "tok").write_text("ghu_abc\n")
    assert login_github.litellm_token(env) == "ghu_abc"
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert login_github.litellm_token_path({}) == (
        tmp_path / ".config" / "litellm" / "github_copilot" / "access-token"
    )
    assert login_github.litellm_token() is None


def test_auth_base_from_env() -> None:
    assert codex_client.auth_base_from_env({}) is None
    assert codex_client.auth_base_from_env({"OPENAI_CODEX_AUTH_BASE": " http://x:1/ "}) == (
        "http://x:1"
    )
