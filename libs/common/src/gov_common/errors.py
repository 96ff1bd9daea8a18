"""RFC 9457 problem details: one error model for every service.

Domain errors subclass :class:`ProblemError` with a stable ``slug``; the handlers installed by
:func:`install_problem_handlers` turn them, validation errors, unknown routes and unexpected exceptions
into ``application/problem+json``. A stack trace never leaves the process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:gov-platform:problem:"

log = logging.getLogger(__name__)


def problem_type(slug: str) -> str:
    """The stable ``type`` URI of a problem named ``slug``."""
    return PROBLEM_TYPE_BASE + slug


def problem_body(
    *,
    status: int,
    slug: str,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if extensions:
        body.update(extensions)
    return body


def problem_response(
    *,
    status: int,
    slug: str,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(status=status, slug=slug, title=title, detail=detail, instance=instance, extensions=extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


class ProblemError(Exception):
    """Base of every error a client may see. Subclasses set ``slug``, ``status`` and ``title``."""

    slug: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions

    def to_response(self, instance: str | None = None) -> JSONResponse:
        return problem_response(
            status=self.status,
            slug=self.slug,
            title=self.title,
            detail=self.detail,
            instance=instance,
            extensions=self.extensions,
            headers=self.headers,
        )


class NotFound(ProblemError):
    slug, status, title = "not-found", 404, "Resource not found"


class Conflict(ProblemError):
    slug, status, title = "conflict", 409, "Conflict with the current state"


class Unauthenticated(ProblemError):
    slug, status, title = "unauthenticated", 401, "Authentication required"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="gov-platform"'}, **extensions)


class Forbidden(ProblemError):
    slug, status, title = "forbidden", 403, "Not allowed"


class ServiceUnavailable(ProblemError):
    slug, status, title = "service-unavailable", 503, "Service unavailable"


_STATUS_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}


def _pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    """JSON pointer (RFC 6901) of a pydantic error location; the first element is the request part."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc[1:]]
    return "/" + "/".join(parts) if parts else ""


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return exc.to_response(instance=request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "in": str(err["loc"][0]) if err.get("loc") else "body",
            "pointer": _pointer(err.get("loc", ())),
            "field": ".".join(str(p) for p in err.get("loc", ())[1:]),
            "message": err.get("msg", ""),
            "code": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return problem_response(
        status=422,
        slug="validation-error",
        title="The request is not valid",
        detail=f"{len(errors)} field(s) failed validation",
        instance=request.url.path,
        extensions={"errors": errors},
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = _STATUS_SLUGS.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}"
    return problem_response(
        status=exc.status_code,
        slug=slug,
        detail=detail,
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="The server could not complete the request; it has been logged.",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
