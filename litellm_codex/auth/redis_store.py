"""Logins in Redis, encrypted, shared by proxy replicas (``LITELLM_CODEX_STORE=redis``).

Reached with the settings LiteLLM's proxy itself uses: ``REDIS_URL``, or ``REDIS_HOST`` /
``REDIS_PORT`` / ``REDIS_PASSWORD`` (and ``REDIS_USERNAME``, ``REDIS_SSL=true``). Layout::

    litellm-codex:<provider>                  the login: "v1:" + base64(nonce | AES-GCM ciphertext)
    litellm-codex:<provider>:refresh-lock     held while one replica refreshes (expires by itself)

Records are encrypted with AES-256-GCM (``cryptography``) under a key derived (HKDF-SHA256)
from ``LITELLM_CODEX_SECRET_KEY``, else LiteLLM's ``LITELLM_SALT_KEY``; the Redis key name
is the associated data, so a record copied under another provider's or user's name does
not decrypt. Without a secret nothing is read or written. ``redis`` and ``cryptography``
come with ``litellm[proxy]``; SDK-only installs get a clear error naming the extra.

Every Redis call has a short timeout (``LITELLM_CODEX_REDIS_TIMEOUT``, 5 s): an outage
becomes a :class:`~litellm_codex.errors.StoreUnavailableError` (LiteLLM's 503), never a hang.
The credential managers read the store only on first use and around a refresh, so an
outage does not stop requests made with a login already in memory.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
from collections.abc import Iterator
from typing import Any

from litellm_codex import settings
from litellm_codex.auth.store import _dumps, _loads_record, service_name
from litellm_codex.errors import StoreError, StoreUnavailableError, UpstreamError, cli_name

__all__ = ["RedisStore", "secret_from_env"]

log = logging.getLogger(__name__)

#: Env vars holding the encryption secret, in order of preference.
SECRET_ENV = ("LITELLM_CODEX_SECRET_KEY", "LITELLM_SALT_KEY")
_FORMAT = "v1:"
_NONCE = 12
_HKDF_INFO = b"litellm-codex redis store v1"
#: A refresh takes at most ~30 s (the token endpoint's timeout); a lock whose holder died
#: frees itself after this long.
LOCK_TTL = 60.0
#: How long a replica waits for another one's refresh before giving up.
LOCK_WAIT = 120.0
_INSTALL_HINT = "pip install 'litellm-codex[proxy]' (or: pip install redis cryptography)"


def secret_from_env() -> str | None:
    """``LITELLM_CODEX_SECRET_KEY``, else ``LITELLM_SALT_KEY``, else ``None``."""
    return settings.current().secret_key


class _Cipher:
    """AES-256-GCM with a key derived from the secret; ``repr`` shows nothing."""

    def __init__(self, secret: str) -> None:
        try:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        except ImportError:
            raise StoreError(
                f"LITELLM_CODEX_STORE=redis needs the cryptography package: {_INSTALL_HINT}",
                provider="litellm-codex",
            ) from None
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            secret.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "_Cipher()"

    def seal(self, plaintext: str, name: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), name.encode("utf-8"))
        return _FORMAT + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str, name: str) -> str | None:
        """The plaintext, or ``None`` when ``text`` was not sealed with this key and name."""
        from cryptography.exceptions import InvalidTag

        if not text.startswith(_FORMAT):
            return None
        try:
            blob = base64.b64decode(text[len(_FORMAT) :], validate=True)
            plain = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], name.encode("utf-8"))
        except (ValueError, InvalidTag):
            return None
        return plain.decode("utf-8")


def _connect_kwargs() -> tuple[dict[str, Any], str]:
    """``(redis.Redis keyword arguments, where)`` from LiteLLM's Redis environment;
    ``where`` is ``host:port`` (never the password)."""
    found = settings.current()
    url = found.redis_url
    timeout = found.redis_timeout
    common: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
        return {"url": url, **common}, where
    host = found.redis_host
    if not host:
        raise StoreError(
            "LITELLM_CODEX_STORE=redis needs LiteLLM's Redis settings: REDIS_URL, or "
            "REDIS_HOST and REDIS_PORT (and REDIS_PASSWORD)",
            provider="litellm-codex",
        )
    port_text = found.redis_port
    try:
        port = int(port_text)
    except ValueError:
        raise StoreError(
            f"REDIS_PORT must be a number, not {port_text!r}", provider="litellm-codex"
        ) from None
    kwargs: dict[str, Any] = {
        "host": host,
        "port": port,
        "password": found.redis_password,
        "username": found.redis_username,
        "ssl": found.redis_ssl,
        **common,
    }
    return kwargs, f"{host}:{port}"


class RedisStore:
    """Encrypted records in Redis (one key per provider), with a refresh lock."""

    def __init__(self, client: Any, *, secret: str, where: str = "redis") -> None:
        self._client = client
        self._cipher = _Cipher(secret)
        self.where = where
        self.name = f"redis ({where})"

    @classmethod
    def from_env(cls) -> RedisStore:
        """The store LiteLLM's Redis settings point at; checks the secret first, so
        nothing is ever written unencrypted."""
        secret = secret_from_env()
        if secret is None:
            raise StoreError(
                "LITELLM_CODEX_STORE=redis encrypts logins at rest: set "
                "LITELLM_CODEX_SECRET_KEY (or LiteLLM's LITELLM_SALT_KEY) to a long random "
                "secret, the same on every replica and for `litellm-codex login`",
                provider="litellm-codex",
            )
        try:
            import redis
        except ImportError:
            raise StoreError(
                f"LITELLM_CODEX_STORE=redis needs the redis package: {_INSTALL_HINT}",
                provider="litellm-codex",
            ) from None
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kwargs, where = _connect_kwargs()
        # One immediate retry (a pooled connection the server closed), not redis-py's
        # default backoff of several seconds: an outage must surface within a request.
        kwargs["retry"] = Retry(NoBackoff(), 1)
        url = kwargs.pop("url", None)
        client = (
            redis.Redis.from_url(url, **kwargs) if url else redis.Redis(**kwargs)
        )  # connects lazily, on the first command
        return cls(client, secret=secret, where=where)

    def __repr__(self) -> str:
        return f"RedisStore({self.where!r})"

    def close(self) -> None:
        """Close the connection pool (the store reconnects if used again)."""
        self._client.close()

    @staticmethod
    def key(provider: str) -> str:
        """Redis key of a provider's record: ``litellm-codex:openai-codex``."""
        return service_name(provider)

    def _call(self, provider: str, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailableError(
                f"Redis at {self.where} is unreachable ({type(exc).__name__}); could not "
                f"{what} the {cli_name(provider)} login",
                provider=provider,
            ) from None
        except redis.RedisError as exc:
            raise StoreError(
                f"Redis at {self.where} could not {what} the {cli_name(provider)} login: "
                f"{type(exc).__name__}",
                provider=provider,
            ) from None

    def load(self, provider: str) -> dict[str, Any] | None:
        name = self.key(provider)
        raw = self._call(provider, "read", self._client.get, name)
        if raw is None:
            return None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        plain = self._cipher.open(text, name)
        if plain is None:
            raise StoreError(
                f"the {cli_name(provider)} login in {self.name} cannot be decrypted: it was "
                "stored with another LITELLM_CODEX_SECRET_KEY / LITELLM_SALT_KEY (use the same "
                "secret everywhere, or log in again)",
                provider=provider,
            )
        return _loads_record(plain, provider, self.name)

    def save(self, provider: str, record: dict[str, Any]) -> None:
        name = self.key(provider)
        self._call(
            provider, "write", self._client.set, name, self._cipher.seal(_dumps(record), name)
        )

    def delete(self, provider: str) -> None:
        self._call(provider, "delete", self._client.delete, self.key(provider))

    @contextlib.contextmanager
    def lock(self, provider: str) -> Iterator[None]:
        """Hold the refresh lock of ``provider`` across every replica.

        A Redis lock with a TTL (:data:`LOCK_TTL`): a replica that dies while holding it
        does not block the others for longer than that.
        """
        import redis

        lock = self._client.lock(
            f"{self.key(provider)}:refresh-lock",
            timeout=LOCK_TTL,
            blocking_timeout=LOCK_WAIT,
            thread_local=False,
        )
        acquired = self._call(provider, "lock", lock.acquire)
        if not acquired:
            raise UpstreamError(
                f"timed out waiting for another replica to refresh the {cli_name(provider)} login"
            )
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                log.warning(
                    "the %s refresh lock expired before it was released", cli_name(provider)
                )
            except redis.RedisError as exc:
                log.warning("could not release the %s refresh lock: %s", cli_name(provider), exc)
