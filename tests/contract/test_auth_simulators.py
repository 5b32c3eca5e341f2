"""The OAuth / GitHub halves of the simulators hold clients to the real servers' rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from litellm_codex.auth import pkce
from litellm_codex.testing import SimServer
from litellm_codex.testing._tokens import GitHubAuthority, OpenAIAuthority
from litellm_codex.testing.github import GitHubSim, install_github
from litellm_codex.testing.openai_auth import OpenAIAuthSim, install_openai_auth

CLIENT = "app_EMoamEEZ73f0CkXaXp7hrann"
REDIRECT = "http://localhost:1455/auth/callback"


@pytest.fixture
def openai() -> Iterator[tuple[SimServer, OpenAIAuthSim]]:
    with SimServer() as server:
        yield server, install_openai_auth(server, OpenAIAuthority())


def authorize(server: SimServer, **overrides: str) -> httpx.Response:
    verifier = overrides.pop("verifier", "v" * 50)
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_challenge": pkce.challenge_s256(verifier),
        "code_challenge_method": "S256",
        "state": "st",
        **overrides,
    }
    params = {k: v for k, v in params.items() if v != "-"}
    return httpx.get(server.url + "/oauth/authorize", params=params)


def code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st"]
    return query["code"][0]


def exchange(server: SimServer, code: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": CLIENT,
        "code_verifier": "v" * 50,
        **overrides,
    }
    return httpx.post(server.url + "/oauth/token", data=form)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "other"}, "invalid_client"),
        ({"redirect_uri": "http://example.com:1455/auth/callback"}, "invalid_request"),
        ({"redirect_uri": "https://localhost:1455/auth/callback"}, "invalid_request"),
        ({"redirect_uri": "http://localhost:1455/elsewhere"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "-"}, "invalid_request"),
        ({"state": "-"}, "invalid_request"),
    ],
)
def test_authorize_rejects_bad_requests(
    openai: tuple[SimServer, OpenAIAuthSim], overrides: dict[str, str], error: str
) -> None:
    server, _sim = openai
    answer = authorize(server, **overrides)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_authorize_port_allow_list(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    sim.allowed_ports = {1455, 1457}
    assert authorize(server).status_code == 302
    assert authorize(server, redirect_uri="http://localhost:9/auth/callback").status_code == 400


def test_code_exchange_rules(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    code = code_of(authorize(server))
    ok = exchange(server, code)
    assert ok.status_code == 200
    body = ok.json()
    assert sim.authority.check_access(body["access_token"]) is not None
    assert set(body) >= {"id_token", "access_token", "refresh_token"}
    # Single use.
    again = exchange(server, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert sim.code_exchanges == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_verifier": "w" * 50}, "invalid_grant"),
        ({"code_verifier": ""}, "invalid_grant"),
        ({"redirect_uri": "http://localhost:1457/auth/callback"}, "invalid_grant"),
        ({"client_id": "other"}, "invalid_client"),
    ],
)
def test_code_exchange_rejects(
    openai: tuple[SimServer, OpenAIAuthSim], overrides: dict[str, str], error: str
) -> None:
    server, _sim = openai
    code = code_of(authorize(server))
    answer = exchange(server, code, **overrides)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == error
    # The code was burned by the failed attempt.
    assert exchange(server, code).status_code == 400


def test_refresh_and_revoke(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    tokens = sim.authority.issue()
    answer = httpx.post(
        server.url + "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT,
        },
    )
    assert answer.status_code == 200
    fresh = answer.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    reused = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    wrong_client = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "other"},
    )
    assert wrong_client.status_code == 401
    unsupported = httpx.post(server.url + "/oauth/token", data={"grant_type": "password"})
    assert unsupported.json()["error"] == "unsupported_grant_type"

    revoke = httpx.post(server.url + "/oauth/revoke", json={"token": fresh["access_token"]})
    assert revoke.status_code == 200
    assert sim.revoked == [fresh["access_token"]]
    assert sim.authority.check_access(fresh["access_token"]) is None
    assert httpx.post(server.url + "/oauth/revoke", json={}).status_code == 200
    assert sim.revoked == [fresh["access_token"]]


def test_denied_and_entitlement(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    sim.deny = True
    query = parse_qs(urlsplit(authorize(server).headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st"]
    sim.deny, sim.missing_entitlement = False, True
    query = parse_qs(urlsplit(authorize(server).headers["location"]).query)
    assert query["error_description"] == ["missing_codex_entitlement"]


def usercode(server: SimServer, client_id: str = CLIENT) -> httpx.Response:
    return httpx.post(
        server.url + "/api/accounts/deviceauth/usercode", json={"client_id": client_id}
    )


def poll(server: SimServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        server.url + "/api/accounts/deviceauth/token",
        json={"device_auth_id": body["device_auth_id"], "user_code": body["user_code"]},
    )


def test_device_auth_flow(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    sim.device_pending_polls = None
    start = usercode(server)
    body = start.json()
    assert isinstance(body["interval"], str)  # a string, as OpenAI sends it
    assert poll(server, body).status_code == 403
    sim.approve_device()
    grant = poll(server, body).json()
    assert pkce.challenge_s256(grant["code_verifier"]) == grant["code_challenge"]
    # Polling again hands out the same grant.
    assert poll(server, body).json() == grant
    host = urlsplit(server.url).netloc
    answer = exchange(
        server,
        grant["authorization_code"],
        redirect_uri=f"http://{host}/deviceauth/callback",
        code_verifier=grant["code_verifier"],
    )
    assert answer.status_code == 200
    assert sim.device_polls == 3


def test_device_auth_errors(openai: tuple[SimServer, OpenAIAuthSim]) -> None:
    server, sim = openai
    assert usercode(server, "other").status_code == 400
    body = usercode(server).json()
    assert poll(server, {**body, "user_code": "WRONG"}).status_code == 400
    sim.deny_device()
    denied = poll(server, body)
    assert denied.status_code == 401
    assert denied.json()["error"] == "access_denied"
    sim.device_enabled = False
    assert usercode(server).status_code == 404


# --------------------------------------------------------------------------------------
# GitHub


@pytest.fixture
def github() -> Iterator[tuple[SimServer, GitHubSim]]:
    with SimServer() as server:
        yield server, install_github(server, GitHubAuthority())


JSON = {"Accept": "application/json"}
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def device_code(server: SimServer, client_id: str = "Iv1.b507a08c87ecfe98") -> dict[str, Any]:
    answer = httpx.post(
        server.url + "/login/device/code", json={"client_id": client_id}, headers=JSON
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def gh_poll(server: SimServer, code: dict[str, Any], **overrides: str) -> httpx.Response:
    body = {
        "client_id": "Iv1.b507a08c87ecfe98",
        "device_code": code["device_code"],
        "grant_type": GRANT,
        **overrides,
    }
    return httpx.post(server.url + "/login/oauth/access_token", data=body, headers=JSON)


def test_github_device_flow_manual_approval(github: tuple[SimServer, GitHubSim]) -> None:
    server, sim = github
    sim.auto_approve = False
    sim.script_polls()
    code = device_code(server)
    assert code["verification_uri"] == f"{server.url}/login/device"
    assert gh_poll(server, code).json()["error"] == "authorization_pending"
    sim.approve()
    token = gh_poll(server, code).json()["access_token"]
    assert sim.authority.check_github(token) is not None
    # The device code is spent.
    assert gh_poll(server, code).json()["error"] == "incorrect_device_code"
    assert sim.polls == 2
    assert httpx.get(server.url + "/login/device").status_code == 200


def test_github_poll_errors(github: tuple[SimServer, GitHubSim]) -> None:
    server, sim = github
    sim.client_ids = {"Iv1.b507a08c87ecfe98"}
    assert httpx.post(server.url + "/login/device/code", json={"client_id": "x"}).status_code == 404
    code = device_code(server)
    assert gh_poll(server, code, grant_type="password").json()["error"] == (
        "unsupported_grant_type"
    )
    assert gh_poll(server, code, client_id="other").json()["error"] == "incorrect_device_code"
    sim.script_polls("slow_down")
    slow = gh_poll(server, code).json()
    assert (slow["error"], slow["interval"]) == ("slow_down", 6)


def test_github_device_code_expiry(github: tuple[SimServer, GitHubSim]) -> None:
    server, sim = github
    now = [0.0]
    sim.clock = lambda: now[0]
    code = device_code(server)
    now[0] = 10_000
    assert gh_poll(server, code).json()["error"] == "expired_token"
    assert gh_poll(server, code).json()["error"] == "incorrect_device_code"


def test_copilot_exchange_and_user(github: tuple[SimServer, GitHubSim]) -> None:
    server, sim = github
    token = sim.authority.issue_github_token()
    for scheme in ("token", "Bearer"):
        answer = httpx.get(
            server.url + "/copilot_internal/v2/token",
            headers={"Authorization": f"{scheme} {token}"},
        )
        assert answer.status_code == 200
        assert sim.authority.check_copilot(answer.json()["token"]) is not None
    assert httpx.get(server.url + "/copilot_internal/v2/token").status_code == 401
    bad = httpx.get(
        server.url + "/copilot_internal/v2/token", headers={"Authorization": "token nope"}
    )
    assert bad.status_code == 401
    user = httpx.get(server.url + "/user", headers={"Authorization": f"token {token}"})
    assert user.json()["login"] == "octocat"
    assert httpx.get(server.url + "/user").status_code == 401
