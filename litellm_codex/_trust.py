"""Where credentials may go: ``https``, or plain ``http`` to a loopback host.

Every client that carries a token (the providers' API clients, the Codex refresh and the
Copilot token exchange) has :func:`check_trusted` as an httpx request hook, so no bearer
token, refresh token or GitHub token is ever sent in clear text to another machine,
whatever ``api_base``, environment variable or Copilot token ``endpoints.api`` says.
Redirects are never followed by these clients (httpx's default), so a token cannot be
carried to another host either.
"""

from __future__ import annotations

import ipaddress

import httpx

from litellm_codex.errors import ConfigurationError

__all__ = [
    "acheck_trusted",
    "check_trusted",
    "is_trusted",
    "require_trusted",
    "untrusted_error",
]


def is_trusted(url: str | httpx.URL) -> bool:
    """Whether credentials may go to ``url``: https, or plain http to a loopback host."""
    parsed = httpx.URL(str(url))
    if parsed.scheme == "https":
        return True
    if parsed.scheme != "http":
        return False
    host = parsed.host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def untrusted_error(url: str | httpx.URL, source: str) -> ConfigurationError:
    parsed = httpx.URL(str(url))
    origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}"
    return ConfigurationError(
        f"refusing to send credentials to {origin} ({source}): bearer tokens only go over "
        "https, or plain http to localhost / 127.0.0.1 / ::1"
    )


def require_trusted(source: str, *urls: str | None) -> None:
    """Raise :func:`untrusted_error` for the first of ``urls`` that is not trusted.

    For the login flows: their endpoints are checked before the first request, so a wrong
    setting fails before a code, a token or a password prompt is spent on it.
    """
    for url in urls:
        if url and not is_trusted(url):
            raise untrusted_error(url, source)


def check_trusted(request: httpx.Request) -> None:
    """httpx request hook of every provider client: no token over plain http elsewhere."""
    if not is_trusted(request.url):
        raise untrusted_error(
            request.url, "from `api_base`, an environment setting or the stored login"
        )


async def acheck_trusted(request: httpx.Request) -> None:
    """Async :func:`check_trusted`."""
    check_trusted(request)
