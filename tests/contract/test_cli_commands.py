"""The credential commands through :func:`litellm_codex.cli.main` in-process (fast, and
what the subprocess matrix in ``test_login_cli.py`` cannot measure: every branch of the
command code), against the simulators."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.auth.records import CodexCliLink, CopilotLogin
from litellm_codex.auth.store import FileStore
from litellm_codex.cli import AliasGroup, cli, main
from litellm_codex.errors import LoginError
from litellm_codex.testing import SimServer
from litellm_codex.testing._tokens import GitHubAuthority
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.github import GitHubSim, install_github


@pytest.fixture(autouse=True)
def file_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    monkeypatch.setenv("LITELLM_CODEX_TESTING_FAST", "1")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "GH_COPILOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def chatgpt(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatGPTSimulator]:
    with ChatGPTSimulator() as sim:
        monkeypatch.setenv("OPENAI_CODEX_AUTH_BASE", sim.auth_base)
        yield sim


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubSim]:
    with SimServer() as server:
        sim = install_github(server, GitHubAuthority())
        monkeypatch.setenv("GITHUB_COPILOT_GITHUB_URL", server.url)
        monkeypatch.setenv("GITHUB_COPILOT_GITHUB_API_URL", server.url)
        yield sim


def cli_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _err = cli_run(capsys, "status", "--json")
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    return data


def test_status_text_for_both(
    capsys: pytest.CaptureFixture[str], chatgpt: ChatGPTSimulator
) -> None:
    store = FileStore()
    login = chatgpt.issue_login(access_ttl=-60).model_copy(
        update={"codex_cli": CodexCliLink(kind="file", location="/codex/auth.json")}
    )
    codex_refresh.save_login(store, login)
    copilot_exchange.save_login(
        store,
        CopilotLogin(
            github_token="gho_secret", login=None, enterprise="octo.ghe.com", source="env"
        ),
    )
    code, out, err = cli_run(capsys, "status")
    assert code == 0
    assert "access token expired" in out
    assert "ago); refreshed automatically" in out
    assert "linked to the Codex CLI login: /codex/auth.json" in out
    assert f"issuer: {chatgpt.auth_base}" in out
    assert "github-copilot: logged in as unknown user (octo.ghe.com)" in out
    assert "from: env" in out
    for secret in (login.access_token, login.refresh_token, "gho_secret"):
        assert secret not in out + err
    data = status(capsys)
    assert data["providers"]["openai-codex"]["expired"] is True


def test_status_minimal_record(capsys: pytest.CaptureFixture[str]) -> None:
    store = FileStore()
    store.save("openai-codex", {"access_token": "a", "refresh_token": "r"})
    code, out, _err = cli_run(capsys, "status")
    assert code == 0
    assert "openai-codex: logged in as unknown account\n" in out
    store.save(
        "openai-codex",
        {"access_token": "a", "refresh_token": "r", "account_id": "acct", "plan": "pro"},
    )
    _code, out, _err = cli_run(capsys, "status")
    assert "logged in as acct (plan pro)\n" in out
    store.save(
        "openai-codex",
        {
            "access_token": "a",
            "refresh_token": "r",
            "email": "e@x",
            "account_id": "acct",
            "expires_at": time.time() + 3 * 3600,
        },
    )
    _code, out, _err = cli_run(capsys, "status")
    assert "logged in as e@x (account acct)" in out
    assert "(in 3.0 h)" in out


def test_status_with_unreadable_records(capsys: pytest.CaptureFixture[str]) -> None:
    store = FileStore()
    store.save("openai-codex", {"nonsense": True})
    store.save("github-copilot", {"nonsense": True})
    code, out, _err = cli_run(capsys, "status")
    assert code == 0
    assert "openai-codex: unreadable login:" in out
    assert "github-copilot: unreadable login:" in out
    data = status(capsys)
    assert data["providers"]["openai-codex"]["logged_in"] is False
    assert "log in again" in data["providers"]["github-copilot"]["error"]


def test_status_with_a_broken_store_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_STORE", "bogus")
    code, out, _err = cli_run(capsys, "status", "--json")
    assert code == 0
    assert "LITELLM_CODEX_STORE" in json.loads(out)["error"]
    code, _out, err = cli_run(capsys, "status")
    assert code == 1
    assert err.startswith("litellm-codex: LITELLM_CODEX_STORE must be")


def test_login_openai_device_in_process(
    capsys: pytest.CaptureFixture[str], chatgpt: ChatGPTSimulator
) -> None:
    code, out, err = cli_run(capsys, "login", "openai_codex", "--device")
    assert code == 0, err
    assert "Logged in to ChatGPT as dev@example.com (plan plus)." in out
    assert err.startswith("Waiting for ChatGPT approval ")
    assert err.endswith("\n")


def test_login_openai_browser_in_process(
    capsys: pytest.CaptureFixture[str],
    chatgpt: ChatGPTSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import webbrowser

    import httpx

    threads: list[threading.Thread] = []

    def fake_open(url: str) -> bool:
        thread = threading.Thread(target=httpx.get, args=(url,), kwargs={"follow_redirects": True})
        thread.start()
        threads.append(thread)
        return True

    monkeypatch.setenv("BROWSER", "my-browser")
    monkeypatch.setattr(webbrowser, "open", fake_open)
    code, out, err = cli_run(capsys, "login", "openai-codex", "--port", "0")
    for thread in threads:
        thread.join(timeout=10)
    assert code == 0, err
    assert threads  # the browser was opened
    assert "Logged in to ChatGPT" in out


def test_browser_opening_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    from litellm_codex.cli import auth_cmds

    monkeypatch.setattr(sys, "platform", "linux")
    assert auth_cmds._can_open_browser() is False
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert auth_cmds._can_open_browser() is True
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert auth_cmds._can_open_browser() is True

    def broken(url: str) -> bool:
        raise webbrowser.Error("nothing")

    monkeypatch.setattr(webbrowser, "open", broken)
    assert auth_cmds._open_browser("http://x") is False


def test_login_from_codex_cli_in_process(
    capsys: pytest.CaptureFixture[str], chatgpt: ChatGPTSimulator, isolated_home: Path
) -> None:
    home = isolated_home / ".codex"
    home.mkdir()
    (home / "auth.json").write_text(json.dumps({"tokens": chatgpt.authority.issue()}))
    code, out, err = cli_run(capsys, "login", "openai-codex", "--from-codex-cli")
    assert code == 0, err
    assert "Linked to the Codex CLI login (file: " in out
    code, out, err = cli_run(capsys, "logout", "openai-codex")
    assert code == 0
    assert "codex logout" in out
    assert chatgpt.auth.revoked == []


def test_login_from_codex_cli_api_key_in_process(
    capsys: pytest.CaptureFixture[str], chatgpt: ChatGPTSimulator, isolated_home: Path
) -> None:
    home = isolated_home / ".codex"
    home.mkdir()
    (home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": "sk-abcdefghijklmnop"}))
    code, out, err = cli_run(capsys, "login", "openai-codex", "--from-codex-cli")
    assert code == 1
    assert "uses an API key" in err
    assert "openai/<model>" in out
    assert "sk-abcdefghijklmnop" not in out + err


def test_logout_when_revoke_fails(
    capsys: pytest.CaptureFixture[str], chatgpt: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    codex_refresh.save_login(FileStore(), chatgpt.issue_login())

    def boom(login: object) -> bool:
        raise RuntimeError("network")

    monkeypatch.setattr(codex_refresh, "revoke", boom)
    code, out, _err = cli_run(capsys, "logout", "OPENAI-CODEX")
    assert code == 0
    assert "Could not revoke the tokens at OpenAI" in out
    assert codex_refresh.load_login(FileStore()) is None


def test_github_logins_in_process(
    capsys: pytest.CaptureFixture[str],
    github: GitHubSim,
    monkeypatch: pytest.MonkeyPatch,
    isolated_home: Path,
) -> None:
    github.script_polls("slow_down")
    code, out, err = cli_run(capsys, "login", "github-copilot")
    assert code == 0, err
    assert "asked to poll slower" in err
    assert "as octocat (github.com)" in out

    monkeypatch.setenv("GH_TOKEN", github.authority.issue_github_token())
    code, out, err = cli_run(capsys, "login", "github-copilot", "--token-from-env")
    assert code == 0, err
    assert "$GH_TOKEN" in out

    editor = isolated_home / ".config" / "github-copilot"
    editor.mkdir(parents=True)
    (editor / "hosts.json").write_text(
        json.dumps({"github.com": {"oauth_token": github.authority.issue_github_token()}})
    )
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--from-editor")
    assert code == 0, err

    litellm_dir = isolated_home / ".config" / "litellm" / "github_copilot"
    litellm_dir.mkdir(parents=True)
    (litellm_dir / "access-token").write_text(github.authority.issue_github_token())
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--from-litellm")
    assert code == 0, err
    assert status(capsys)["providers"]["github-copilot"]["source"] == "litellm"

    code, out, _err = cli_run(capsys, "logout", "github_copilot")
    assert code == 0
    assert "settings/applications" in out
    code, out, _err = cli_run(capsys, "logout", "github-copilot")
    assert "Not logged in to github-copilot" in out


def test_github_failures_in_process(
    capsys: pytest.CaptureFixture[str], github: GitHubSim, isolated_home: Path
) -> None:
    github.script_polls("access_denied")
    code, _out, err = cli_run(capsys, "login", "github-copilot")
    assert code == 1
    assert err.endswith("GitHub login was cancelled (access denied)\n")
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--token-from-env")
    assert (code, "no GitHub token" in err) == (1, True)
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--from-editor")
    assert (code, "no Copilot editor login" in err) == (1, True)
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--from-litellm")
    assert (code, "no LiteLLM Copilot token" in err) == (1, True)
    code, _out, err = cli_run(capsys, "login", "github-copilot", "--enterprise", "a b")
    assert code == 2
    assert "not an enterprise domain" in err


# --------------------------------------------------------------------------------------
# main(): exit codes and messages


@pytest.fixture
def extra_commands() -> Iterator[click.Group]:
    @cli.group("zz-test", cls=AliasGroup, hidden=True)
    def group() -> None:
        pass

    @group.command("fail-ours")
    def fail_ours() -> None:
        raise LoginError("denied\nsecond line with token gho_abcdefghijklmnop")

    @group.command("fail-click")
    def fail_click() -> None:
        raise click.ClickException("click says no")

    @group.command("fail-bug")
    def fail_bug() -> None:
        raise KeyError("bug")

    @group.command("abort")
    def abort() -> None:
        raise KeyboardInterrupt

    @group.command("exit-3")
    @click.pass_context
    def exit_3(ctx: click.Context) -> None:
        ctx.exit(3)

    yield group
    cli.commands.pop("zz-test")


def test_main_error_paths(
    capsys: pytest.CaptureFixture[str],
    extra_commands: click.Group,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _out, err = cli_run(capsys, "zz-test", "fail_ours")
    assert code == 1
    assert err.startswith("litellm-codex: denied second line with token")
    assert "gho_abcdefghijklmnop" not in err
    assert err.count("\n") == 1
    code, _out, err = cli_run(capsys, "zz_test", "fail-click")
    assert (code, err) == (1, "litellm-codex: click says no\n")
    code, _out, err = cli_run(capsys, "zz-test", "fail-bug")
    assert code == 1
    assert "unexpected error: KeyError" in err
    assert "LITELLM_CODEX_DEBUG" in err
    monkeypatch.setenv("LITELLM_CODEX_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["zz-test", "fail-bug"])
    code, _out, err = cli_run(capsys, "zz-test", "abort")
    assert (code, err.strip()) == (1, "litellm-codex: cancelled")
    assert cli_run(capsys, "zz-test", "exit-3")[0] == 3
    assert cli_run(capsys, "zz-test", "nope")[0] == 2


def test_main_reads_sys_argv(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["litellm-codex", "--help"])
    assert main() == 0
    assert "Usage: litellm-codex" in capsys.readouterr().out


def test_missing_command_modules_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import litellm_codex.cli as cli_module

    monkeypatch.setattr(cli_module, "_loaded", False)
    monkeypatch.setattr(
        cli_module, "COMMAND_MODULES", ("litellm_codex.cli.auth_cmds", "litellm_codex.cli.nope")
    )
    cli_module.load_commands()
    assert cli_module._loaded is True
    cli_module.load_commands()  # once only

    monkeypatch.setattr(cli_module, "_loaded", False)
    monkeypatch.setattr(cli_module, "COMMAND_MODULES", ("json.nope_not_there.x",))
    with pytest.raises(ModuleNotFoundError):
        cli_module.load_commands()
