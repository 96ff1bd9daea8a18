"""The HTTP contract every service keeps, in one place: public paths behind the gateway, ``Location`` on
201, times that always carry their offset, the content types a body operation reads, and operation
summaries taken from docstrings. ``tests/integration/test_http_conventions.py`` checks every operation.
"""

from __future__ import annotations

import email.message
import inspect
import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Request, Response, params
from fastapi.routing import APIRoute
from pydantic import AfterValidator, WithJsonSchema

# Set by the gateway on every request it forwards (overwriting any a caller sent): the public prefix of
# the service, e.g. ``/api/catalog``; the service's own paths are public at that prefix.
PREFIX_HEADER = "x-forwarded-prefix"

# RFC 3339 requires the offset; the pattern lets a client's schema validator (and schemathesis) check it.
OFFSET_PATTERN = r"(Z|[+-]\d{2}:\d{2})$"


def _aware(value: datetime) -> datetime:
    # SQLite keeps no offset, and every time the platform stores is UTC (gov_common.db.UtcDateTime).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


AwareDateTime = Annotated[
    datetime,
    AfterValidator(_aware),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": OFFSET_PATTERN}),
]
"""A time in a response: always serialised with its offset (RFC 3339); a naive value is read as UTC."""


def public_prefix(request: Request) -> str:
    """The path prefix under which the caller reached this service: ``/api/<service>`` through the gateway,
    ``""`` when called directly. Only the one prefix the gateway gives this service is believed, so a
    forged header can name nothing else."""
    value = request.headers.get(PREFIX_HEADER)
    runtime = getattr(request.app.state, "runtime", None)
    name = runtime.settings.service_name if runtime is not None else None
    return value if name is not None and value == f"/api/{name}" else ""


def public_path(request: Request, path: str | None = None) -> str:
    """``path`` (default: the request's own path) as the caller addresses it (through the gateway or not)."""
    return public_prefix(request) + (request.url.path if path is None else path)


R = TypeVar("R", bound=Response)


def created(request: Request, response: R, path: str) -> R:
    """Name in ``response`` (a 201, or the replay of a create) the new resource, at the service path
    ``path``: its ``Location`` as the caller addresses it. Returns ``response``."""
    response.headers["Location"] = public_path(request, path)
    return response


LOCATION_HEADER: dict[str, Any] = {
    "description": "the created resource (a path on the same host)",
    "required": True,
    "schema": {"type": "string", "format": "uri-reference"},
}

_JSON_SUBTYPE = "json"
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def wrong_body_type(request: Request, route: Any = None) -> bool:
    """True when ``request`` carries a body of a content type its operation (``route``, by default the one
    Starlette recorded in the scope) does not read (JSON for a JSON body, a form for a form body): 415, not a
    validation error."""
    route = route if route is not None else request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None or not _has_body(request):
        return False
    content_type = _content_type(request)
    return content_type not in _FORM_TYPES if _is_form(route) else not _is_json(content_type)


def _documented_body_types(route: Any) -> frozenset[str]:
    if not isinstance(route, APIRoute) or route.body_field is not None:
        return frozenset()
    content = ((route.openapi_extra or {}).get("requestBody") or {}).get("content") or {}
    return frozenset(content)


def _has_body(request: Request) -> bool:
    headers = request.headers
    return headers.get("content-length") not in (None, "0") or "transfer-encoding" in headers


def _content_type(request: Request) -> str:
    if not request.headers.get("content-type"):
        return ""
    message = email.message.Message()
    message["content-type"] = request.headers["content-type"]
    return message.get_content_type()


def _is_json(content_type: str) -> bool:
    maintype, _, subtype = content_type.partition("/")
    return maintype == "application" and (subtype == _JSON_SUBTYPE or subtype.endswith("+json"))


def _is_form(route: APIRoute) -> bool:
    field = route.body_field
    return field is not None and isinstance(getattr(field, "field_info", None), params.Form)


async def body_type_read(request: Request) -> None:
    """The app factory's first dependency: a body of a content type the operation does not read is 415,
    before any route dependency (a scope check's 403, a missing Idempotency-Key's 400) can answer. An
    operation that reads its body itself documents it (``openapi_extra`` requestBody) and is held to that:
    another content type is 415, documented JSON that does not parse is 400."""
    from gov_common.errors import MalformedJson, UnsupportedMediaType  # errors builds on this module

    documented = _documented_body_types(request.scope.get("route"))
    if documented and _has_body(request):
        content_type = _content_type(request)
        if content_type not in documented:
            raise UnsupportedMediaType(
                f"this operation reads {', '.join(sorted(documented))}, not {content_type or 'no content type'}"
            )
        if _is_json(content_type):
            try:
                json.loads(await request.body())
            except ValueError as exc:
                raise MalformedJson(str(exc)) from None
        return
    if wrong_body_type(request):
        raise UnsupportedMediaType(
            f"this operation does not read {request.headers.get('content-type') or 'no content type'}"
        )


def summarise_operations(app: FastAPI) -> None:
    """Give every operation without a ``summary=`` the first line of its endpoint's docstring (the rest
    stays its description), so that no summary is FastAPI's title-case of the function name."""
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.summary:
            continue
        doc = inspect.getdoc(route.endpoint)
        if not doc:
            continue
        first, _, rest = doc.partition("\n")
        route.summary = first.strip().rstrip(".")
        if not route.description or route.description.startswith(first):
            route.description = rest.strip()


def document_locations(spec: dict[str, Any]) -> None:
    """Document the ``Location`` header of every 201 answer in ``spec`` (set by :func:`created`)."""
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("201") if isinstance(operation, dict) else None
            if isinstance(response, dict):
                response.setdefault("headers", {}).setdefault("Location", LOCATION_HEADER)
