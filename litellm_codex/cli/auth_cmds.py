"""``login``, ``logout`` and ``status``: the credential commands of the CLI.

No LiteLLM import here (these commands must start fast) and no secret in any output:
status prints identities and expiry times, never tokens.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from litellm_codex import codex_client
from litellm_codex.auth.device import Pending
from litellm_codex.auth.records import CodexLogin, CopilotLogin
from litellm_codex.cli import AliasGroup, cli
from litellm_codex.errors import LiteLLMCodexError, LoginError
from litellm_codex.provider_names import CODEX, CODEX_NAMES, COPILOT, COPILOT_NAMES, cli_name

__all__ = ["login", "logout", "status"]

_R = TypeVar("_R")

#: CLI spelling -> canonical provider name of the records.
_PROVIDERS = {
    **dict.fromkeys(CODEX_NAMES, CODEX),
    **dict.fromkeys(COPILOT_NAMES, COPILOT),
}
_DISPLAY = {CODEX: cli_name(CODEX), COPILOT: cli_name(COPILOT)}


def _store(user: str | None = None) -> Any:
    from litellm_codex.auth.store import default_store

    if user is None:
        return default_store()
    from litellm_codex.auth.users import user_store

    return user_store(user, default_store())


def _check_user(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from litellm_codex.auth.users import validate_user_id

    if value is None:
        return None
    try:
        return validate_user_id(value)
    except LiteLLMCodexError as exc:
        raise click.BadParameter(exc.message) from None


#: ``--user ID``: the login of one LiteLLM user (LITELLM_CODEX_CREDENTIALS=per-user).
_user_option = click.option(
    "--user",
    "user",
    metavar="ID",
    default=None,
    callback=_check_user,
    help="The login of LiteLLM user ID (the proxy's user_api_key_user_id), used by a "
    "proxy with LITELLM_CODEX_CREDENTIALS=per-user.",
)


def _echo(text: str = "") -> None:
    click.echo(text)
    sys.stdout.flush()


class _Progress:
    """Dots on stderr while a device code waits for the user (nothing secret in it)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.started = False

    def __call__(self, pending: Pending) -> None:
        if not self.started:
            click.echo(f"Waiting for {self.service} approval ", err=True, nl=False)
            self.started = True
        if pending.slowed:
            click.echo(
                f" ({self.service} asked to poll slower: every {pending.interval:g}s) ",
                err=True,
                nl=False,
            )
        click.echo(".", err=True, nl=False)

    def done(self) -> None:
        if self.started:
            click.echo("", err=True)


def _can_open_browser() -> bool:
    """Whether a graphical browser can plausibly be opened.

    On Linux without a display, :mod:`webbrowser` would start a console browser (lynx,
    w3m) in this very terminal; skip it there and rely on the printed URL. ``BROWSER``
    set by the user is honoured everywhere.
    """
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_browser(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _relative(timestamp: float, now: float) -> str:
    delta = timestamp - now
    minutes = abs(delta) / 60
    text = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    return f"in {text}" if delta >= 0 else f"{text} ago"


# --------------------------------------------------------------------------------------
# login


@cli.group(cls=AliasGroup)
def login() -> None:
    """Log in to a provider (openai-codex or github-copilot)."""


@login.command("openai-codex")
@click.option(
    "--device", "use_device", is_flag=True, help="Device-code login for headless machines."
)
@click.option(
    "--from-codex-cli",
    is_flag=True,
    help="Import the Codex CLI's login ($CODEX_HOME/auth.json or its keyring entry) "
    "and stay in sync with it.",
)
@click.option(
    "--codex-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --from-codex-cli: the Codex CLI home (default $CODEX_HOME or ~/.codex).",
)
@click.option("--no-browser", is_flag=True, help="Only print the login URL; do not open a browser.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=1455,
    hidden=True,
    help="Loopback port of the browser login (testing only: ChatGPT accepts 1455/1457).",
)
@_user_option
def login_openai_codex(
    use_device: bool,
    from_codex_cli: bool,
    codex_home: Path | None,
    no_browser: bool,
    port: int,
    user: str | None,
) -> None:
    """Log in with your ChatGPT account (Plus, Pro, Team...)."""
    from litellm_codex.auth import login_openai

    if use_device and from_codex_cli:
        raise click.UsageError("--device and --from-codex-cli cannot be combined")
    if codex_home is not None and not from_codex_cli:
        raise click.UsageError("--codex-home only makes sense with --from-codex-cli")
    store = _store(user)
    if from_codex_cli:
        from litellm_codex.auth.codex_cli import CodexCliApiKeyMode

        try:
            result = login_openai.login_from_codex_cli(store, codex_home)
        except CodexCliApiKeyMode:
            # No ChatGPT login to import; say how to use the key instead (SPEC §3). The key
            # itself is never printed.
            _echo("The Codex CLI is logged in with an OpenAI API key, not a ChatGPT account.")
            _echo(
                "That key works with the public Responses API (https://api.openai.com/v1): "
                "in LiteLLM use `openai/<model>` with OPENAI_API_KEY set to it."
            )
            _echo("Or log in with ChatGPT here: `litellm-codex login openai-codex`.")
            raise
        _report_codex(result, store, imported=True)
        return
    if use_device:
        progress = _Progress("ChatGPT")
        try:
            result = login_openai.login_device(store, print_fn=_echo, on_wait=progress)
        finally:
            progress.done()
    else:
        opener = None if no_browser or not _can_open_browser() else _open_browser
        result = login_openai.login_browser(store, open_browser=opener, print_fn=_echo, port=port)
    _report_codex(result, store, imported=False)


def _report_codex(result: CodexLogin, store: Any, *, imported: bool) -> None:
    who = result.email or result.account_id or "your ChatGPT account"
    plan = f" (plan {result.plan})" if result.plan else ""
    verb = "Imported the Codex CLI login of" if imported else "Logged in to ChatGPT as"
    _echo(f"{verb} {who}{plan}.")
    if result.codex_cli is not None:
        _echo(
            f"Linked to the Codex CLI login ({result.codex_cli.kind}: "
            f"{result.codex_cli.location}); refreshes are shared both ways."
        )
    _echo(f"Stored in {store.name}.")


def _enterprise_domain(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from litellm_codex.auth.login_github import normalize_domain

    if value is None:
        return None
    try:
        return normalize_domain(value)
    except LoginError as exc:
        raise click.BadParameter(exc.message) from None


@login.command("github-copilot")
@click.option(
    "--enterprise",
    metavar="DOMAIN",
    default=None,
    callback=_enterprise_domain,
    help="GitHub Enterprise (GHE.com) domain, e.g. company.ghe.com.",
)
@click.option(
    "--token-from-env",
    is_flag=True,
    help="Use the GitHub token in COPILOT_GITHUB_TOKEN, GH_COPILOT_TOKEN, GH_TOKEN "
    "or GITHUB_TOKEN.",
)
@click.option(
    "--from-editor",
    is_flag=True,
    help="Import the login of a Copilot editor plugin (~/.config/github-copilot).",
)
@click.option(
    "--from-litellm",
    is_flag=True,
    help="Import LiteLLM's built-in Copilot token (~/.config/litellm/github_copilot/access-token).",
)
@_user_option
def login_github_copilot(
    enterprise: str | None,
    token_from_env: bool,
    from_editor: bool,
    from_litellm: bool,
    user: str | None,
) -> None:
    """Log in with a GitHub account that has Copilot (GitHub device flow)."""
    from litellm_codex.auth import login_github

    if sum((token_from_env, from_editor, from_litellm)) > 1:
        raise click.UsageError("choose one of --token-from-env, --from-editor and --from-litellm")
    endpoints = login_github.resolve_endpoints(enterprise)
    store = _store(user)
    if token_from_env:
        found = login_github.token_from_env()
        if found is None:
            raise LoginError(
                "no GitHub token in the environment (set one of "
                + ", ".join(login_github.ENV_TOKEN_VARS)
                + ")"
            )
        name, token = found
        _echo(f"Using the GitHub token from ${name}.")
        result = login_github.login_with_token(store, token, endpoints, source="env")
    elif from_editor:
        token_or_none = login_github.editor_token(endpoints.host)
        if token_or_none is None:
            raise LoginError(
                f"no Copilot editor login for {endpoints.host} in "
                f"{login_github.editor_config_dir()} (apps.json / hosts.json)"
            )
        result = login_github.login_with_token(store, token_or_none, endpoints, source="editor")
    elif from_litellm:
        token_or_none = login_github.litellm_token()
        if token_or_none is None:
            raise LoginError(f"no LiteLLM Copilot token in {login_github.litellm_token_path()}")
        result = login_github.login_with_token(store, token_or_none, endpoints, source="litellm")
    else:
        progress = _Progress("GitHub")
        try:
            result = login_github.login_device_flow(
                store, endpoints, print_fn=_echo, on_wait=progress
            )
        finally:
            progress.done()
    where = result.enterprise or "github.com"
    _echo(f"Logged in to GitHub Copilot as {result.login or 'an unnamed user'} ({where}).")
    _echo(f"Copilot access: {_MODE_TEXT[result.mode]}.")
    _echo(f"Stored in {store.name}.")


#: How each login mode reaches Copilot, for `login` and `status`.
_MODE_TEXT: dict[str | None, str] = {
    "exchange": "token exchange (short-lived Copilot tokens, exchanged on demand)",
    "direct": "direct token (the GitHub token is the bearer, as the Copilot CLI uses it)",
    None: "token exchange on demand, the GitHub token directly if the exchange refuses it",
}


# --------------------------------------------------------------------------------------
# logout

_PROVIDER_CHOICE = click.Choice(sorted(_PROVIDERS), case_sensitive=False)


@cli.command()
@click.argument("provider", type=_PROVIDER_CHOICE)
@_user_option
def logout(provider: str, user: str | None) -> None:
    """Forget the stored login of PROVIDER (a Codex login is also revoked, best effort)."""
    from litellm_codex.auth import codex_refresh, copilot_exchange

    canonical = _PROVIDERS[provider.lower()]
    store = _store(user)
    display = _DISPLAY[canonical]
    if canonical == CODEX:
        record: CodexLogin | CopilotLogin | None = codex_refresh.load_login(store)
    else:
        record = copilot_exchange.load_login(store)
    if record is None:
        _echo(f"Not logged in to {display}; nothing to do.")
        return
    if isinstance(record, CodexLogin):
        if record.codex_cli is not None:
            # The tokens are shared with the Codex CLI: revoking them would log it out too.
            _echo(
                "The Codex CLI login this was imported from is left as it is "
                "(log out there with `codex logout`)."
            )
        else:
            try:
                revoked = codex_refresh.revoke(record)
            except Exception:  # best effort: never keep a login because revoke failed
                revoked = False
            if not revoked:
                _echo("Could not revoke the tokens at OpenAI; forgetting them anyway.")
    store.delete(canonical)
    _echo(f"Logged out of {display} ({store.name}).")
    if isinstance(record, CopilotLogin):
        _echo(
            "The GitHub token stays valid until you revoke it at "
            f"{record.github_url}/settings/applications."
        )


# --------------------------------------------------------------------------------------
# status


def _status(
    store: Any, load: Callable[[Any], _R | None], describe: Callable[[_R], dict[str, Any]]
) -> dict[str, Any]:
    """``logged_in`` and what ``describe`` says of the stored login; an unreadable login
    is reported, not raised."""
    try:
        record = load(store)
    except LiteLLMCodexError as exc:
        return {"logged_in": False, "error": exc.message}
    if record is None:
        return {"logged_in": False}
    return {"logged_in": True, **describe(record)}


def _codex_status(store: Any, now: float) -> dict[str, Any]:
    from litellm_codex.auth import codex_refresh

    return _status(store, codex_refresh.load_login, lambda record: _codex_fields(record, now))


def _codex_fields(record: CodexLogin, now: float) -> dict[str, Any]:
    return {
        "email": record.email,
        "account_id": record.account_id,
        "plan": record.plan,
        "expires_at": _when(record.expires_at),
        "expired": record.expires_at is not None and record.expires_at <= now,
        "last_refresh": _when(record.last_refresh),
        "auth_base": record.auth_base,
        "codex_cli": (
            {"kind": record.codex_cli.kind, "location": record.codex_cli.location}
            if record.codex_cli is not None
            else None
        ),
    }


def _copilot_status(store: Any) -> dict[str, Any]:
    from litellm_codex.auth import copilot_exchange

    return _status(store, copilot_exchange.load_login, _copilot_fields)


def _copilot_fields(record: CopilotLogin) -> dict[str, Any]:
    return {
        "login": record.login,
        "github_url": record.github_url,
        "github_api_url": record.github_api_url,
        "api_base": record.api_base,
        "enterprise": record.enterprise,
        "source": record.source,
        "mode": record.mode,
        # The GitHub token does not expire by itself; Copilot tokens are exchanged on demand.
        "expires_at": None,
    }


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_user_option
def status(as_json: bool, user: str | None) -> None:
    """Show who is logged in, where logins are stored, and token expiry (no secrets)."""
    now = time.time()
    try:
        store = _store(user)
    except LiteLLMCodexError as exc:
        if as_json:
            _echo(json.dumps({"store": None, "error": exc.message, "providers": {}}, indent=2))
            return
        raise
    report = {
        "store": store.name,
        "user": user,
        "providers": {
            "openai-codex": _codex_status(store, now),
            "github-copilot": _copilot_status(store),
        },
    }
    if as_json:
        _echo(json.dumps(report, indent=2))
        return
    codex_info = report["providers"]["openai-codex"]
    _echo(_codex_lines(codex_info, now, user))
    _echo(_copilot_lines(report["providers"]["github-copilot"], user))
    _echo(f"store: {store.name}")


def _not_logged_in(display: str, info: dict[str, Any], user: str | None) -> str:
    from litellm_codex.errors import login_command

    if info.get("error"):
        return f"{display}: unreadable login: {info['error']}"
    return f"{display}: not logged in (run `{login_command(display, user)}`)"


def _codex_lines(info: dict[str, Any], now: float, user: str | None = None) -> str:
    if not info["logged_in"]:
        return _not_logged_in("openai-codex", info, user)
    who = info["email"] or info["account_id"] or "unknown account"
    extras = [f"plan {info['plan']}" if info["plan"] else None]
    if info["account_id"] and info["email"]:
        extras.append(f"account {info['account_id']}")
    head = f"openai-codex: logged in as {who}"
    detail = ", ".join(x for x in extras if x)
    lines = [f"{head} ({detail})" if detail else head]
    if info["expires_at"]:
        stamp = _dt.datetime.fromisoformat(info["expires_at"].replace("Z", "+00:00")).timestamp()
        state = "expired" if info["expired"] else "expires"
        lines.append(
            f"  access token {state} {info['expires_at']} ({_relative(stamp, now)}); "
            "refreshed automatically"
        )
    if info["codex_cli"]:
        lines.append(f"  linked to the Codex CLI login: {info['codex_cli']['location']}")
    if info["auth_base"] != codex_client.AUTH_BASE:
        lines.append(f"  issuer: {info['auth_base']}")
    return "\n".join(lines)


def _copilot_lines(info: dict[str, Any], user: str | None = None) -> str:
    if not info["logged_in"]:
        return _not_logged_in("github-copilot", info, user)
    where = info["enterprise"] or "github.com"
    lines = [f"github-copilot: logged in as {info['login'] or 'unknown user'} ({where})"]
    lines.append(f"  from: {info['source']}; Copilot access: {_MODE_TEXT[info.get('mode')]}")
    if info["api_base"]:
        lines.append(f"  api base: {info['api_base']}")
    return "\n".join(lines)
