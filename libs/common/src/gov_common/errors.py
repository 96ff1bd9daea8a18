"""RFC 9457 problem details: one error model for every service.

Domain errors subclass :class:`ProblemError` with a stable ``slug``; the handlers installed by
:func:`install_problem_handlers` turn them, validation errors, unknown routes and unexpected exceptions
into ``application/problem+json``. A stack trace never leaves the process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gov_common.http import document_locations, public_path, wrong_body_type

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
    # Extensions first: RFC 9457's own members always win (an extension named "status" once replaced the
    # HTTP status with a state name; name such extensions e.g. "current_status").
    body: dict[str, Any] = dict(extensions or {})
    body.update(type=problem_type(slug), title=title or HTTPStatus(status).phrase, status=status)
    if detail:
        body["detail"] = detail
    else:
        body.pop("detail", None)
    if instance:
        body["instance"] = instance
    else:
        body.pop("instance", None)
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


class UnsupportedMediaType(ProblemError):
    slug, status, title = "unsupported-media-type", 415, "Unsupported media type"


class MalformedJson(ProblemError):
    slug, status, title = "malformed-json", 400, "The body is not valid JSON"


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


class InsufficientScope(ProblemError):
    """The token lacks the scope the operation needs (RFC 6750 section 3.1): the client was not registered
    for it, did not ask for it, or the person did not consent."""

    slug, status, title = "insufficient-scope", 403, "Insufficient scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"this operation needs the scope {scope}",
            headers={"WWW-Authenticate": f'Bearer realm="gov-platform", error="insufficient_scope", scope="{scope}"'},
            error="insufficient_scope",
            required_scope=scope,
        )


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


def json_pointer(parts: Iterable[Any]) -> str:
    """The JSON Pointer (RFC 6901) of a path into a document: ``""`` for the whole document (never ``"/"``,
    which names the member whose key is empty), ``~`` and ``/`` in keys escaped."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    """JSON pointer of a pydantic error location; the first element is the request part."""
    return json_pointer(loc[1:])


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return exc.to_response(instance=public_path(request))


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if wrong_body_type(request):
        return problem_response(
            status=415,
            slug="unsupported-media-type",
            detail=f"this operation reads {_body_type(request)}, not {request.headers.get('content-type') or 'no content type'}",
            instance=public_path(request),
        )
    malformed = [err for err in exc.errors() if err.get("type") == "json_invalid"]
    if malformed:
        # Not JSON at all is a bad request (400); JSON that does not fit the schema is 422.
        return problem_response(
            status=400,
            slug="malformed-json",
            title="The body is not valid JSON",
            detail=str(malformed[0].get("ctx", {}).get("error") or "JSON decode error"),
            instance=public_path(request),
        )
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
        instance=public_path(request),
        extensions={"errors": errors},
    )


def _body_type(request: Request) -> str:
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    return "a form" if field is not None and isinstance(getattr(field, "field_info", None), Form) else "JSON"


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
        instance=public_path(request),
        headers=getattr(exc, "headers", None),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="The server could not complete the request; it has been logged.",
        instance=public_path(request),
    )


# SQLSTATEs of text that PostgreSQL cannot hold: a NUL character (U+0000) in a string, or escaped in JSON.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A NUL character is valid JSON and valid in a Python string, so no schema refuses it, but PostgreSQL
    cannot store it: the client sent text the platform cannot keep, which is the client's to fix."""
    assert isinstance(exc, DBAPIError)
    if getattr(exc.orig, "sqlstate", None) not in _UNSTORABLE_TEXT:
        return await _on_unexpected(request, exc)
    return problem_response(
        status=422,
        slug="unstorable-text",
        title="The text cannot be stored",
        detail="text must not contain NUL (U+0000) characters",
        instance=public_path(request),
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
    document_problems(app)


# The errors any operation may answer (authentication, authorisation, lookups, state, validation, rate limits).
DOCUMENTED_PROBLEMS = (400, 401, 403, 404, 409, 422, 429)
# Added to every operation that reads a body: a body of another content type.
BODY_PROBLEMS = (415,)

_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; members beyond these are extensions of the problem type.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
_VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A problem with the request's content; a request that does not match its schema lists each "
    "invalid field under errors, with a JSON pointer.",
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["in", "pointer", "field", "message", "code"],
                        "properties": {
                            name: {"type": "string"} for name in ("in", "pointer", "field", "message", "code")
                        },
                    },
                }
            },
        },
    ],
}
# FastAPI's own description of a 422, which :func:`install_problem_handlers` answers as a problem instead.
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def document_problems(app: FastAPI) -> None:
    """Document in ``app``'s OpenAPI the problem+json answers of every operation (:data:`DOCUMENTED_PROBLEMS`
    and any other error an operation declares), so that clients and contract tests know the error shape."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            _add_problem_responses(spec)
            document_locations(spec)
            from gov_common.idempotency import document_replays  # it imports this module

            document_replays(spec)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problem_responses(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    if schemas.pop("HTTPValidationError", None) is not None:
        schemas.pop("ValidationError", None)  # FastAPI's item of HTTPValidationError
    schemas["Problem"] = _PROBLEM_SCHEMA
    schemas["ValidationProblem"] = _VALIDATION_PROBLEM_SCHEMA
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status in (*DOCUMENTED_PROBLEMS, *(BODY_PROBLEMS if "requestBody" in operation else ())):
                responses.setdefault(str(status), {})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    _problem_response(response, int(code))


def _problem_response(response: dict[str, Any], status: int) -> None:
    """A problem+json body for an error answer, unless the operation documents another body for it (a
    protocol's own error format, such as OAuth 2.0's)."""
    name = "ValidationProblem" if status == 422 else "Problem"
    response["description"] = response.get("description") or HTTPStatus(status).phrase
    content = response.setdefault("content", {})
    if content.get("application/json", {}).get("schema", {}).get("$ref") == _FASTAPI_422:
        del content["application/json"]
    if not content or PROBLEM_CONTENT_TYPE in content:
        content.setdefault(PROBLEM_CONTENT_TYPE, {}).setdefault("schema", {"$ref": f"#/components/schemas/{name}"})
