"""SSO (OAuth password grant) tokens, their revocation, and HTTP Basic, as the engine does.

Users are a plain `{username: password}` mapping. The default is documented in the README:
`admin@internal` with password `fakeovirt`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from functools import lru_cache
from threading import Lock

from werkzeug.wrappers import Request

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import Unauthorized

__all__ = ["DEFAULT_USERS", "Authenticator"]

DEFAULT_USERS = {"admin@internal": "fakeovirt"}


class Authenticator:
    """Issues and checks bearer tokens; accepts HTTP Basic as a fallback."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self.users = dict(DEFAULT_USERS if users is None else users)
        self._tokens: dict[str, str] = {}
        self._lock = Lock()

    def login(self, username: str, password: str) -> str:
        """A new access token, or `Unauthorized` with the engine's SSO wording."""
        if self.users.get(username) != password or not username:
            raise Unauthorized(msg.AUTH_BAD_CREDENTIALS.format(user=username))
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = username
        return token

    def logout(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def user_for(self, request: Request) -> str:
        """The user behind the request's credentials, or `Unauthorized`."""
        return self.user_for_header(request.environ.get("HTTP_AUTHORIZATION", ""))

    def user_for_header(self, header: str) -> str:
        """The user behind an `Authorization` header's value, or `Unauthorized`."""
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            with self._lock:
                user = self._tokens.get(value.strip())
            if user is None:
                raise Unauthorized(msg.AUTH_BAD_TOKEN)
            return user
        if scheme == "basic":
            username, password = _basic(value.strip())
            if self.users.get(username) != password:
                raise Unauthorized(msg.AUTH_BAD_CREDENTIALS.format(user=username))
            return username
        raise Unauthorized(msg.AUTH_REQUIRED)


@lru_cache(maxsize=64)
def _basic(value: str) -> tuple[str, str]:
    """HTTP Basic credentials as (username, password); a client sends the same few again and
    again, so the decoding is remembered (the check against the users never is)."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(msg.AUTH_REQUIRED) from None
    username, _, password = decoded.partition(":")
    return username, password
