"""The demo data of `make run` on the embedded default: the demo citizen zhangsan holds a 营业执照 that
verifies, so the README's journey can offer it as a material; a second start issues nothing more."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from gov_common.service import demo_subject
from gov_common.testing import TestIssuer, serve_lifespan

from ..conftest import BIZ, DEPT


async def test_the_demo_citizen_holds_a_business_licence_that_verifies(
    tmp_path: Path, app_factory: Callable[..., FastAPI], issuer: TestIssuer
) -> None:
    # zhangsan as identity's demo makes them: that account id, level 2 (so the licence is the account's own)
    zhangsan = issuer.headers(demo_subject("zhangsan"), kind="citizen", acr="2")
    ids = []
    for start in (1, 2):
        app = app_factory()  # demo data on, SQLite in tmp_path
        async with serve_lifespan(app) as client:
            wallet = await client.get("/v1/wallet/licenses", params={"type": "营业执照"}, headers=zhangsan)
            assert wallet.status_code == 200, wallet.text
            [licence] = wallet.json()["items"]
            by_qr = await client.get(f"/v1/verify/{licence['identifier']}")
            by_credential = await client.post("/v1/verify", json={"credential": licence["credential_jwt"]})
            someone_else = await client.get(
                "/v1/wallet/licenses", headers=issuer.headers("citizen-9", kind="citizen", acr="3")
            )
        assert licence["type_code"] == BIZ and licence["status"] == "active", (start, licence)
        assert licence["issuer"]["code"] == DEPT and licence["fields"]["entity_type"] == "个体工商户"
        assert by_qr.json()["result"] == "authentic" and by_credential.json()["result"] == "authentic"
        assert someone_else.json()["items"] == [], "only the demo citizen's wallet holds it"
        ids.append(licence["id"])
    assert ids[0] == ids[1], "the second start finds the licence of the first"
    assert (tmp_path / "certificates.db").exists()
