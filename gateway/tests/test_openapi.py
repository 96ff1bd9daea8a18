"""The merged OpenAPI document: from live upstreams through the gateway, and the merge rules alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from gateway.openapi import merge_documents
from gov_common.auth import OAUTH2


def refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` value in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


async def test_merged_document_of_two_upstreams(platform, client: httpx.AsyncClient) -> None:
    resp = await client.get(f"{platform.gateway}/api/openapi.json")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    doc = resp.json()

    assert doc["openapi"].startswith("3.")
    for service in ("alpha", "beta"):
        operation = doc["paths"][f"/api/{service}/v1/items"]["post"]
        assert operation["tags"] == [service]
        assert operation["operationId"] == f"{service}_create_item"
        body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body_ref == f"#/components/schemas/{service}_Item"
        assert f"/api/{service}/readyz" in doc["paths"]
        page = doc["components"]["schemas"][f"{service}_ItemPage"]
        assert page["properties"]["items"]["items"]["$ref"] == f"#/components/schemas/{service}_Item"
    assert "Item" not in doc["components"]["schemas"]
    assert not any(p.startswith("/v1") for p in doc["paths"]), "every path is under /api/<service>"

    # Every reference points at something that exists in the merged document.
    all_refs = set(refs(doc))
    assert all_refs
    for ref in all_refs:
        assert resolve(doc, ref) is not None

    operation_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values() if "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))
    assert {t["name"] for t in doc["tags"]} == {"alpha", "beta"}
    assert doc["x-unavailable-services"] == ["down", "hung"]


async def test_swagger_ui(platform, client: httpx.AsyncClient) -> None:
    resp = await client.get(f"{platform.gateway}/api/docs")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in resp.text
    assert "/api/openapi.json" in resp.text
    assert "cdn" not in resp.text.lower() and "https://" not in resp.text, "every asset is the gateway's own"


def test_merge_rewrites_every_kind_of_reference() -> None:
    pet = {
        "openapi": "3.1.0",
        "info": {"title": "pets", "version": "1"},
        "security": [{"bearer": []}],
        "paths": {
            "/v1/pets/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "operationId": "get_pet",
                    "tags": ["pets"],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Pet"},
                                    "examples": {"cat": {"$ref": "#/components/examples/Cat"}},
                                }
                            },
                            "links": {"owner": {"operationId": "get_owner"}},
                        },
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                },
                "delete": {"operationId": "delete_pet", "security": [], "responses": {}},
            },
            "/v1/owners/{id}": {"get": {"operationId": "get_owner", "responses": {}}},
        },
        "components": {
            "schemas": {
                "Pet": {
                    "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                    "discriminator": {
                        "propertyName": "kind",
                        "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
                    },
                },
                "Cat": {
                    "type": "object",
                    "properties": {
                        # A property may be named like a keyword: it is a name, not a keyword.
                        "default": {"$ref": "#/components/schemas/Dog"},
                        "note": {"type": "string", "example": {"$ref": "#/components/schemas/Cat"}},
                    },
                },
                "Dog": {"type": "object", "default": {"$ref": "not a reference, just data"}},
            },
            "parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}},
            "responses": {"NotFound": {"description": "no such pet"}},
            "examples": {"Cat": {"value": {"$ref": "#/components/schemas/Cat"}}},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {}}}},
            },
        },
    }
    shop = {
        "openapi": "3.1.0",
        "info": {"title": "shop", "version": "1"},
        "paths": {"/v1/pets": {"get": {"operationId": "get_pet", "responses": {}}}},
        "components": {"schemas": {"Pet": {"type": "object"}}},
    }
    doc = merge_documents({"pets": pet, "shop": shop}, unavailable=["zoo"])

    get = doc["paths"]["/api/pets/v1/pets/{id}"]["get"]
    assert get["operationId"] == "pets_get_pet"
    assert doc["paths"]["/api/shop/v1/pets"]["get"]["operationId"] == "shop_get_pet"
    assert get["tags"] == ["pets"]
    assert doc["paths"]["/api/pets/v1/pets/{id}"]["parameters"] == [{"$ref": "#/components/parameters/pets_Id"}]
    content = get["responses"]["200"]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/pets_Pet"}
    assert content["examples"]["cat"] == {"$ref": "#/components/examples/pets_Cat"}
    assert get["responses"]["200"]["links"]["owner"]["operationId"] == "pets_get_owner"
    assert get["responses"]["404"] == {"$ref": "#/components/responses/pets_NotFound"}
    # The document-wide security requirement moves onto the operations, unless they set theirs; a scheme
    # only one service declares keeps its name.
    assert get["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/pets/v1/pets/{id}"]["delete"]["security"] == []
    assert "security" not in doc

    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"pets_Pet", "pets_Cat", "pets_Dog", "shop_Pet"}
    assert schemas["pets_Pet"]["discriminator"]["mapping"] == {
        "cat": "#/components/schemas/pets_Cat",
        "dog": "#/components/schemas/pets_Dog",
    }
    cat = schemas["pets_Cat"]["properties"]
    assert cat["default"] == {"$ref": "#/components/schemas/pets_Dog"}
    assert cat["note"]["example"] == {"$ref": "#/components/schemas/Cat"}, "examples are data"
    assert schemas["pets_Dog"]["default"] == {"$ref": "not a reference, just data"}
    assert doc["components"]["examples"]["pets_Cat"]["value"] == {"$ref": "#/components/schemas/Cat"}
    oauth = doc["components"]["securitySchemes"]["oauth"]
    assert oauth["flows"]["clientCredentials"]["tokenUrl"] == "/api/pets/token"
    assert doc["x-unavailable-services"] == ["zoo"]
    # The inputs are left as they were.
    assert pet["paths"]["/v1/pets/{id}"]["get"]["operationId"] == "get_pet"


def test_path_references_follow_the_prefix() -> None:
    doc = merge_documents(
        {
            "svc": {
                "paths": {
                    "/a/{x}": {"get": {"operationId": "a", "responses": {}}},
                    "/b": {"$ref": "#/paths/~1a~1{x}"},
                }
            }
        }
    )
    assert doc["paths"]["/api/svc/b"] == {"$ref": "#/paths/~1api~1svc~1a~1{x}"}


async def test_operations_keep_their_scope_and_the_shared_scheme_is_declared_once(
    platform, client: httpx.AsyncClient
) -> None:
    """Both test upstreams declare gov_common's oauth2 scheme: once in the merged document, with the
    gateway's token URLs, and each scoped operation still names its scope."""
    doc = (await client.get(f"{platform.gateway}/api/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert set(schemes) == {"oauth2"}
    flows = schemes["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/identity/token", "not under /api/alpha"
    assert flows["authorizationCode"]["authorizationUrl"] == "/api/identity/authorize"
    for service in ("alpha", "beta"):
        assert doc["paths"][f"/api/{service}/v1/items/{{name}}"]["delete"]["security"] == [
            {"oauth2": ["catalog.items.write"]}
        ]
        assert "security" not in doc["paths"][f"/api/{service}/v1/items"]["get"], "a public read stays open"


def test_schemes_of_the_same_name_but_different_meaning_stay_apart() -> None:
    """A service declaring its own ``oauth2`` differently must not borrow the shared one."""
    shared = OAUTH2.model.model_dump(by_alias=True, exclude_none=True)
    own = {"type": "http", "scheme": "basic"}

    def service(scheme: dict[str, Any]) -> dict[str, Any]:
        return {
            "paths": {"/v1/x": {"get": {"operationId": "x", "security": [{"oauth2": ["catalog.items.write"]}]}}},
            "components": {"securitySchemes": {"oauth2": scheme}},
        }

    same = merge_documents({"a": service(shared), "b": service(shared)})
    assert set(same["components"]["securitySchemes"]) == {"oauth2"}
    assert same["paths"]["/api/b/v1/x"]["get"]["security"] == [{"oauth2": ["catalog.items.write"]}]

    apart = merge_documents({"a": service(shared), "b": service(own)})
    assert apart["components"]["securitySchemes"] == {"a_oauth2": shared, "b_oauth2": own}
    assert apart["paths"]["/api/a/v1/x"]["get"]["security"] == [{"a_oauth2": ["catalog.items.write"]}]
    assert apart["paths"]["/api/b/v1/x"]["get"]["security"] == [{"b_oauth2": ["catalog.items.write"]}]
