"""A platform service's own access token at identity: the client-credentials grant (HTTP Basic, one scope),
kept until shortly before it expires and fetched once when several requests need it at the same time. For a
service that calls another service as itself (certificates and application read a holder's identifier,
the hall asks application about a case), never with a person's token."""

from __future__ import annotations

import asyncio
import time

import httpx

# Fetch a new token this long before the old one expires (clock skew and the time a request takes).
MARGIN_SECONDS = 30


class ServiceToken:
    def __init__(self, *, client_id: str, client_secret: str, scope: str, endpoint: str = "/token") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.endpoint = endpoint
        self._token: str | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        """Whether a secret is set (without one the service does not offer what needs the token)."""
        return bool(self.client_secret)

    async def get(self, identity: httpx.AsyncClient) -> str:
        """The token, from ``identity`` (an HTTP client whose base URL is identity's) when none is held;
        :class:`httpx.HTTPError` (or ``KeyError``/``ValueError`` for a malformed answer) when refused."""
        if self._token and time.monotonic() < self._until:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._until:
                return self._token
            resp = await identity.post(
                self.endpoint,
                data={"grant_type": "client_credentials", "scope": self.scope},
                auth=(self.client_id, self.client_secret),
            )
            resp.raise_for_status()
            body = resp.json()
            self._token = str(body["access_token"])
            self._until = time.monotonic() + max(0, int(body.get("expires_in", 300)) - MARGIN_SECONDS)
            return self._token

    def forget(self) -> None:
        """Drop the held token (the service answered 401 to it: revoked or a key rotated)."""
        self._token, self._until = None, 0.0
