"""One OpenAPI document for the whole platform, merged from each upstream's ``/openapi.json``.

Every path is prefixed with ``/api/<service>``, every operation tagged with the service, and operation
ids and component names (schemas, responses, parameters, security schemes...) prefixed with
``<service>_`` so that two services may both have an ``ItemRead``. Every ``$ref`` (and discriminator
mapping) in the document is rewritten to match. A service that does not answer is left out and listed
under ``x-unavailable-services``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

OPERATION_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keys whose values are data (examples, defaults), not part of the description: left as they are.
_LITERAL_KEYS = frozenset({"example", "default", "const", "enum", "value"})
# Keys whose values map names chosen by authors to objects: a name there is never a keyword.
_NAME_MAP_KEYS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "content",
        "encoding",
        "paths",
        "webhooks",
    }
)
_OAUTH_URL_KEYS = ("authorizationUrl", "tokenUrl", "refreshUrl")


def _escape(token: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def prefixed(service: str, name: str) -> str:
    """The merged name of a component or operation id of ``service``."""
    return f"{service}_{name}"


def _ref_rewriter(service: str, path_prefix: str) -> Callable[[str], str]:
    def rewrite(ref: str) -> str:
        if ref.startswith("#/components/"):
            parts = ref.split("/", 4)  # '#', 'components', section, name[, rest]
            if len(parts) >= 4:
                parts[3] = _escape(prefixed(service, _unescape(parts[3])))
                return "/".join(parts)
        elif ref.startswith("#/paths/"):
            parts = ref.split("/", 3)  # '#', 'paths', path[, rest]
            parts[2] = _escape(path_prefix + _unescape(parts[2]))
            return "/".join(parts)
        return ref

    return rewrite


def _walk(node: Any, rewrite: Callable[[str], str], *, names: bool = False) -> Any:
    """A copy of ``node`` with every reference rewritten; ``names`` when its keys are names, not keywords."""
    if isinstance(node, list):
        return [_walk(item, rewrite) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _walk(value, rewrite) for key, value in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = rewrite(value)
        elif key in _LITERAL_KEYS or (key == "examples" and isinstance(value, list)):
            out[key] = value
        elif key == "discriminator" and isinstance(value, dict) and isinstance(value.get("mapping"), dict):
            out[key] = {**value, "mapping": {k: rewrite(v) for k, v in value["mapping"].items()}}
        else:
            out[key] = _walk(value, rewrite, names=key in _NAME_MAP_KEYS or key == "examples")
    return out


def _rename_security(service: str, requirements: Any) -> Any:
    if not isinstance(requirements, list):
        return requirements
    return [
        {prefixed(service, name): scopes for name, scopes in req.items()} if isinstance(req, dict) else req
        for req in requirements
    ]


def _prefix_url(url: Any, path_prefix: str) -> Any:
    """Relative URLs of a service (``/token``) are relative to the gateway once merged."""
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return path_prefix + url
    return url


def prefix_document(service: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` (one service's OpenAPI) with paths, operations and components renamed for merging."""
    path_prefix = f"/api/{service}"
    rewritten: dict[str, Any] = _walk(dict(doc), _ref_rewriter(service, path_prefix))
    default_security = rewritten.get("security")

    paths: dict[str, Any] = {}
    for path, item in (rewritten.get("paths") or {}).items():
        if isinstance(item, dict):
            for method, operation in item.items():
                if method not in OPERATION_METHODS or not isinstance(operation, dict):
                    continue
                operation["tags"] = [service]
                if isinstance(operation.get("operationId"), str):
                    operation["operationId"] = prefixed(service, operation["operationId"])
                if "security" in operation:
                    operation["security"] = _rename_security(service, operation["security"])
                elif default_security is not None:
                    # The service's document-wide default does not carry over to the merged document.
                    operation["security"] = _rename_security(service, default_security)
                for links in (response.get("links") for response in _dicts(operation.get("responses"))):
                    for link in _dicts(links):
                        if isinstance(link.get("operationId"), str):
                            link["operationId"] = prefixed(service, link["operationId"])
        paths[path_prefix + path] = item

    components: dict[str, Any] = {}
    for section, entries in (rewritten.get("components") or {}).items():
        if isinstance(entries, dict):
            components[section] = {prefixed(service, name): value for name, value in entries.items()}
    for scheme in _dicts(components.get("securitySchemes")):
        if "openIdConnectUrl" in scheme:
            scheme["openIdConnectUrl"] = _prefix_url(scheme["openIdConnectUrl"], path_prefix)
        for flow in _dicts(scheme.get("flows")):
            for key in _OAUTH_URL_KEYS:
                if key in flow:
                    flow[key] = _prefix_url(flow[key], path_prefix)

    webhooks = {prefixed(service, name): hook for name, hook in (rewritten.get("webhooks") or {}).items()}
    return {"info": rewritten.get("info") or {}, "paths": paths, "components": components, "webhooks": webhooks}


def _dicts(mapping: Any) -> Iterable[dict[str, Any]]:
    """The dict values of ``mapping`` (nothing when it is not a dict)."""
    if isinstance(mapping, dict):
        return (value for value in mapping.values() if isinstance(value, dict))
    return ()


def merge_documents(
    docs: Mapping[str, Mapping[str, Any]],
    *,
    unavailable: Iterable[str] = (),
    title: str = "Integrated government-service platform API (一体化在线政务服务平台)",
    version: str = "0.1.0",
) -> dict[str, Any]:
    """The merged document of ``docs`` (service name to its OpenAPI document)."""
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    webhooks: dict[str, Any] = {}
    tags: list[dict[str, Any]] = []
    for service in sorted(docs):
        part = prefix_document(service, docs[service])
        paths.update(part["paths"])
        for section, entries in part["components"].items():
            components.setdefault(section, {}).update(entries)
        webhooks.update(part["webhooks"])
        info = part["info"]
        tag: dict[str, Any] = {"name": service}
        if info.get("title"):
            tag["description"] = str(info["title"]) + (f": {info['description']}" if info.get("description") else "")
        tags.append(tag)

    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "All services of the platform behind the gateway, under `/api/<service>/`.",
        },
        "tags": tags,
        "paths": paths,
    }
    if components:
        merged["components"] = components
    if webhooks:
        merged["webhooks"] = webhooks
    merged["x-unavailable-services"] = sorted(unavailable)
    return merged


class OpenAPIAggregator:
    """Fetches the upstreams' documents concurrently and serves the merged one from memory for a while."""

    def __init__(
        self,
        upstreams: Mapping[str, str],
        session: Callable[[], aiohttp.ClientSession],
        *,
        fetch_timeout_seconds: float,
        cache_seconds: float,
        version: str = "0.1.0",
    ) -> None:
        self.upstreams = dict(upstreams)
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout_seconds)
        self._cache_seconds = cache_seconds
        self._version = version
        self._cached: bytes | None = None
        self._cached_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> bytes:
        """The merged document as JSON bytes; one refresh at a time, however many callers wait."""
        if self._fresh():
            assert self._cached is not None
            return self._cached
        async with self._lock:
            if self._fresh():
                assert self._cached is not None
                return self._cached
            body = json.dumps(await self.build(), ensure_ascii=False, separators=(",", ":")).encode()
            self._cached, self._cached_at = body, time.monotonic()
            return body

    def _fresh(self) -> bool:
        return self._cached is not None and time.monotonic() - self._cached_at < self._cache_seconds

    async def build(self) -> dict[str, Any]:
        names = list(self.upstreams)
        results = await asyncio.gather(*(self._fetch(name, self.upstreams[name]) for name in names))
        docs = {name: doc for name, doc in zip(names, results, strict=True) if doc is not None}
        unavailable = [name for name, doc in zip(names, results, strict=True) if doc is None]
        return merge_documents(docs, unavailable=unavailable, version=self._version)

    async def _fetch(self, name: str, base: str) -> dict[str, Any] | None:
        try:
            async with self._session().get(
                base + "/openapi.json",
                timeout=self._timeout,
                allow_redirects=False,
                headers={"Accept": "application/json"},
            ) as resp:
                if resp.status != 200:
                    log.warning("openapi of %s: HTTP %d", name, resp.status, extra={"upstream": name})
                    return None
                doc = json.loads(await resp.read())
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            log.warning("openapi of %s unavailable: %r", name, exc, extra={"upstream": name})
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("paths", {}), dict):
            log.warning("openapi of %s is not an OpenAPI document", name, extra={"upstream": name})
            return None
        return doc
