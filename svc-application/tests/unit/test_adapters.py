"""The e-license lookup against a stub of svc-certificates' HTTP contract, its fake, and the address cipher."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from application.errors import LicenseServiceUnavailable
from application.licenses import HttpLicenseLookup, InMemoryLicenseLookup, License
from application.logistics import AddressCipher, SandboxLogistics
from application.settings import Settings
from gov_common.crypto import Unreadable, load_keys

from ..conftest import wallet_stub


def token_for(subject: str) -> str:
    from gov_common.testing import TestIssuer

    return TestIssuer().token(subject)


async def test_http_lookup_forwards_the_holders_token_and_filters_types() -> None:
    wallets = {
        "u-1": [
            {"license_id": "L1", "type_code": "营业执照", "status": "active"},
            {"license_id": "L2", "type_code": "食品经营许可证", "status": "revoked"},
        ]
    }
    calls: list[dict] = []
    lookup = HttpLicenseLookup("http://certificates", transport=httpx.ASGITransport(app=wallet_stub(wallets, calls)))
    token = token_for("u-1")
    held = await lookup.list(token, ["营业执照", "食品经营许可证"])
    assert [lic.license_id for lic in held] == ["L1", "L2"]
    assert calls == [{"subject": "u-1", "types": ["营业执照", "食品经营许可证"]}]
    assert (await lookup.verify(token, "L1", "营业执照")) is not None
    assert await lookup.verify(token, "L2", "食品经营许可证") is None, "a revoked license is not usable"
    assert await lookup.verify(token_for("u-2"), "L1", "营业执照") is None, "only the holder's own wallet"
    assert await lookup.list(token, []) == [] and len(calls) == 4, "an empty list asks nothing"
    await lookup.aclose()


async def test_http_lookup_failure_is_a_503_problem() -> None:
    broken = FastAPI()

    @broken.get("/v1/wallet/licenses")
    async def down() -> dict:
        raise RuntimeError("boom")

    lookup = HttpLicenseLookup(
        "http://certificates", transport=httpx.ASGITransport(app=broken, raise_app_exceptions=False)
    )
    with pytest.raises(LicenseServiceUnavailable):
        await lookup.list("t", ["营业执照"])


async def test_fake_lookup() -> None:
    fake = InMemoryLicenseLookup({"t": [License(license_id="L1", type_code="C1", type_name="营业执照")]})
    assert [x.license_id for x in await fake.list("t", ["营业执照"])] == ["L1"]
    assert await fake.verify("t", "L1", "C1") is not None
    assert await fake.verify("other", "L1", "C1") is None


async def test_address_cipher_and_sandbox_carrier() -> None:
    cipher = AddressCipher(load_keys(Settings(), service="application").ring)
    app_id, other = uuid.uuid4(), uuid.uuid4()
    blob = cipher.encrypt({"recipient": "张三", "phone": "13800000001"}, application_id=app_id)
    assert b"13800000001" not in blob and "张三".encode() not in blob and blob.startswith(b"v1.dev.")
    assert cipher.decrypt(blob, application_id=app_id)["phone"] == "13800000001"
    with pytest.raises(Unreadable):  # bound to its application: not readable as another's address
        cipher.decrypt(blob, application_id=other)
    carrier = SandboxLogistics()
    shipment = await carrier.create_shipment(reference="45010020261127000001", address={"x": 1})
    assert shipment.carrier == "sandbox" and shipment.waybill in carrier.shipments
