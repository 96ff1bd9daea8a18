"""The platform's public API as a front-end calls it: through the gateway, with the signed-in person's
access token taken from the server-side session (renewed there), never from the browser."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import StreamingResponse

from gov_web.oidc import OIDCClient, SignInRequired
from gov_web.sessions import WebSession


class ApiError(Exception):
    """An answer the page cannot use (5xx, or the gateway unreachable): the page says so and changes nothing."""

    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def problem(resp: httpx.Response) -> dict[str, Any]:
    """The RFC 9457 body of an error answer ({} when it is not one)."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def problem_text(resp: httpx.Response) -> str:
    """What an error answer says, to show the person: its RFC 9457 detail, else its title, else its status."""
    body = problem(resp)
    return str(body.get("detail") or body.get("title") or resp.status_code)


class Gateway:
    def __init__(self, http: httpx.AsyncClient, oidc: OIDCClient, *, public_ttl: float = 30.0, public_size: int = 512):
        self.http = http
        self.oidc = oidc
        self.public_ttl = public_ttl
        self.public_size = public_size
        self._public: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()

    async def public_json(self, request: Request, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """A public read (no token: the same for everyone, such as the catalog's lists and guides) as JSON, or
        None when it is not there; remembered ``public_ttl`` seconds in this process, so the pages anyone
        opens most cost the services nothing most of the time (a change shows within that time)."""
        key = str(httpx.URL(path, params=dict(params or {})))
        now = time.monotonic()
        held = self._public.get(key)
        if held is not None and now - held[0] < self.public_ttl:
            self._public.move_to_end(key)
            return held[2] if held[1] == 200 else None
        resp = await self.request(request, "GET", path, signed_in=False, params=params)
        body = resp.json() if resp.status_code == 200 else None
        if resp.status_code in (200, 404):
            self._public[key] = (now, resp.status_code, body)
            self._public.move_to_end(key)
            while len(self._public) > self.public_size:
                self._public.popitem(last=False)
        return body

    async def request(
        self,
        request: Request,
        method: str,
        path: str,
        *,
        signed_in: bool = True,
        ok_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Call ``path`` (``/api/<service>/...``) as the session's person (``signed_in``) or anonymously.
        5xx and transport errors raise :class:`ApiError`; 401 means the sign-in is gone (sign in again and
        come back); other answers are returned for the page to read."""
        return await self._send(
            request, method, path, signed_in=signed_in, ok_statuses=ok_statuses, stream=False, **kwargs
        )

    async def json(self, request: Request, path: str, **params: Any) -> Any:
        """GET ``path`` as the session's person: the JSON body of a 200, else None (not there, not theirs,
        refused). Parameters that are None or empty are left out (a filter not chosen)."""
        resp = await self.request(request, "GET", path, params={k: v for k, v in params.items() if v not in (None, "")})
        return resp.json() if resp.status_code == 200 else None

    async def stream(
        self, request: Request, method: str, path: str, *, signed_in: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Like :meth:`request` (same headers, same 401 and 5xx handling) but the body is not read: a file to
        hand on as it arrives. The caller closes the answer: :func:`relay` does, or ``await resp.aclose()``."""
        return await self._send(request, method, path, signed_in=signed_in, ok_statuses=(), stream=True, **kwargs)

    async def _send(
        self,
        request: Request,
        method: str,
        path: str,
        *,
        signed_in: bool,
        ok_statuses: tuple[int, ...],
        stream: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        ws: WebSession = request.state.session
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            back = request.headers.get("x-return-to") or request.url.path
        if signed_in:
            headers["Authorization"] = "Bearer " + await self.oidc.access_token(ws, back)
        if request.client is not None:
            # The person's address (uvicorn took it from the ingress's X-Forwarded-For where trusted): the
            # gateway, which trusts the cluster's pods, limits and logs by it rather than by this replica's.
            headers["X-Forwarded-For"] = request.client.host
        try:
            resp = await self.http.send(self.http.build_request(method, path, headers=headers, **kwargs), stream=stream)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"{type(exc).__name__}") from exc
        if resp.status_code == 401 and signed_in:
            await resp.aclose()
            ws.pop("tokens")
            ws.pop("user")
            raise SignInRequired(back)
        if resp.status_code >= 500 and resp.status_code not in ok_statuses:
            if stream:
                await resp.aclose()
                raise ApiError(resp.status_code)
            raise ApiError(resp.status_code, problem(resp).get("detail", ""))
        return resp


def relay(upstream: httpx.Response, *, media_type: str, headers: Mapping[str, str]) -> StreamingResponse:
    """A streamed answer from the gateway (:meth:`Gateway.stream`) handed on to the browser chunk by chunk
    with ``headers`` (its length kept when known); the upstream answer is closed when done or abandoned."""
    out = dict(headers)
    if upstream.headers.get("content-length"):
        out["Content-Length"] = upstream.headers["content-length"]

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()

    return StreamingResponse(body(), media_type=media_type, headers=out)
