"""One OpenAPI document for the whole platform, merged from each upstream's ``/openapi.json``.

Every path is prefixed with ``/api/<service>``, every operation tagged with the service, and operation
ids and component names (schemas, responses, parameters, security schemes...) prefixed with
``<service>_`` so that two services may both have an ``ItemRead``. Every ``$ref`` (and discriminator
mapping) in the document is rewritten to match. A security scheme that every service declaring it
declares the same way (the platform's one ``oauth2``, gov_common.auth.OAUTH2) keeps its name, once;
every operation keeps its ``security`` (the scope it needs), renamed where its scheme was. A service that does not answer is left out and listed
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


def _scheme_name(service: str, name: str, shared: frozenset[str]) -> str:
    """The merged name of a security scheme: its own when all services share it, else prefixed."""
    return name if name in shared else prefixed(service, name)


def _ref_rewriter(service: str, path_prefix: str, shared: frozenset[str]) -> Callable[[str], str]:
    def rewrite(ref: str) -> str:
        if ref.startswith("#/components/"):
            parts = ref.split("/", 4)  # '#', 'components', section, name[, rest]
            if len(parts) >= 4:
                name = _unescape(parts[3])
                if parts[2] == "securitySchemes":
                    parts[3] = _escape(_scheme_name(service, name, shared))
                else:
                    parts[3] = _escape(prefixed(service, name))
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


def _rename_security(service: str, requirements: Any, shared: frozenset[str]) -> Any:
    if not isinstance(requirements, list):
        return requirements
    return [
        {_scheme_name(service, name, shared): scopes for name, scopes in req.items()} if isinstance(req, dict) else req
        for req in requirements
    ]


def _prefix_url(url: Any, path_prefix: str) -> Any:
    """Relative URLs of a service (``/token``) are relative to the gateway once merged; those already under
    the gateway's ``/api/`` (``/api/identity/token``, as every service names identity's) stay."""
    if isinstance(url, str) and url.startswith("/") and not url.startswith(("//", "/api/")):
        return path_prefix + url
    return url


def _resolve_scheme(scheme: Any, path_prefix: str) -> Any:
    """A security scheme with its URLs as seen from the gateway (a copy)."""
    if not isinstance(scheme, dict):
        return scheme
    out = dict(scheme)
    if "openIdConnectUrl" in out:
        out["openIdConnectUrl"] = _prefix_url(out["openIdConnectUrl"], path_prefix)
    if isinstance(out.get("flows"), dict):
        out["flows"] = {
            kind: {key: _prefix_url(v, path_prefix) if key in _OAUTH_URL_KEYS else v for key, v in flow.items()}
            if isinstance(flow, dict)
            else flow
            for kind, flow in out["flows"].items()
        }
    return out


def _security_schemes(service: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The security schemes ``service`` declares, URLs resolved."""
    schemes = (doc.get("components") or {}).get("securitySchemes")
    if not isinstance(schemes, dict):
        return {}
    return {name: _resolve_scheme(scheme, f"/api/{service}") for name, scheme in schemes.items()}


def shared_schemes(docs: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Names of the security schemes that every service declaring them declares identically."""
    seen: dict[str, list[Any]] = {}
    for service, doc in docs.items():
        for name, scheme in _security_schemes(service, doc).items():
            seen.setdefault(name, []).append(scheme)
    return frozenset(name for name, schemes in seen.items() if all(s == schemes[0] for s in schemes))


def prefix_document(service: str, doc: Mapping[str, Any], shared: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``doc`` (one service's OpenAPI) with paths, operations and components renamed for merging; the
    security schemes named in ``shared`` keep their names."""
    path_prefix = f"/api/{service}"
    rewritten: dict[str, Any] = _walk(dict(doc), _ref_rewriter(service, path_prefix, shared))
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
                    operation["security"] = _rename_security(service, operation["security"], shared)
                elif default_security is not None:
                    # The service's document-wide default does not carry over to the merged document.
                    operation["security"] = _rename_security(service, default_security, shared)
                for links in (response.get("links") for response in _dicts(operation.get("responses"))):
                    for link in _dicts(links):
                        if isinstance(link.get("operationId"), str):
                            link["operationId"] = prefixed(service, link["operationId"])
        paths[path_prefix + path] = item

    components: dict[str, Any] = {}
    for section, entries in (rewritten.get("components") or {}).items():
        if isinstance(entries, dict) and section != "securitySchemes":
            components[section] = {prefixed(service, name): value for name, value in entries.items()}
    schemes = _security_schemes(service, rewritten)
    if schemes:
        components["securitySchemes"] = {_scheme_name(service, n, shared): s for n, s in schemes.items()}

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
    shared = shared_schemes(docs)
    for service in sorted(docs):
        part = prefix_document(service, docs[service], shared)
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
