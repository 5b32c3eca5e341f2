"""GitHub logins for Copilot: device flow, a token from the environment, editor and LiteLLM imports.

Every driver ends the same way: the GitHub token is checked with one Copilot token exchange
(``GET {api}/copilot_internal/v2/token``: proves the account has Copilot) or, for tokens the
exchange refuses, ``GET {api}/copilot_internal/user`` (direct mode, the Copilot CLI's way;
the mode is stored with the login), the login name is
read from ``GET {api}/user``, and a :class:`~litellm_codex.auth.records.CopilotLogin` is saved
through :func:`litellm_codex.auth.copilot_exchange.save_login`. Only the long-lived GitHub token is
stored; Copilot tokens are exchanged again by the provider when needed.

Device flow (protocols/github-copilot.md §1)::

    POST {github}/login/device/code         client_id=Ov23ctDVkRmgkPke0Mmm, scope=read:user
    print the code and the verification URL
    POST {github}/login/oauth/access_token  every `interval` s, `slow_down` honoured,
                                            stops on expired_token / access_denied,
                                            overall deadline = expires_in

Endpoints, most specific first: ``GITHUB_COPILOT_GITHUB_URL`` /
``GITHUB_COPILOT_GITHUB_API_URL`` / ``GITHUB_COPILOT_API_BASE``, then those derived from
``--enterprise DOMAIN`` (``https://DOMAIN``, ``https://api.DOMAIN``,
``https://copilot-api.DOMAIN``, the GHE.com convention of §1.4 and §2.4), then github.com.

Imports read other tools' files and never write or create anything there.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from litellm_codex import copilot_identity, settings
from litellm_codex._trust import check_trusted, require_trusted
from litellm_codex.auth import device
from litellm_codex.auth.records import CopilotLogin
from litellm_codex.errors import LoginError, NoAccessError, parse_error_body
from litellm_codex.provider_names import COPILOT

__all__ = [
    "ENV_TOKEN_VARS",
    "GitHubEndpoints",
    "TokenCheck",
    "editor_token",
    "litellm_token",
    "litellm_token_path",
    "login_device_flow",
    "login_with_token",
    "normalize_domain",
    "resolve_endpoints",
    "token_from_env",
    "verify_token",
]

#: ``--token-from-env`` looks at these, first non-empty wins: the GitHub Copilot CLI's
#: order (COPILOT_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN) with Zed's GH_COPILOT_TOKEN added.
#: CI ``GITHUB_TOKEN``s and PATs are refused by the exchange; the check says so.
ENV_TOKEN_VARS = ("COPILOT_GITHUB_TOKEN", "GH_COPILOT_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

PrintFn = Callable[[str], None]


def _print(text: str) -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------------------
# Endpoints


@dataclass(frozen=True)
class GitHubEndpoints:
    """Where a login talks to (stored with it)."""

    github_url: str = copilot_identity.GITHUB_URL
    github_api_url: str = copilot_identity.GITHUB_API_URL
    #: Copilot API base overriding the token's ``endpoints.api`` (enterprise / env).
    api_base: str | None = None
    enterprise: str | None = None

    def require_trusted(self) -> None:
        """Refuse, before any request, endpoints a token must not be sent to."""
        require_trusted(
            "the GitHub endpoints of this login",
            self.github_url,
            self.github_api_url,
            self.api_base,
        )

    @property
    def host(self) -> str:
        """``github.com`` or the enterprise domain: the key of editor config entries.

        URL overrides (env variables, simulators) do not change it: editors key their
        logins by the GitHub instance, not by how we reach it.
        """
        return self.enterprise or "github.com"


def normalize_domain(value: str) -> str:
    """``https://Company.GHE.com/`` -> ``company.ghe.com`` (scheme and slashes dropped)."""
    text = value.strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.strip("/").lower()
    if not text or "/" in text or " " in text:
        raise LoginError(f"not an enterprise domain: {value!r} (expected e.g. company.ghe.com)")
    return text


def resolve_endpoints(
    enterprise: str | None = None, env: Mapping[str, str] | None = None
) -> GitHubEndpoints:
    """The endpoints of a login: env variables, else ``--enterprise``, else github.com."""
    found = settings.current() if env is None else settings.Settings.from_env(env)
    domain = normalize_domain(enterprise) if enterprise else None
    github_url, api_url, api_base = copilot_identity.enterprise_urls(domain)
    return GitHubEndpoints(
        github_url=settings.first(found.copilot_github_url, github_url) or github_url,
        github_api_url=settings.first(found.copilot_github_api_url, api_url) or api_url,
        api_base=settings.first(found.copilot_api_base, api_base),
        enterprise=domain,
    )


# --------------------------------------------------------------------------------------
# Checking a token and saving the login


@dataclass(frozen=True)
class TokenCheck:
    """What checking a GitHub token against Copilot found."""

    #: The GitHub login name, if ``/user`` said.
    login: str | None
    #: ``exchange`` or ``direct`` (see :attr:`CopilotLogin.mode`).
    mode: str


def verify_token(http: httpx.Client, token: str, endpoints: GitHubEndpoints) -> TokenCheck:
    """Check that ``token`` reaches Copilot, the way the provider will use it.

    First the token exchange; a token it refuses with 403/404 (the Copilot CLI's app,
    fine-grained tokens) is tried the Copilot CLI's way, as the bearer itself at
    ``copilot_internal/user`` (direct mode). Raises :class:`NoAccessError` when neither
    works (no Copilot), :class:`LoginError` when the token is rejected or the server cannot
    be reached.
    """
    api = endpoints.github_api_url
    mode = "exchange"
    try:
        answer = http.get(
            f"{api}/copilot_internal/v2/token", headers=copilot_identity.exchange_headers(token)
        )
    except httpx.HTTPError as exc:
        raise LoginError(f"cannot reach {api} ({type(exc).__name__})") from None
    _check_answer(answer)
    if answer.status_code in (403, 404):
        refused = answer
        try:
            answer = http.get(
                f"{api}/copilot_internal/user", headers=copilot_identity.user_headers(token)
            )
        except httpx.HTTPError as exc:
            raise LoginError(f"cannot reach {api} ({type(exc).__name__})") from None
        _check_answer(answer)
        if answer.status_code in (403, 404):
            raise NoAccessError(_no_access_message(refused), provider=COPILOT)
        mode = "direct"
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or (mode == "exchange" and not body.get("token")):
        raise LoginError("Copilot access check failed: the answer holds no token")
    login: str | None = None
    try:
        user = http.get(f"{api}/user", headers=copilot_identity.exchange_headers(token))
        if user.status_code == 200:
            value = user.json().get("login")
            login = value if isinstance(value, str) and value else None
    except (httpx.HTTPError, ValueError, AttributeError):
        login = None  # the name is for `status` only
    if login is None and isinstance(body.get("login"), str):
        login = body["login"] or None
    return TokenCheck(login=login, mode=mode)


def _check_answer(answer: httpx.Response) -> None:
    """Raise for answers other than success and 403/404 (which the caller handles)."""
    if answer.status_code == 401:
        raise LoginError("GitHub rejected the token (HTTP 401): it is invalid, expired or revoked")
    if answer.status_code in (403, 404) or 200 <= answer.status_code < 300:
        return
    _code, message = parse_error_body(answer.content)
    hint = copilot_identity.too_old_hint(answer.status_code, message)
    text = f"Copilot access check failed (HTTP {answer.status_code}): {message}"
    raise LoginError(f"{text}. {hint}" if hint else text)


def _no_access_message(answer: httpx.Response) -> str:
    """A sentence from GitHub's 403/404 envelope (§2.5), with what to do."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    details = body.get("error_details") if isinstance(body, dict) else None
    message = ""
    if isinstance(details, dict) and isinstance(details.get("message"), str):
        message = details["message"]
    elif isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    hint = "check that this GitHub account has a Copilot plan"
    if "personal access token" in message.lower():
        hint = (
            "classic personal access tokens do not work with Copilot; use the device flow "
            "or a fine-grained token with the Copilot permission"
        )
    text = f"no Copilot access (HTTP {answer.status_code})"
    return f"{text}: {message}; {hint}" if message else f"{text}; {hint}"


def login_with_token(
    store: Any,
    token: str,
    endpoints: GitHubEndpoints,
    *,
    source: str,
    http: httpx.Client | None = None,
) -> CopilotLogin:
    """Check ``token`` against Copilot and save it as the login (``source`` for status)."""
    token = token.strip()
    if not token:
        raise LoginError("the GitHub token is empty")
    endpoints.require_trusted()
    client = http or httpx.Client(timeout=HTTP_TIMEOUT, event_hooks={"request": [check_trusted]})
    try:
        check = verify_token(client, token, endpoints)
    finally:
        if http is None:
            client.close()
    login = CopilotLogin(
        github_token=token,
        login=check.login,
        mode="direct" if check.mode == "direct" else "exchange",
        github_url=endpoints.github_url,
        github_api_url=endpoints.github_api_url,
        api_base=endpoints.api_base,
        enterprise=endpoints.enterprise,
        source=source,
    )
    from litellm_codex.auth import copilot_exchange

    copilot_exchange.save_login(store, login)
    return login


# --------------------------------------------------------------------------------------
# Device flow


def login_device_flow(
    store: Any,
    endpoints: GitHubEndpoints,
    *,
    client_id: str = copilot_identity.OAUTH_CLIENT_ID,
    print_fn: PrintFn = _print,
    on_wait: Callable[[device.Pending], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    http: httpx.Client | None = None,
) -> CopilotLogin:
    """Run GitHub's device flow, check Copilot access, save the login."""
    endpoints.require_trusted()
    sleep = sleep or device.sleeper()
    client = http or httpx.Client(timeout=HTTP_TIMEOUT, event_hooks={"request": [check_trusted]})
    github = endpoints.github_url
    # Without this header GitHub answers form-encoded (§1.2); the parser copes either way.
    headers = {"Accept": "application/json", "User-Agent": copilot_identity.current().user_agent}
    try:
        try:
            answer = client.post(
                f"{github}/login/device/code",
                data=device.build_github_device_code_request(
                    client_id, copilot_identity.OAUTH_SCOPE
                ),
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise LoginError(f"cannot reach {github} ({type(exc).__name__})") from None
        code = device.parse_github_device_code(answer.status_code, answer.content)
        minutes = max(1, round(code.expires_in / 60))
        print_fn("To sign in to GitHub for Copilot, open this page in a browser:")
        print_fn("")
        print_fn(f"  {code.verification_uri}")
        print_fn("")
        print_fn(f"and enter the code:  {code.user_code}")
        print_fn(f"(the code expires in {minutes} minute{'s' if minutes != 1 else ''})")
        print_fn("")

        def attempt(interval: float) -> device.Pending | str:
            try:
                poll = client.post(
                    f"{github}/login/oauth/access_token",
                    data=device.build_github_token_poll(client_id, code.device_code),
                    headers=headers,
                )
            except httpx.TransportError:
                return device.Pending(interval)  # a network blip: try again next round
            # The body decides, whatever the status (§1.3).
            return device.interpret_github_poll(poll.status_code, poll.content, interval)

        token = device.poll(
            attempt,
            interval=code.interval,
            expires_in=code.expires_in,
            sleep=sleep,
            clock=clock,
            on_wait=on_wait,
            expired_message="the GitHub login code expired before it was entered; run again",
        )
        return login_with_token(store, token, endpoints, source="device", http=client)
    finally:
        if http is None:
            client.close()


# --------------------------------------------------------------------------------------
# Tokens other tools already have (read-only)


def token_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(variable, token)`` from the first non-empty of :data:`ENV_TOKEN_VARS`."""
    env = os.environ if env is None else env
    for name in ENV_TOKEN_VARS:
        value = (env.get(name) or "").strip()
        if value:
            return name, value
    return None


def editor_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where Copilot editor plugins keep ``apps.json`` / ``hosts.json``."""
    env = os.environ if env is None else env
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "github-copilot"
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "github-copilot"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def editor_token(host: str = "github.com", config_dir: Path | None = None) -> str | None:
    """The ``oauth_token`` a Copilot editor plugin stored for ``host``, or ``None``.

    ``apps.json`` (newer plugins) is keyed ``"<host>:<client id>"``; entries of the
    Copilot app come first. ``hosts.json`` (older plugins) is keyed by host.
    """
    directory = config_dir or editor_config_dir()
    apps = _read_json(directory / "apps.json")
    if isinstance(apps, dict):
        matches = [
            (key, value)
            for key, value in apps.items()
            if isinstance(key, str) and isinstance(value, dict) and key.split(":")[0] == host
        ]
        matches.sort(key=lambda item: item[0] != f"{host}:{copilot_identity.EDITOR_APP_CLIENT_ID}")
        for _key, value in matches:
            token = value.get("oauth_token")
            if isinstance(token, str) and token:
                return token
    hosts = _read_json(directory / "hosts.json")
    if isinstance(hosts, dict):
        entry = hosts.get(host)
        if isinstance(entry, dict):
            token = entry.get("oauth_token")
            if isinstance(token, str) and token:
                return token
    return None


def litellm_token_path(env: Mapping[str, str] | None = None) -> Path:
    """LiteLLM's built-in Copilot token file.

    ``$GITHUB_COPILOT_TOKEN_DIR/$GITHUB_COPILOT_ACCESS_TOKEN_FILE``, by default
    ``~/.config/litellm/github_copilot/access-token`` (LiteLLM's authenticator.py).
    """
    env = os.environ if env is None else env
    directory = env.get("GITHUB_COPILOT_TOKEN_DIR") or str(
        Path.home() / ".config" / "litellm" / "github_copilot"
    )
    return Path(directory).expanduser() / (
        env.get("GITHUB_COPILOT_ACCESS_TOKEN_FILE") or "access-token"
    )


def litellm_token(env: Mapping[str, str] | None = None) -> str | None:
    """The GitHub token LiteLLM's built-in Copilot login saved, or ``None``."""
    try:
        text = litellm_token_path(env).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None
